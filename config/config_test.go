package config

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noEnv is an empty environment, so the real one never leaks into a test.
func noEnv(string) (string, bool) { return "", false }

// envOf returns a lookup over m.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// want is one expected problem, read from a "# want: LINE KEY MSG" comment
// in a testdata/bad file. LINE is "-" for a problem outside the file.
type want struct {
	line int
	key  string
	msg  string
}

func readWants(t *testing.T, path string) []want {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // best effort: read-only
	var ws []want
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "# want: ")
		if !ok {
			continue
		}
		fields := strings.SplitN(rest, " ", 3)
		if len(fields) < 2 {
			t.Fatalf("%s: malformed want %q", path, rest)
		}
		w := want{key: fields[1]}
		if fields[0] != "-" {
			if w.line, err = strconv.Atoi(fields[0]); err != nil {
				t.Fatalf("%s: malformed want line %q", path, rest)
			}
		}
		if w.key == "-" {
			w.key = ""
		}
		if len(fields) == 3 {
			w.msg = fields[2]
		}
		ws = append(ws, w)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ws
}

// secretsInTestdata are secret values written into testdata files; no
// error text may contain them.
var secretsInTestdata = []string{
	"WEBHOOK-SECRET", "HEADER-SECRET", "inline-token-value", "several-token",
	"first-half", "file-token-value", "full-file-token", "full-webhook-token",
	"full-header-secret", "loopback-token",
}

func TestParse_testdataGood(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(path, WithEnv(noEnv))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("loaded config does not validate: %v", err)
			}
			if cfg.Discord.TokenFile != "" {
				t.Errorf("TokenFile = %q after load, want it cleared", cfg.Discord.TokenFile)
			}
		})
	}
}

func TestParse_testdataBad(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad testdata: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			wants := readWants(t, path)
			if len(wants) == 0 {
				t.Fatalf("%s has no '# want:' lines", path)
			}
			cfg, err := Load(path, WithEnv(noEnv))
			if err == nil {
				t.Fatalf("Load succeeded, want %d problems", len(wants))
			}
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			text := err.Error()
			for _, s := range secretsInTestdata {
				if strings.Contains(text, s) {
					t.Errorf("error text leaks secret %q:\n%s", s, text)
				}
			}
			ps := Problems(err)
			if len(ps) != len(wants) {
				t.Errorf("got %d problems, want %d:\n%s", len(ps), len(wants), text)
			}
			if lines := strings.Split(text, "\n"); len(lines) != len(ps) {
				t.Errorf("error text has %d lines for %d problems", len(lines), len(ps))
			}
			used := make([]bool, len(ps))
			for _, w := range wants {
				prefix := path + ":" + strconv.Itoa(w.line) + ": "
				if w.line == 0 {
					prefix = path + ": "
				}
				if w.key != "" {
					prefix += w.key + ": "
				}
				found := false
				for i, p := range ps {
					if used[i] || p.File != path || p.Line != w.line || p.Key != w.key || !strings.Contains(p.Msg, w.msg) {
						continue
					}
					if !strings.HasPrefix(p.Error(), prefix) {
						t.Errorf("problem %q does not start with %q", p.Error(), prefix)
					}
					used[i], found = true, true
					break
				}
				if !found {
					t.Errorf("missing problem at line %d, key %q, containing %q; got:\n%s", w.line, w.key, w.msg, text)
				}
			}
			for i := 1; i < len(ps); i++ {
				if a, b := ps[i-1].Line, ps[i].Line; b != 0 && (a == 0 || a > b) {
					t.Errorf("problems not sorted by line:\n%s", text)
				}
			}
		})
	}
}

