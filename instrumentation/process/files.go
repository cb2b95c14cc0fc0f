package process

import (
	"syscall"

	"github.com/nexusmon/nexusmon/internal/procfs"
)

// The files read at every collection (/proc/PID/stat, statm and the fd
// directory) stay open while the process is followed and are read again
// from offset 0 (the directory after an lseek to 0): their content is
// generated at each read, so a collection costs no openat or close. Such a
// descriptor stays bound to the process it was opened for: once that
// process is gone, reads fail (ESRCH, ENOENT) even if another process gets
// the pid, so a reused pid is never read through it. The three are opened
// together, before stat is read: stat reading afterwards proves its
// process held the pid all along, so statm and the directory are that
// process's too. They are closed on any collection that does not follow
// the process (gone, exited, another process, unreadable), and by Stop.

// readStat reads /proc/PID/stat through the kept files, opening them when
// there are none. A kept stat that fails to read (its process is gone) is
// closed with the others and opened again, once, in this collection, as a
// fresh read would: the pid may be another process's now, which the start
// time decides.
func (c *Collector) readStat() ([]byte, error) {
	if c.stat != nil {
		b, err := c.stat.ReadInto(&c.buf)
		if err == nil {
			return b, nil
		}
		c.closeFiles()
	}
	if err := c.openFiles(); err != nil {
		return nil, err
	}
	return c.stat.ReadInto(&c.buf)
}

// openFiles opens stat, statm and the fd directory of the pid. The
// directory may fail to open (another user's process): countFDs then
// tries again, and reports the error.
func (c *Collector) openFiles() error {
	stat, err := procfs.OpenFile(c.statPath)
	if err != nil {
		return err
	}
	statm, err := procfs.OpenFile(c.statmPath)
	if err != nil {
		_ = stat.Close()
		return err
	}
	c.stat, c.statm = stat, statm
	if fd, err := openDir(&c.fdDir[0]); err == nil {
		c.setFDDir(fd)
	}
	return nil
}

// setFDDir keeps fd, the open fd directory, and notes whether it is
// procfs's, whose size is the process's descriptor count (fdCount).
func (c *Collector) setFDDir(fd int) {
	var st syscall.Statfs_t
	c.fdDirFD = fd
	c.fdDirProc = syscall.Fstatfs(fd, &st) == nil && st.Type == procSuperMagic
}

// procSuperMagic is PROC_SUPER_MAGIC, procfs's f_type.
const procSuperMagic = 0x9fa0

// closeFiles closes the kept files; the next collection opens them again.
func (c *Collector) closeFiles() {
	if c.stat != nil {
		_ = c.stat.Close() // read-only: a close error loses nothing
		_ = c.statm.Close()
		c.stat, c.statm = nil, nil
	}
	c.closeFDDir()
}

func (c *Collector) closeFDDir() {
	if c.fdDirFD >= 0 {
		_ = syscall.Close(c.fdDirFD)
		c.fdDirFD = -1
	}
}
