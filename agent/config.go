package agent

import "github.com/nexusmon/nexusmon/internal/config"

// Config is nexusmon's configuration (see otel-config/nexusmon.yaml for
// every key). The aliases let a Go bot in another module build and change a
// configuration, since internal/config cannot be imported from outside.
type (
	Config    = config.Config
	Secret    = config.Secret
	Threshold = config.Threshold
	Report    = config.Report
)

// DefaultConfig returns the embedded defaults, as `nexusmon run` uses them
// without --config.
func DefaultConfig() *Config { return config.Default() }

// LoadConfig reads, strictly decodes and validates a YAML file, applying the
// DISCORD_TOKEN and DISCORD_WEBHOOK_URL overrides. The error lists every
// problem as FILE:LINE: KEY: message.
func LoadConfig(path string) (*Config, error) { return config.Load(path) }

// ParseConfig is LoadConfig for YAML already in memory; filename is used in
// messages only.
func ParseConfig(data []byte, filename string) (*Config, error) { return config.Parse(data, filename) }
