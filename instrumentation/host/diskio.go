package host

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// devicesTTL bounds how often the block-device list (/sys/block) is re-read.
const devicesTTL = 60 * time.Second

// partitionName matches partitions of common disks; used only when
// /sys/block cannot be read (node_exporter's default exclusion).
var partitionName = regexp.MustCompile(`^((h|s|v|xv)d[a-z]+|nvme\d+n\d+p|mmcblk\d+p)\d+$`)

// diskIOSource observes cumulative bytes and operations per block device
// (nexusmon.collector="host.diskio").
//
// Which devices: whole devices, i.e. the entries of /sys/block (sda, vda,
// nvme0n1, dm-0, md0), never their partitions (sda1), whose I/O the whole
// disk already counts. Loop, ram and zram devices are skipped. Device-mapper
// and md devices are kept, as psutil does, so a sum over devices counts
// LVM/RAID I/O twice (once on dm-N, once on the disks below it).
type diskIOSource struct {
	io  metric.Int64ObservableCounter
	ops metric.Int64ObservableCounter

	listedAt time.Time
	devices  map[string]bool // nil: /sys/block unreadable, filter by name
	attrs    attrCache[[2]metric.ObserveOption]
	stats    []diskStat // reused between collections
	scratch  [][]byte
}

func newDiskIOSource(m metric.Meter) (source, error) {
	s := &diskIOSource{}
	var err error
	if s.io, err = m.Int64ObservableCounter(names.SystemDiskIO, metric.WithUnit("By"),
		metric.WithDescription("Bytes read from and written to each block device.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemDiskIO, err)
	}
	if s.ops, err = m.Int64ObservableCounter(names.SystemDiskOperations, metric.WithUnit("{operation}"),
		metric.WithDescription("Completed read and write operations of each block device.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemDiskOperations, err)
	}
	return s, nil
}

func (s *diskIOSource) name() string { return "host.diskio" }

func (s *diskIOSource) instruments() []metric.Observable { return []metric.Observable{s.io, s.ops} }

func (s *diskIOSource) collect(c *collection, o metric.Observer) error {
	if s.listedAt.IsZero() || c.now.Sub(s.listedAt) >= devicesTTL {
		entries, err := c.r.listSys("block")
		if err != nil {
			s.devices = nil
		} else {
			s.devices = wholeDevices(entries)
		}
		s.listedAt = c.now
	}
	b, err := c.r.readProc("diskstats")
	if err != nil {
		return fmt.Errorf("read diskstats: %w", err)
	}
	if s.stats, err = parseDiskstats(b, s.stats, s.scratch); err != nil {
		return err
	}
	s.attrs.begin()
	for i := range s.stats {
		st := &s.stats[i]
		if !s.keep(st.name) {
			continue
		}
		a, ok := s.attrs.get(string(st.name))
		if !ok {
			dev := attribute.String(names.AttrDevice, string(st.name))
			a = [2]metric.ObserveOption{
				metric.WithAttributeSet(attribute.NewSet(dev, attribute.String(names.AttrDiskDirection, "read"))),
				metric.WithAttributeSet(attribute.NewSet(dev, attribute.String(names.AttrDiskDirection, "write"))),
			}
			s.attrs.put(string(st.name), a)
		}
		o.ObserveInt64(s.io, clamp(st.readBytes), a[0])
		o.ObserveInt64(s.io, clamp(st.writeBytes), a[1])
		o.ObserveInt64(s.ops, clamp(st.reads), a[0])
		o.ObserveInt64(s.ops, clamp(st.writes), a[1])
	}
	s.attrs.end()
	return nil
}

func (s *diskIOSource) keep(name []byte) bool {
	if s.devices != nil {
		return s.devices[string(name)]
	}
	return keepDevice(string(name))
}

// wholeDevices filters /sys/block entries down to the devices reported.
func wholeDevices(entries []string) map[string]bool {
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !isVirtualDevice(e) {
			out[e] = true
		}
	}
	return out
}

func isVirtualDevice(name string) bool {
	return strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram")
}

// keepDevice is the fallback filter when /sys/block cannot be listed.
func keepDevice(name string) bool {
	return !isVirtualDevice(name) && !partitionName.MatchString(name)
}
