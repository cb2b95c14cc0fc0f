package host

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// The files read on every collection (/proc/stat, meminfo, loadavg,
// diskstats, net/dev) are read and parsed here instead of through
// gopsutil: gopsutil's disk.IOCounters also opens udev and sysfs files for
// every device's serial number and label, and its line readers allocate
// per line and field. A collection must stay within 1 ms of CPU.

// coreTimes is one "cpuN" line of /proc/stat in seconds, in the order of
// cpuModes.
type coreTimes struct {
	core  int
	times [len(cpuModes)]float64
}

// parseProcStat returns the per-CPU lines of /proc/stat ("cpu0 …"); the
// aggregate "cpu" line is skipped. Linux already counts guest time inside
// user and guest_nice inside nice, so those columns are not added again.
// Kernels older than 2.6.33 have fewer columns; missing ones read 0.
func parseProcStat(b []byte, dst []coreTimes, scratch [][]byte) ([]coreTimes, error) {
	dst = dst[:0]
	for len(b) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		if len(line) < 4 || !bytes.HasPrefix(line, []byte("cpu")) || line[3] < '0' || line[3] > '9' {
			continue
		}
		scratch = procfs.Fields(line, scratch)
		core, err := strconv.Atoi(string(scratch[0][3:]))
		if err != nil || core < 0 {
			return nil, errors.New("/proc/stat: bad cpu line")
		}
		ct := coreTimes{core: core}
		for i := 0; i < len(cpuModes) && i+1 < len(scratch); i++ {
			v, err := procfs.ParseUint(scratch[i+1])
			if err != nil {
				return nil, errors.New("/proc/stat: bad cpu time")
			}
			ct.times[i] = float64(v) / procfs.UserHZ
		}
		dst = append(dst, ct)
	}
	if len(dst) == 0 {
		return nil, errors.New("/proc/stat: no cpu lines")
	}
	return dst, nil
}

// parseMeminfo reads the fields memInfo needs from /proc/meminfo (kB). As
// in gopsutil and psutil, cached includes SReclaimable; without
// MemAvailable (kernels before 3.14) available is free + cached.
func parseMeminfo(b []byte) (memInfo, error) {
	var m memInfo
	var sreclaimable uint64
	haveAvail := false
	for len(b) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		var dst *uint64
		switch string(line[:colon]) {
		case "MemTotal":
			dst = &m.total
		case "MemFree":
			dst = &m.free
		case "MemAvailable":
			dst, haveAvail = &m.available, true
		case "Buffers":
			dst = &m.buffers
		case "Cached":
			dst = &m.cached
		case "SReclaimable":
			dst = &sreclaimable
		case "SwapTotal":
			dst = &m.swapTotal
		case "SwapFree":
			dst = &m.swapFree
		default:
			continue
		}
		v := bytes.TrimSpace(line[colon+1:])
		v = bytes.TrimSuffix(v, []byte(" kB"))
		n, err := procfs.ParseUint(bytes.TrimSpace(v))
		if err != nil {
			return memInfo{}, errors.New("/proc/meminfo: bad value of " + string(line[:colon]))
		}
		*dst = n * 1024
	}
	if m.total == 0 {
		return memInfo{}, errors.New("/proc/meminfo: no MemTotal")
	}
	m.cached += sreclaimable
	if !haveAvail {
		m.available = m.free + m.cached
	}
	if s := m.free + m.buffers + m.cached; s <= m.total {
		m.used = m.total - s
	} else if m.free <= m.total { // psutil's fallback for odd containers
		m.used = m.total - m.free
	}
	return m, nil
}

// parseLoadavg parses the first three fields of /proc/loadavg.
func parseLoadavg(b []byte) ([3]float64, error) {
	var out [3]float64
	f := procfs.Fields(b, make([][]byte, 0, 5))
	if len(f) < 3 {
		return out, errors.New("/proc/loadavg: too few fields")
	}
	for i := range out {
		v, err := strconv.ParseFloat(string(f[i]), 64)
		if err != nil || v < 0 {
			return out, errors.New("/proc/loadavg: bad value")
		}
		out[i] = v
	}
	return out, nil
}

// diskStat is one /proc/diskstats line: completed operations and bytes
// (sectors of 512 bytes, whatever the device's sector size).
type diskStat struct {
	name                  []byte // aliases the read buffer
	reads, writes         uint64
	readBytes, writeBytes uint64
}

func parseDiskstats(b []byte, dst []diskStat, scratch [][]byte) ([]diskStat, error) {
	dst = dst[:0]
	for len(b) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		scratch = procfs.Fields(line, scratch)
		if len(scratch) < 14 {
			continue
		}
		var v [4]uint64
		for i, col := range [4]int{3, 5, 7, 9} {
			n, err := procfs.ParseUint(scratch[col])
			if err != nil {
				return nil, errors.New("/proc/diskstats: bad counter")
			}
			v[i] = n
		}
		dst = append(dst, diskStat{name: scratch[2], reads: v[0], readBytes: v[1] * 512, writes: v[2], writeBytes: v[3] * 512})
	}
	return dst, nil
}

// netDevStat is one interface of /proc/net/dev.
type netDevStat struct {
	name                               []byte // aliases the read buffer
	rxBytes, rxPackets, rxErrs, rxDrop uint64
	txBytes, txPackets, txErrs, txDrop uint64
}

// parseNetDev parses /proc/net/dev: two header lines, then
// "iface: rx bytes packets errs drop fifo frame compressed multicast
// tx bytes packets errs drop fifo colls carrier compressed".
func parseNetDev(b []byte, dst []netDevStat, scratch [][]byte) ([]netDevStat, error) {
	dst = dst[:0]
	for len(b) > 0 {
		var line []byte
		line, b = procfs.NextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		name := bytes.TrimSpace(line[:colon])
		scratch = procfs.Fields(line[colon+1:], scratch)
		if len(scratch) < 16 || len(name) == 0 {
			continue
		}
		var v [8]uint64
		for i, col := range [8]int{0, 1, 2, 3, 8, 9, 10, 11} {
			n, err := procfs.ParseUint(scratch[col])
			if err != nil {
				return nil, errors.New("/proc/net/dev: bad counter")
			}
			v[i] = n
		}
		dst = append(dst, netDevStat{name: name,
			rxBytes: v[0], rxPackets: v[1], rxErrs: v[2], rxDrop: v[3],
			txBytes: v[4], txPackets: v[5], txErrs: v[6], txDrop: v[7]})
	}
	if len(dst) == 0 {
		return nil, errors.New("/proc/net/dev: no interfaces")
	}
	return dst, nil
}
