package otelcoltest

import "syscall"

// sysProcAttr makes the kernel kill the collector if the test process dies
// without running its cleanups (a panic, a timeout, SIGKILL), so no collector
// outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
