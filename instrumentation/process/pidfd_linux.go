//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package process

import (
	"syscall"
	"unsafe"
)

// sysPIDFDOpen is pidfd_open(2) (Linux 5.3), 434 on every architecture
// but the MIPS ABIs; Go's syscall package has no constant for it on amd64.
const sysPIDFDOpen = 434

// pidfdOpen returns a pidfd of the process pid (close-on-exec).
func pidfdOpen(pid int) (int, error) {
	fd, _, e := syscall.Syscall(sysPIDFDOpen, uintptr(pid), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// pollFD is struct pollfd.
type pollFD struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

// pidfdExited polls pidfd without waiting: true when its process exited
// (exited and not yet reaped included), or when the poll fails.
func pidfdExited(pidfd int) bool {
	p := pollFD{fd: int32(pidfd), events: pollIn}
	var zero syscall.Timespec
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1,
			uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
		switch {
		case e == syscall.EINTR:
			continue
		case e != 0:
			return true
		default:
			return n > 0 && p.revents != 0 // POLLIN, or POLLERR/POLLNVAL: re-identify
		}
	}
}
