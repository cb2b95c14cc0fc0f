package host

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/disk"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/nexusmon/nexusmon/internal/names"
)

// partitionsTTL bounds how often the mount table is re-read; statfs of the
// kept mounts runs on every collection.
const partitionsTTL = 60 * time.Second

// imageFSTypes are block filesystems that are read-only images, always
// 100 % full (snaps, ISO images, container image layers): reporting them
// would only raise false disk alerts.
var imageFSTypes = map[string]bool{"squashfs": true, "iso9660": true, "erofs": true}

// skipMountPrefixes are trees where the kernel or container runtimes mount
// things that are not the user's storage.
var skipMountPrefixes = []string{"/proc/", "/sys/", "/dev/", "/run/credentials/", "/var/lib/docker/", "/var/lib/containers/storage/", "/snap/"}

// filesystemSource observes the space of real filesystems
// (nexusmon.collector="host.disk").
//
// Which mounts: those whose type is backed by a block device (listed in
// /proc/filesystems without "nodev", plus zfs), which leaves out proc,
// sysfs, tmpfs, overlay, cgroup and the like; plus the root mount "/"
// whatever its type, so an agent in a container still reports the disk
// its overlay root lives on. Read-only image filesystems, mounts below
// /proc, /sys, /dev, container storage and snaps, and bind-mounted files
// (/etc/hosts in a container) are skipped. A device mounted several times
// is reported once, at its shortest mount point.
type filesystemSource struct {
	usage metric.Int64ObservableUpDownCounter
	limit metric.Int64ObservableUpDownCounter

	listedAt time.Time
	mounts   []mount
}

// mount is one kept filesystem with its precomputed attribute sets.
type mount struct {
	disk.PartitionStat
	limit  metric.ObserveOption
	states [3]metric.ObserveOption // used, free, reserved
}

func newFilesystemSource(m metric.Meter) (source, error) {
	s := &filesystemSource{}
	var err error
	if s.usage, err = m.Int64ObservableUpDownCounter(names.SystemFilesystemUsage, metric.WithUnit("By"),
		metric.WithDescription("Filesystem space, by state (used, free for unprivileged users, reserved for root).")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemFilesystemUsage, err)
	}
	if s.limit, err = m.Int64ObservableUpDownCounter(names.SystemFilesystemLimit, metric.WithUnit("By"),
		metric.WithDescription("Total size of the filesystem.")); err != nil {
		return nil, fmt.Errorf("create %s: %w", names.SystemFilesystemLimit, err)
	}
	return s, nil
}

func (s *filesystemSource) name() string { return "host.disk" }

func (s *filesystemSource) instruments() []metric.Observable {
	return []metric.Observable{s.usage, s.limit}
}

func (s *filesystemSource) collect(c *collection, o metric.Observer) error {
	if s.listedAt.IsZero() || c.now.Sub(s.listedAt) >= partitionsTTL {
		if err := s.list(c); err != nil {
			return err
		}
	}
	var errs []error
	for i := range s.mounts {
		mt := &s.mounts[i]
		u, err := c.r.usage(c.ctx, mt.Mountpoint)
		if err != nil {
			errs = append(errs, fmt.Errorf("statfs %s: %w", mt.Mountpoint, err))
			continue
		}
		used, free, reserved := fsStates(u)
		o.ObserveInt64(s.usage, clamp(used), mt.states[0])
		o.ObserveInt64(s.usage, clamp(free), mt.states[1])
		o.ObserveInt64(s.usage, clamp(reserved), mt.states[2])
		o.ObserveInt64(s.limit, clamp(u.Total), mt.limit)
	}
	if len(errs) > 0 {
		s.listedAt = time.Time{} // a mount may be gone: list again next time
		return errors.Join(errs...)
	}
	return nil
}

func (s *filesystemSource) list(c *collection) error {
	parts, err := c.r.partitions(c.ctx)
	if err != nil {
		return fmt.Errorf("read mounts: %w", err)
	}
	b, err := c.r.readProc("filesystems")
	if err != nil {
		return fmt.Errorf("read filesystems: %w", err)
	}
	kept := selectPartitions(parts, parseBlockFilesystems(string(b)), c.r.isDir)
	s.mounts = s.mounts[:0]
	for _, p := range kept {
		base := []attribute.KeyValue{
			attribute.String(names.AttrDevice, p.Device),
			attribute.String(names.AttrMountpoint, p.Mountpoint),
			attribute.String(names.AttrFSType, p.Fstype),
		}
		mt := mount{PartitionStat: p, limit: metric.WithAttributeSet(attribute.NewSet(base...))}
		for i, st := range []string{"used", "free", "reserved"} {
			mt.states[i] = metric.WithAttributeSet(attribute.NewSet(append(base[:3:3], attribute.String(names.AttrFSState, st))...))
		}
		s.mounts = append(s.mounts, mt)
	}
	s.listedAt = c.now
	return nil
}

// parseBlockFilesystems returns the filesystem types of /proc/filesystems
// that need a block device (lines without "nodev"), plus zfs, which is
// marked nodev but stores data on disks.
func parseBlockFilesystems(procFilesystems string) map[string]bool {
	out := map[string]bool{}
	for line := range strings.SplitSeq(procFilesystems, "\n") {
		flag, fstype, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		fstype = strings.TrimSpace(fstype)
		if fstype != "" && (strings.TrimSpace(flag) == "" || fstype == "zfs") {
			out[fstype] = true
		}
	}
	return out
}

// selectPartitions applies the rules documented on filesystemSource. isDir
// reports whether a mount point is a directory (bind-mounted files are not).
func selectPartitions(parts []disk.PartitionStat, blockFS map[string]bool, isDir func(string) bool) []disk.PartitionStat {
	byDevice := map[string]disk.PartitionStat{}
	for _, p := range parts {
		if !keepPartition(p, blockFS) || !isDir(p.Mountpoint) {
			continue
		}
		if prev, ok := byDevice[p.Device]; ok && !shorterMount(p.Mountpoint, prev.Mountpoint) {
			continue
		}
		byDevice[p.Device] = p
	}
	out := make([]disk.PartitionStat, 0, len(byDevice))
	for _, p := range byDevice {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mountpoint < out[j].Mountpoint })
	return out
}

func keepPartition(p disk.PartitionStat, blockFS map[string]bool) bool {
	if p.Mountpoint == "" || imageFSTypes[p.Fstype] {
		return false
	}
	if p.Mountpoint == "/" {
		return p.Fstype != "rootfs" // the initramfs placeholder under a real root
	}
	for _, pre := range skipMountPrefixes {
		if strings.HasPrefix(p.Mountpoint+"/", pre) {
			return false
		}
	}
	return blockFS[p.Fstype]
}

func shorterMount(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// fsStates splits a statfs result: used = blocks - bfree, free = bavail
// (what unprivileged users can still write) and reserved = bfree - bavail
// (kept for root), so the three add up to the filesystem size.
func fsStates(u *disk.UsageStat) (used, free, reserved uint64) {
	used, free = u.Used, u.Free
	if used+free <= u.Total {
		reserved = u.Total - used - free
	}
	return used, free, reserved
}