func TestParse_full(t *testing.T) {
	t.Parallel()
	got, err := Load("testdata/good/full.yaml", WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Discord: Discord{
			Token:         "full-file-token",
			ChannelID:     "123456789012345678",
			WebhookURL:    "https://discord.com/api/webhooks/223456789012345678/full-webhook-token",
			APIURL:        "http://127.0.0.1:8080/",
			GuildID:       "12345678901234567890",
			RecordUserIDs: true,
			SilentReports: false,
		},
		Reports: Reports{
			System:   Report{Interval: time.Second, Mode: ModeOff},
			Network:  Report{Interval: 2 * time.Minute, Mode: ModePost},
			Memory:   Report{Interval: 90 * time.Second, Mode: ModePost},
			Commands: Report{Interval: 10 * time.Minute, Mode: ModeEdit},
			Health:   Report{Interval: time.Hour, Mode: ModeEdit},
		},
		Thresholds: Thresholds{
			CPUPercent:    Threshold{Warning: 60.5, Critical: 99},
			MemoryPercent: Threshold{Warning: 1, Critical: 100},
			DiskPercent:   Threshold{Warning: 50, Critical: 60},
			ResponseMS:    Threshold{Warning: 100, Critical: 100000},
			NetworkMS:     Threshold{Warning: 0.5, Critical: 1},
		},
		Alerts: Alerts{For: 0, RepeatInterval: time.Minute, Hysteresis: 0},
		Probes: Probes{
			DiscordAPI: "http://localhost:9000/api/v10/gateway",
			Internet:   []string{},
			Timeout:    30 * time.Second,
			Interval:   30 * time.Second,
		},
		Process: Process{PID: 4242},
		Storage: Storage{Path: "state/store.db", Retention: 0, FlushInterval: time.Minute},
		Output:  Output{Console: ConsoleOn, JSONL: ""},
		HTTP:    HTTP{Listen: "[::1]:0", RemoteReload: true, PProf: true},
		OTLP: OTLP{
			Endpoint:    "https://otel.example.com:4318",
			Protocol:    ProtocolHTTPProtobuf,
			Headers:     Headers{"Authorization": "Bearer full-header-secret", "X-Scope-OrgID": "42"},
			Timeout:     time.Second,
			Interval:    15 * time.Second,
			Insecure:    true,
			ServiceName: "my-bot",
		},
		Receiver: Receiver{OTLP: ReceiverOTLP{HTTP: "127.0.0.1:4318", MaxRequestBytes: 1 << 20,
			MaxSpansPerMinute: 600, MaxPointsPerMinute: 300, MaxSeries: 50}},
		Fleet: Fleet{Instance: "my-bot-3", Shard: ptr(3)},
		Log:   Log{Level: "debug"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("full.yaml decoded to\n%s\nwant\n%s", got.Redacted(), want.Redacted())
		diffSecrets(t, got, want)
	}
	if m := got.Discord.Mode(); m != DeliveryBot {
		t.Errorf("Mode() = %q, want %q", m, DeliveryBot)
	}
}

func ptr[T any](v T) *T { return &v }

// diffSecrets reports secret fields that differ, which Redacted hides.
func diffSecrets(t *testing.T, got, want *Config) {
	t.Helper()
	if got.Discord.Token != want.Discord.Token {
		t.Errorf("Token differs")
	}
	if got.Discord.WebhookURL != want.Discord.WebhookURL {
		t.Errorf("WebhookURL differs")
	}
	if !reflect.DeepEqual(got.OTLP.Headers, want.OTLP.Headers) {
		t.Errorf("Headers differ")
	}
}

func TestParse_anchors(t *testing.T) {
	t.Parallel()
	cfg, err := Load("testdata/good/anchors.yaml", WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	live := Report{Interval: 15 * time.Second, Mode: ModeEdit}
	if cfg.Reports.System != live || cfg.Reports.Network != live {
		t.Errorf("aliased reports = %+v, %+v, want %+v", cfg.Reports.System, cfg.Reports.Network, live)
	}
	if want := (Report{Interval: 45 * time.Second, Mode: ModeEdit}); cfg.Reports.Memory != want {
		t.Errorf("merged report = %+v, want %+v (own key must win)", cfg.Reports.Memory, want)
	}
	if want := (Threshold{Warning: 50, Critical: 60}); cfg.Thresholds.MemoryPercent != want {
		t.Errorf("merged threshold = %+v, want %+v (first merge source must win)", cfg.Thresholds.MemoryPercent, want)
	}
	if want := Default().Reports.Health; cfg.Reports.Health != want {
		t.Errorf("untouched report = %+v, want default %+v", cfg.Reports.Health, want)
	}
}

func TestParse_emptyGivesDefault(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n", "null\n", "{}\n", "discord:\nreports: ~\nthresholds: {}\n"} {
		cfg, err := Parse([]byte(in), "in.yaml", WithEnv(noEnv))
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if !reflect.DeepEqual(cfg, Default()) {
			t.Errorf("Parse(%q) = %s, want Default()", in, cfg.Redacted())
		}
	}
}

func TestParse_nullLeafIsZero(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte("output:\n  jsonl:\nprobes:\n  internet:\nhttp:\n  listen: ~\n"), "n.yaml", WithEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Output.JSONL != "" || cfg.Probes.Internet != nil || cfg.HTTP.Listen != "" {
		t.Errorf("null leaves = %q, %q, %q; want zero values", cfg.Output.JSONL, cfg.Probes.Internet, cfg.HTTP.Listen)
	}
}

func TestParse_example(t *testing.T) {
	t.Parallel()
	const path = "../otel-config/nexusmon.yaml"
	cfg, err := Load(path, WithEnv(noEnv))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("example config differs from Default():\n%s\nwant\n%s", cfg.Redacted(), Default().Redacted())
	}

	// Every key of the schema must be written out in the example.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	root, p := parseNode(data)
	if p != nil {
		t.Fatal(p)
	}
	d := newDecoder()
	d.root(root, Default())
	for _, key := range schemaKeys(reflect.TypeFor[Config](), "") {
		if d.lines[key] == 0 {
			t.Errorf("example config lacks key %s", key)
		}
	}
}

