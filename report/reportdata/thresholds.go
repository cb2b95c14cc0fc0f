package reportdata

import "github.com/nexusmon/nexusmon/health"

// Thresholds are the warning/critical lines reports colour and score by.
type Thresholds struct {
	CPU, Memory, Disk, Response, Network health.Thresholds
}

// DefaultThresholds returns the default warning/critical lines: DESIGN
// §4's, and disk at 80/90 %. They are the configuration's defaults
// (config.Default) and fill every pair a Reporter is given as zero.
func DefaultThresholds() Thresholds {
	return Thresholds{
		CPU:      health.Thresholds{Warning: 70, Critical: 85},
		Memory:   health.Thresholds{Warning: 75, Critical: 90},
		Disk:     health.Thresholds{Warning: 80, Critical: 90},
		Response: health.Thresholds{Warning: 2000, Critical: 5000},
		Network:  health.Thresholds{Warning: 200, Critical: 500},
	}
}

// WithDefaults returns t with every zero pair replaced by its default.
func (t Thresholds) WithDefaults() Thresholds {
	fill := func(v *health.Thresholds, d health.Thresholds) {
		if *v == (health.Thresholds{}) {
			*v = d
		}
	}
	d := DefaultThresholds()
	fill(&t.CPU, d.CPU)
	fill(&t.Memory, d.Memory)
	fill(&t.Disk, d.Disk)
	fill(&t.Response, d.Response)
	fill(&t.Network, d.Network)
	return t
}
