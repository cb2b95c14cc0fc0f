//go:build !linux

package otelcoltest

import "syscall"

// sysProcAttr has nothing to add outside Linux: t.Cleanup stops the collector.
func sysProcAttr() *syscall.SysProcAttr { return nil }