// schemaKeys returns every dotted key of t's yaml schema.
func schemaKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		key := join(prefix, name)
		keys = append(keys, key)
		if ft := t.Field(i).Type; ft.Kind() == reflect.Struct {
			keys = append(keys, schemaKeys(ft, key)...)
		}
	}
	return keys
}

func TestParse_syntaxErrorLine(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("discord:\n  token_file: x\n\tchannel_id: 1\n"), "tab.yaml", WithEnv(noEnv))
	ps := Problems(err)
	// go-yaml reports the line where the construct around the mistake
	// starts, which for this tab is line 2.
	if len(ps) != 1 || ps[0].Line != 2 || ps[0].File != "tab.yaml" || !strings.Contains(ps[0].Msg, "invalid YAML: found a tab") {
		t.Errorf("got %v, want one invalid YAML problem at tab.yaml:2", err)
	}
}

func TestParse_selfReferencingAnchor(t *testing.T) {
	t.Parallel()
	in := "reports: &r\n  <<: *r\n  system: *r\n"
	_, err := Parse([]byte(in), "loop.yaml", WithEnv(noEnv))
	if err == nil {
		t.Fatal("Parse accepted a self-referencing anchor")
	}
}

// TestParse_mergeBomb feeds ten-fold merges nested eight deep (10^8 merges
// if each were applied every time it is referenced). Parse must apply each
// merged mapping once; if it did not, this test would not finish.
func TestParse_mergeBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 {interval: 7s}\n")
	for i := 1; i <= 8; i++ {
		refs := strings.TrimSuffix(strings.Repeat("*a"+strconv.Itoa(i-1)+", ", 10), ", ")
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " {<<: [" + refs + "]}\n")
	}
	b.WriteString("reports:\n  system:\n    <<: *a8\n")
	_, err := Parse([]byte(b.String()), "bomb.yaml", WithEnv(noEnv))
	ps := Problems(err)
	// a0 … a8 are unknown top-level keys; the merged interval itself is valid.
	if len(ps) != 9 {
		t.Fatalf("got %d problems, want 9:\n%v", len(ps), err)
	}
	b.WriteString("    mode: 1\n") // still one problem per key, not one per path
	_, err = Parse([]byte(strings.Replace(b.String(), "a0: &a0 {interval: 7s}", "a0: &a0 {interval: 7}", 1)), "bomb.yaml", WithEnv(noEnv))
	if n := len(Problems(err)); n != 11 {
		t.Errorf("got %d problems, want 11:\n%v", n, err)
	}
}

