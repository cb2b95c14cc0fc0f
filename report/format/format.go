package format

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Number formatting for report text. Builders produce plain text; the
// renderer escapes it for Discord.

// Bytes formats a byte count with binary units: "1.5 GiB".
func Bytes(b float64) string {
	if math.IsNaN(b) {
		return "n/a"
	}
	const unit = 1024.0
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(b) >= unit && i < len(units)-1 {
		b /= unit
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
}

// Rate formats bytes per second.
func Rate(bps float64) string {
	if math.IsNaN(bps) {
		return "n/a"
	}
	return Bytes(bps) + "/s"
}

// Pct formats a 0–100 percentage.
func Pct(p float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + " %"
}

// MS formats milliseconds.
func MS(ms float64) string {
	if math.IsNaN(ms) {
		return "n/a"
	}
	if ms >= 10 {
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// Float formats with the given decimals.
func Float(v float64, dec int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// Duration formats a duration compactly: "3d 4h", "2h 5m", "45s".
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return fmt.Sprintf("%dm %ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
}

// Round rounds v to dec decimals (for JSON output).
func Round(v float64, dec int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}
