package config

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Redacted returns c as YAML for logging, with
// every secret (token, webhook URL, OTLP header values) shown as
// "<redacted>". It is safe to print.
func (c *Config) Redacted() string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Encode fails only on types Config does not contain; say so
		// rather than fall back to a format that could leak.
		return fmt.Sprintf("# config could not be rendered: %T\n", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Sprintf("# config could not be rendered: %T\n", err)
	}
	return b.String()
}