func TestParse_env(t *testing.T) {
	t.Parallel()
	const (
		fileWebhook = "https://discord.com/api/webhooks/123456789012345678/file-secret"
		envWebhook  = "https://discord.com/api/webhooks/223456789012345678/env-secret"
	)
	dir := t.TempDir()
	tests := []struct {
		name        string
		file        string
		env         map[string]string
		wantToken   Secret
		wantWebhook Secret
		wantErr     string // substring of the one problem expected
	}{
		{name: "no env keeps file", file: "discord:\n  token: file-token\n  webhook_url: " + fileWebhook + "\n",
			wantToken: "file-token", wantWebhook: Secret(fileWebhook)},
		{name: "env wins over file", file: "discord:\n  token: file-token\n  webhook_url: " + fileWebhook + "\n",
			env:       map[string]string{EnvToken: "env-token", EnvWebhookURL: envWebhook},
			wantToken: "env-token", wantWebhook: Secret(envWebhook)},
		{name: "empty env ignored", file: "discord:\n  token: file-token\n",
			env:       map[string]string{EnvToken: "  ", EnvWebhookURL: ""},
			wantToken: "file-token"},
		{name: "env trimmed", env: map[string]string{EnvToken: " env-token\n"}, wantToken: "env-token"},
		{name: "env token wins over token_file", file: "discord:\n  token_file: missing.txt\n  channel_id: \"123456789012345678\"\n",
			env: map[string]string{EnvToken: "env-token"}, wantToken: "env-token"},
		{name: "bad env webhook", file: "discord:\n  webhook_url: " + fileWebhook + "\n",
			env: map[string]string{EnvWebhookURL: "ftp://example.com/env-secret"}, wantErr: "(set by DISCORD_WEBHOOK_URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.file), "env.yaml", WithEnv(envOf(tt.env)), WithBaseDir(dir))
			if tt.wantErr != "" {
				ps := Problems(err)
				if len(ps) != 1 || !strings.Contains(ps[0].Msg, tt.wantErr) {
					t.Fatalf("got %v, want one problem containing %q", err, tt.wantErr)
				}
				if ps[0].Line != 0 || ps[0].Key != "discord.webhook_url" {
					t.Errorf("env problem at line %d key %q, want no line and discord.webhook_url", ps[0].Line, ps[0].Key)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error leaks the webhook: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Discord.Token != tt.wantToken {
				t.Errorf("token = %q, want %q", cfg.Discord.Token.Reveal(), tt.wantToken.Reveal())
			}
			if cfg.Discord.WebhookURL != tt.wantWebhook {
				t.Errorf("webhook = %q, want %q", cfg.Discord.WebhookURL.Reveal(), tt.wantWebhook.Reveal())
			}
			if cfg.Discord.TokenFile != "" {
				t.Errorf("TokenFile = %q, want cleared", cfg.Discord.TokenFile)
			}
		})
	}
}

func TestParse_tokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	abs := write("abs.token", "abs-token\n")
	write("rel.token", "\n  rel-token \n")
	write("spaced.token", "two\nlines\n")
	write("big.token", strings.Repeat("x", maxTokenFileSize+1))
	sub := filepath.Join(dir, "conf")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(sub, "nexusmon.yaml")
	if err := os.WriteFile(cfgPath, []byte("discord:\n  token_file: ../rel.token\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("relative to the config file", func(t *testing.T) {
		t.Parallel()
		cfg, err := Load(cfgPath, WithEnv(noEnv))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Discord.Token != "rel-token" || cfg.Discord.TokenFile != "" {
			t.Errorf("token = %q, file = %q; want rel-token and cleared", cfg.Discord.Token.Reveal(), cfg.Discord.TokenFile)
		}
	})
	tests := []struct {
		name    string
		yaml    string
		opts    []Option
		want    Secret
		wantErr string
		line    int
		key     string
	}{
		{name: "absolute", yaml: "discord:\n  token_file: " + abs + "\n", want: "abs-token"},
		{name: "base dir", yaml: "discord:\n  token_file: rel.token\n", opts: []Option{WithBaseDir(dir)}, want: "rel-token"},
		{name: "missing", yaml: "# c\ndiscord:\n  token_file: nope.token\n", opts: []Option{WithBaseDir(dir)},
			wantErr: "no such file", line: 3, key: "discord.token_file"},
		{name: "too big", yaml: "discord:\n  token_file: big.token\n", opts: []Option{WithBaseDir(dir)},
			wantErr: "larger than", line: 2, key: "discord.token_file"},
		{name: "two lines", yaml: "discord:\n\n  token_file: spaced.token\n", opts: []Option{WithBaseDir(dir)},
			wantErr: "without spaces or line breaks (read from discord.token_file)", line: 3, key: "discord.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.yaml), "tf.yaml", append([]Option{WithEnv(noEnv)}, tt.opts...)...)
			if tt.wantErr != "" {
				ps := Problems(err)
				if len(ps) != 1 || ps[0].Line != tt.line || ps[0].Key != tt.key || !strings.Contains(ps[0].Msg, tt.wantErr) {
					t.Fatalf("got %v, want one problem at line %d key %s containing %q", err, tt.line, tt.key, tt.wantErr)
				}
				if strings.Contains(err.Error(), "lines") {
					t.Errorf("error leaks the token file contents: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Discord.Token != tt.want {
				t.Errorf("token = %q, want %q", cfg.Discord.Token.Reveal(), tt.want.Reveal())
			}
		})
	}
}

func TestLoad_missingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "read config: ") || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load(absent) = %v, want a wrapped not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	var nilCfg *Config
	if nilCfg.Validate() == nil {
		t.Error("nil config validated")
	}

	c := Default()
	c.Reports.System.Interval = 0
	c.Alerts.Hysteresis = -1
	c.Discord.TokenFile = "x"
	c.Discord.Token = "t"
	before := *c
	err := c.Validate()
	if !reflect.DeepEqual(*c, before) {
		t.Error("Validate changed the config")
	}
	ps := Problems(err)
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
		if p.File != "" || p.Line != 0 {
			t.Errorf("Validate set file/line on %v", p)
		}
	}
	want := []string{"discord.token_file", "reports.system.interval", "alerts.hysteresis"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("Validate keys = %v, want %v", keys, want)
	}
}

