package agent

import "github.com/nexusmon/nexusmon/config"

// Config is nexusmon's configuration (see otel-config/nexusmon.yaml for
// every key). These are aliases of the types of package
// github.com/nexusmon/nexusmon/config, where their fields are documented
// (go doc github.com/nexusmon/nexusmon/config Config); a bot can use either
// name.
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
