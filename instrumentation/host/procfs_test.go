package host

import (
	"reflect"
	"testing"

	"github.com/shirou/gopsutil/v4/disk"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []coreTimes
		wantErr bool
	}{
		{"two cores", "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 100 200 300 400 500 600 700 800 900 1000\ncpu12 1 0 0 0 0 0 0 0\n", []coreTimes{
			{core: 0, times: [8]float64{1, 2, 3, 4, 5, 6, 7, 8}},
			{core: 12, times: [8]float64{0.01}},
		}, false},
		{"old kernel, four columns", "cpu0 100 0 100 100\n", []coreTimes{{core: 0, times: [8]float64{1, 0, 1, 1}}}, false},
		{"no cpu lines", "intr 1\n", nil, true},
		{"garbage time", "cpu0 x 1 1 1\n", nil, true},
		{"garbage index", "cpu0x 1 1 1 1\n", nil, true},
		{"empty", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat([]byte(tt.in), nil, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMeminfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    memInfo
		wantErr bool
	}{
		{"full", "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable: 50 kB\nBuffers: 5 kB\nCached: 20 kB\nSReclaimable: 5 kB\nSwapTotal: 8 kB\nSwapFree: 8 kB\n",
			memInfo{total: 102400, available: 51200, used: 60 * 1024, free: 10240, buffers: 5120, cached: 25 * 1024, swapTotal: 8192, swapFree: 8192}, false},
		{"no MemAvailable (kernel < 3.14)", "MemTotal: 100 kB\nMemFree: 10 kB\nCached: 20 kB\n",
			memInfo{total: 102400, available: 30 * 1024, used: 70 * 1024, free: 10240, cached: 20 * 1024}, false},
		{"states over total", "MemTotal: 100 kB\nMemFree: 90 kB\nCached: 50 kB\n",
			memInfo{total: 102400, available: 140 * 1024, used: 10 * 1024, free: 90 * 1024, cached: 50 * 1024}, false},
		{"no MemTotal", "MemFree: 10 kB\n", memInfo{}, true},
		{"bad value", "MemTotal: lots kB\n", memInfo{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMeminfo([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseLoadavg(t *testing.T) {
	t.Parallel()
	got, err := parseLoadavg([]byte("0.10 0.20 3.50 2/300 42\n"))
	if err != nil || got != [3]float64{0.1, 0.2, 3.5} {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"", "0.1 0.2", "a b c", "-1 0 0"} {
		if _, err := parseLoadavg([]byte(bad)); err == nil {
			t.Errorf("parseLoadavg(%q) succeeded", bad)
		}
	}
}

func TestParseDiskstats(t *testing.T) {
	t.Parallel()
	in := "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n short line\n 259 0 nvme0n1 10 0 20 0 30 0 40 0 0 0 0 0 0 0 0 0 0\n"
	got, err := parseDiskstats([]byte(in), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].name) != "sda" || got[0].reads != 1 || got[0].readBytes != 3*512 ||
		got[0].writes != 5 || got[0].writeBytes != 7*512 || string(got[1].name) != "nvme0n1" || got[1].writeBytes != 40*512 {
		t.Errorf("got %+v", got)
	}
	if _, err := parseDiskstats([]byte("8 0 sda x 2 3 4 5 6 7 8 9 10 11\n"), nil, nil); err == nil {
		t.Error("bad counter accepted")
	}
}

func TestParseNetDev(t *testing.T) {
	t.Parallel()
	in := "Inter-| Receive | Transmit\n face |bytes packets|bytes\n" +
		"  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\nveth1a2b:100 0 0 0 0 0 0 0 200 0 0 0 0 0 0 0\n"
	got, err := parseNetDev([]byte(in), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := netDevStat{rxBytes: 1, rxPackets: 2, rxErrs: 3, rxDrop: 4, txBytes: 9, txPackets: 10, txErrs: 11, txDrop: 12}
	g := got[0]
	g.name = nil
	if len(got) != 2 || string(got[0].name) != "eth0" || !reflect.DeepEqual(g, want) || string(got[1].name) != "veth1a2b" || got[1].txBytes != 200 {
		t.Errorf("got %+v", got)
	}
	if _, err := parseNetDev([]byte("Inter-|\n face |\n"), nil, nil); err == nil {
		t.Error("no interfaces accepted")
	}
}

func TestParseCPUInfoMHz(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []coreMHz
	}{
		{"x86", "processor\t: 0\nmodel name\t: X\ncpu MHz\t\t: 2596.134\n\nprocessor\t: 1\ncpu MHz\t\t: 800.000\n", []coreMHz{{0, 2596.134}, {1, 800}}},
		{"arm, no MHz", "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\n", []coreMHz{{0, 0}, {1, 0}}},
		{"MHz before any processor", "cpu MHz : 100\n", nil},
		{"garbage", "processor : x\ncpu MHz : NaN\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseCPUInfoMHz(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseKHz(t *testing.T) {
	t.Parallel()
	if v, ok := parseKHz("2400000\n"); !ok || v != 2400000 {
		t.Errorf("got %d %v", v, ok)
	}
	for _, bad := range []string{"", "0", "-5", "abc", "99999999999999999999"} {
		if _, ok := parseKHz(bad); ok {
			t.Errorf("parseKHz(%q) accepted", bad)
		}
	}
}

func TestSelectPartitions(t *testing.T) {
	t.Parallel()
	block := parseBlockFilesystems("nodev\tsysfs\nnodev\ttmpfs\n\text4\n\txfs\nnodev\toverlay\nnodev\tzfs\n\tsquashfs\n")
	if !reflect.DeepEqual(block, map[string]bool{"ext4": true, "xfs": true, "zfs": true, "squashfs": true}) {
		t.Fatalf("block filesystems %v", block)
	}
	parts := []disk.PartitionStat{
		{Device: "overlay", Mountpoint: "/", Fstype: "overlay"},                // container root: kept
		{Device: "/dev/sda1", Mountpoint: "/etc/hosts", Fstype: "ext4"},        // bind-mounted file
		{Device: "/dev/sda1", Mountpoint: "/var/log", Fstype: "ext4"},          // kept
		{Device: "/dev/sda1", Mountpoint: "/var/log/app", Fstype: "ext4"},      // same device, longer
		{Device: "tank/data", Mountpoint: "/tank", Fstype: "zfs"},              // kept
		{Device: "/dev/loop3", Mountpoint: "/snap/go/1", Fstype: "squashfs"},   // image
		{Device: "/dev/sdb1", Mountpoint: "/var/lib/docker/x", Fstype: "ext4"}, // container storage
		{Device: "/dev/sdc1", Mountpoint: "/mnt/backup", Fstype: "xfs"},        // kept
		{Device: "tmpfs", Mountpoint: "/dev/shm", Fstype: "tmpfs"},             // pseudo
		{Device: "sysfs", Mountpoint: "/sys", Fstype: "sysfs"},                 // pseudo
		{Device: "rootfs", Mountpoint: "/", Fstype: "rootfs"},                  // initramfs placeholder
	}
	isDir := func(p string) bool { return p != "/etc/hosts" }
	var got []string
	for _, p := range selectPartitions(parts, block, isDir) {
		got = append(got, p.Device+" "+p.Mountpoint)
	}
	want := []string{"overlay /", "/dev/sdc1 /mnt/backup", "tank/data /tank", "/dev/sda1 /var/log"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWholeDevices(t *testing.T) {
	t.Parallel()
	got := wholeDevices([]string{"sda", "loop0", "ram1", "zram0", "nvme0n1", "dm-0"})
	if !reflect.DeepEqual(got, map[string]bool{"sda": true, "nvme0n1": true, "dm-0": true}) {
		t.Errorf("got %v", got)
	}
	for name, want := range map[string]bool{"sda": true, "sda1": false, "nvme0n1": true, "nvme0n1p2": false, "loop1": false, "dm-0": true, "mmcblk0p1": false} {
		if keepDevice(name) != want {
			t.Errorf("keepDevice(%s) = %v", name, !want)
		}
	}
}

// FuzzParsers feeds arbitrary bytes to every parser of kernel files: none
// may panic.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"cpu0 1 2 3 4 5 6 7 8\n", "MemTotal: 1 kB\n", "1 2 3 4/5 6", "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
		"a\nb\n eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "processor : 0\ncpu MHz : 1\n", "nodev\tproc\n\text4\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		_, _ = parseProcStat(b, nil, nil)
		_, _ = parseMeminfo(b)
		_, _ = parseLoadavg(b)
		_, _ = parseDiskstats(b, nil, nil)
		_, _ = parseNetDev(b, nil, nil)
		_ = parseCPUInfoMHz(s)
		_, _ = parseKHz(s)
		_ = parseBlockFilesystems(s)
	})
}