func TestProblem_Error(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Key: "http.listen", Msg: "bad"}, "a.yaml:3: http.listen: bad"},
		{Problem{File: "a.yaml", Key: "probes.timeout", Msg: "bad"}, "a.yaml: probes.timeout: bad"},
		{Problem{File: "a.yaml", Line: 2, Msg: "invalid YAML"}, "a.yaml:2: invalid YAML"},
		{Problem{Line: 2, Key: "k", Msg: "m"}, "line 2: k: m"},
		{Problem{Key: "k", Msg: "m"}, "k: m"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	a, b := &Problem{Key: "a"}, &Problem{Key: "b"}
	if Problems(nil) != nil {
		t.Error("Problems(nil) != nil")
	}
	if got := Problems(a); len(got) != 1 || got[0] != a {
		t.Errorf("Problems(single) = %v", got)
	}
	if got := Problems(joinProblems([]*Problem{a, b})); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("Problems(joined) = %v", got)
	}
	if got := Problems(wrapErr{joinProblems([]*Problem{a, b})}); len(got) != 2 {
		t.Errorf("Problems(wrapped) = %v", got)
	}
	if got := Problems(os.ErrNotExist); got != nil {
		t.Errorf("Problems(other) = %v", got)
	}
}

type wrapErr struct{ err error }

func (w wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapErr) Unwrap() error { return w.err }

func TestDiscord_Mode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Discord
		want string
	}{
		{Discord{}, DeliveryConsole},
		{Discord{Token: "t"}, DeliveryConsole},
		{Discord{WebhookURL: "w"}, DeliveryWebhook},
		{Discord{Token: "t", ChannelID: "1", WebhookURL: "w"}, DeliveryBot},
	}
	for _, tt := range tests {
		if got := tt.d.Mode(); got != tt.want {
			t.Errorf("%+v.Mode() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDiscord_BotToken(t *testing.T) {
	t.Parallel()
	for in, want := range map[Secret]string{"": "", "abc": "Bot abc", "Bot abc": "Bot abc"} {
		if got := (Discord{Token: in}).BotToken(); got != want {
			t.Errorf("BotToken(%q) = %q, want %q", in.Reveal(), got, want)
		}
	}
}

func TestConfig_RedactedRoundTrip(t *testing.T) {
	t.Parallel()
	out := Default().Redacted()
	cfg, err := Parse([]byte(out), "redacted.yaml", WithEnv(noEnv))
	if err != nil {
		t.Fatalf("Redacted() output does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("Redacted() round trip differs:\n%s", out)
	}
	if !bytes.Contains([]byte(out), []byte("interval: 30s")) {
		t.Errorf("durations not rendered as Go durations:\n%s", out)
	}
}

func BenchmarkParse_example(b *testing.B) {
	data, err := os.ReadFile("../otel-config/nexusmon.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "nexusmon.yaml", WithEnv(noEnv)); err != nil {
			b.Fatal(err)
		}
	}
}
