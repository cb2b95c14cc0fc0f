package health

// Level is the band a 0–100 health score falls in (DESIGN §4).
type Level int

// Levels from worst to best; a higher Level is healthier.
const (
	Critical  Level = iota // 0–24
	Poor                   // 25–49
	Fair                   // 50–74
	Good                   // 75–89
	Excellent              // 90–100
)

// LevelOf returns the level of score. Scores outside 0–100 are clamped.
func LevelOf(score float64) Level {
	switch {
	case score >= 90:
		return Excellent
	case score >= 75:
		return Good
	case score >= 50:
		return Fair
	case score >= 25:
		return Poor
	default:
		return Critical
	}
}

// String returns the level's name, e.g. "Excellent".
func (l Level) String() string {
	switch l {
	case Excellent:
		return "Excellent"
	case Good:
		return "Good"
	case Fair:
		return "Fair"
	case Poor:
		return "Poor"
	default:
		return "Critical"
	}
}

// Emoji returns the level's emoji: 🟢 🟡 🟠 🔴 💀.
func (l Level) Emoji() string {
	switch l {
	case Excellent:
		return "🟢"
	case Good:
		return "🟡"
	case Fair:
		return "🟠"
	case Poor:
		return "🔴"
	default:
		return "💀"
	}
}

// Color returns the Discord embed colour (0xRRGGBB) for the level.
func (l Level) Color() int {
	switch l {
	case Excellent:
		return 0x2ECC71
	case Good:
		return 0xF1C40F
	case Fair:
		return 0xE67E22
	case Poor:
		return 0xE74C3C
	default:
		return 0x8B0000
	}
}
