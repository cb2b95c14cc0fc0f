package process

import (
	"errors"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tail := " 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100\n"
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{"plain", "42 (bot) S" + tail, procStat{state: 'S', user: 2.5, system: 0.5, threads: 7, startTicks: 12345}, false},
		{"name with spaces and parens", "42 (my (odd) bot) ) R" + tail, procStat{state: 'R', user: 2.5, system: 0.5, threads: 7, startTicks: 12345}, false},
		{"truncated", "42 (bot) S 1 42\n", procStat{}, true},
		{"no name", "42 bot S" + tail, procStat{}, true},
		{"bad number", "42 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 x 50 0 0 20 0 7 0 12345 1000\n", procStat{}, true},
		{"empty", "", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatm(t *testing.T) {
	t.Parallel()
	got, err := parseStatm("10 20 30 40 0 60 0\n", 4096)
	if err != nil || got != (statm{vms: 10 * 4096, rss: 20 * 4096, shared: 30 * 4096, text: 40 * 4096, data: 60 * 4096}) {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"", "1 2 3", "1 2 3 4 5 x 7"} {
		if _, err := parseStatm(bad, 4096); err == nil {
			t.Errorf("parseStatm(%q) succeeded", bad)
		}
	}
}

func TestParsePIDFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"1234\n", 1234}, {"  77  \n", 77}, {"99", 99}, {"5\nextra line\n", 5},
		{"", 0}, {"\n", 0}, {"abc", 0}, {"-4", 0}, {"0", 0}, {"99999999999", 0}, {"12 34", 0},
	}
	for _, tt := range tests {
		got, err := parsePIDFile([]byte(tt.in))
		if got != tt.want || (tt.want == 0) != errors.Is(err, errNoPID) {
			t.Errorf("parsePIDFile(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestSocketInodes(t *testing.T) {
	t.Parallel()
	for link, want := range map[string]uint64{"socket:[123]": 123, "pipe:[5]": 0, "socket:[]": 0, "socket:[x]": 0, "/dev/null": 0} {
		got, ok := socketInode([]byte(link))
		if got != want || ok != (want != 0) {
			t.Errorf("socketInode(%q) = %d, %v", link, got, ok)
		}
	}
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 11 1 0\n" +
		"   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 22 1 0\n" +
		"   2: 0100007F:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 33 1 0\n" +
		"garbage\n"
	own := map[uint64]struct{}{11: {}, 33: {}, 44: {}}
	if n := countSocketInodes([]byte(table), own); n != 2 {
		t.Errorf("matched %d sockets, want 2", n)
	}
	if n := countSocketInodes([]byte(table), own); n != 0 {
		t.Errorf("matched %d sockets a second time, want 0 (each counted once)", n)
	}
}

func TestParseBootTimeAndMemTotal(t *testing.T) {
	t.Parallel()
	if v, err := parseBootTime([]byte("cpu 1 2\nbtime 1700000000\nprocesses 5\n")); err != nil || v != 1700000000 {
		t.Errorf("btime %d, %v", v, err)
	}
	if _, err := parseBootTime([]byte("cpu 1 2\n")); err == nil {
		t.Error("missing btime accepted")
	}
	if v, err := parseMemTotal([]byte("MemTotal:       24684084 kB\nMemFree: 1 kB\n")); err != nil || v != 24684084*1024 {
		t.Errorf("MemTotal %d, %v", v, err)
	}
	if _, err := parseMemTotal([]byte("MemFree: 1 kB\n")); err == nil {
		t.Error("missing MemTotal accepted")
	}
}

func TestStateName(t *testing.T) {
	t.Parallel()
	for c, want := range map[byte]string{'R': "running", 'S': "sleeping", 'D': "disk-sleep", 'T': "stopped", 't': "stopped", 'Z': "defunct", 'I': "idle", '?': "unknown"} {
		if got := stateName(c); got != want {
			t.Errorf("stateName(%c) = %s, want %s", c, got, want)
		}
	}
}

// FuzzParsers: no parser of kernel or pid-file input may panic.
func FuzzParsers(f *testing.F) {
	f.Add("42 (bot) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 12345 1000 100\n")
	f.Add("1 2 3 4 5 6 7\n")
	f.Add("  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 11 1 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		_, _ = parseProcStat(b)
		_, _ = parseStatm(s, 4096)
		_, _ = parsePIDFile(b)
		_, _ = parseBootTime(b)
		_, _ = parseMemTotal(b)
		_, _ = socketInode(b)
		_ = countSocketInodes(b, map[uint64]struct{}{1: {}})
	})
}
