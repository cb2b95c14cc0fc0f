package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Environment variables that override the file's secrets when non-empty.
const (
	EnvToken      = "DISCORD_TOKEN"
	EnvWebhookURL = "DISCORD_WEBHOOK_URL"
)

// maxTokenFileSize bounds what is read from discord.token_file; a token is
// well under 100 bytes.
const maxTokenFileSize = 64 << 10

// Option configures Load and Parse.
type Option func(*options)

type options struct {
	env       func(string) (string, bool)
	baseDir   string
	readFile  func(path string) ([]byte, error)
	checkFile func(path string, use pathUse) string
}

// WithEnv sets the environment lookup (default os.LookupEnv), so tests need
// not set process-wide variables. A nil lookup means an empty environment.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) {
		if lookup == nil {
			lookup = func(string) (string, bool) { return "", false }
		}
		o.env = lookup
	}
}

// WithBaseDir sets the directory a relative discord.token_file is resolved
// against (default: the directory of the config file).
func WithBaseDir(dir string) Option {
	return func(o *options) { o.baseDir = dir }
}

// withReadFile replaces the token file reader (tests and fuzzing).
func withReadFile(read func(string) ([]byte, error)) Option {
	return func(o *options) { o.readFile = read }
}

// withCheckFile replaces the storage.path and output.jsonl check (fuzzing).
func withCheckFile(check func(string, pathUse) string) Option {
	return func(o *options) { o.checkFile = check }
}

// Load reads the config file at path and parses it with Parse.
func Load(path string, opts ...Option) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path, opts...)
}

// Parse decodes data, the contents of the config file filename, over
// Default, applies the DISCORD_TOKEN and DISCORD_WEBHOOK_URL overrides (a
// non-empty variable wins over the file, and DISCORD_TOKEN also over
// discord.token_file), reads discord.token_file into Discord.Token,
// validates the result, and checks storage.path and output.jsonl against the
// file system.
//
// A storage.path, or an output.jsonl other than "", that the agent could not
// create or open for writing is a problem: a directory in the file's place
// (or, for storage.path, a device), a regular file where a directory would
// be, a directory that cannot be created or is not writable. Relative paths
// are relative to the working directory, as the agent opens them. The check
// leaves nothing behind: it creates and removes a temporary file in the
// directory, or a temporary directory in its nearest existing ancestor, and
// opens an existing events file for append without writing. output.jsonl
// may be a character device such as /dev/null.
//
// The OpenTelemetry variables the agent reads itself (OTEL_SDK_DISABLED,
// OTEL_{METRICS,TRACES}_EXPORTER, OTEL_EXPORTER_OTLP_{,METRICS_,TRACES_}PROTOCOL)
// are checked too (see ReadOTelEnv); a bad value is a problem keyed by the
// variable's name.
//
// Unknown keys, duplicate keys, wrongly typed values and bare numbers given
// as durations are errors. An empty file, or one with only comments, gives
// Default. On failure the error joins one *Problem per problem (see
// Problems), each with the file, line and key, sorted by line.
func Parse(data []byte, filename string, opts ...Option) (*Config, error) {
	o := options{env: os.LookupEnv, readFile: readTokenFile, checkFile: checkFile}
	for _, opt := range opts {
		opt(&o)
	}
	if o.baseDir == "" {
		o.baseDir = filepath.Dir(filename)
	}

	cfg := Default()
	root, err := parseNode(data)
	if err != nil {
		return nil, withFile(filename, []*Problem{err})
	}
	d := newDecoder()
	if root != nil {
		d.root(root, cfg)
	}
	bad := make(map[string]bool, len(d.problems))
	for _, p := range d.problems {
		bad[p.Key] = true
	}

	// Where a value did not come from its own key in the file.
	type source struct {
		line int
		note string
	}
	sources := make(map[string]source)
	if v, ok := o.env(EnvToken); ok && strings.TrimSpace(v) != "" {
		cfg.Discord.Token = Secret(strings.TrimSpace(v))
		cfg.Discord.TokenFile = ""
		sources["discord.token"] = source{note: "set by " + EnvToken}
	}
	if v, ok := o.env(EnvWebhookURL); ok && strings.TrimSpace(v) != "" {
		cfg.Discord.WebhookURL = Secret(strings.TrimSpace(v))
		sources["discord.webhook_url"] = source{note: "set by " + EnvWebhookURL}
	}
	if tf := cfg.Discord.TokenFile; tf != "" && cfg.Discord.Token == "" {
		line := d.lines["discord.token_file"]
		path := tf
		if !filepath.IsAbs(path) {
			path = filepath.Join(o.baseDir, path)
		}
		tok, err := o.readFile(path)
		tok = bytes.TrimSpace(tok)
		switch {
		case err != nil:
			d.problems = append(d.problems, &Problem{Key: "discord.token_file", Line: line, Msg: err.Error()})
		case len(tok) == 0:
			d.problems = append(d.problems, &Problem{Key: "discord.token_file", Line: line, Msg: fmt.Sprintf("%s is empty", path)})
		default:
			cfg.Discord.Token = Secret(tok)
			cfg.Discord.TokenFile = ""
			sources["discord.token"] = source{line: line, note: "read from discord.token_file"}
		}
		bad["discord.token_file"] = true
	}

	problems := d.problems
	for _, p := range cfg.problems() {
		if bad[p.Key] {
			continue // already reported while decoding; the value is a default
		}
		if s, ok := sources[p.Key]; ok {
			p.Line = s.line
			p.Msg += " (" + s.note + ")"
		} else {
			p.Line = d.lines[p.Key]
		}
		problems = append(problems, p)
	}
	problems = append(problems, otelEnvProblems(cfg, o.env)...) // not in the file: no line
	for _, p := range problems {
		bad[p.Key] = true // checking the file system is pointless then
	}
	for _, p := range checkPaths(cfg, o.checkFile, bad) {
		p.Line = d.lines[p.Key]
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, withFile(filename, problems)
	}
	return cfg, nil
}

// withFile sets File on every problem, drops duplicates (a merged anchor
// can report the same problem twice), sorts them by line with the ones
// outside the file last, and joins them.
func withFile(filename string, ps []*Problem) error {
	seen := make(map[Problem]bool, len(ps))
	out := ps[:0]
	for _, p := range ps {
		p.File = filename
		if seen[*p] {
			continue
		}
		seen[*p] = true
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b *Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return joinProblems(out)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseNode parses data into a node tree. It returns a nil node for an empty
// document and a *Problem for a syntax error or a second document.
func parseNode(data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxProblem(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return &root, nil
	case err != nil:
		return nil, syntaxProblem(err)
	default:
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		return nil, &Problem{Line: line, Msg: "only one YAML document is allowed (remove the second ---)"}
	}
}

// syntaxProblem turns a yaml syntax error into a Problem with its line.
func syntaxProblem(err error) *Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if line, err := strconv.Atoi(m[1]); err == nil {
			return &Problem{Line: line, Msg: "invalid YAML: " + m[2]}
		}
	}
	return &Problem{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// readTokenFile reads a regular file of at most maxTokenFileSize bytes. It
// refuses devices and pipes, which could block or never end.
func readTokenFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read token file: %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	defer f.Close() // best effort: read-only file, nothing to flush
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	if len(b) > maxTokenFileSize {
		return nil, fmt.Errorf("read token file: %s is larger than %d bytes", path, maxTokenFileSize)
	}
	return b, nil
}
