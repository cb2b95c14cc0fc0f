package report

import "github.com/nexusmon/nexusmon/health"

// Thresholds are the warning/critical lines reports colour and score by.
type Thresholds struct {
	CPU, Memory, Disk, Response, Network health.Thresholds
}
