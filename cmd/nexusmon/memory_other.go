//go:build !linux

package main

import "log/slog"

// releaseStartupPages is a Linux-only optimisation.
func releaseStartupPages(*slog.Logger) {}
