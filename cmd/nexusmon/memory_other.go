//go:build !linux

package main

import (
	"context"
	"log/slog"
)

// releaseStartupPages, trimMemory and raiseTimerSlack are Linux-only
// optimisations.
func releaseStartupPages(*slog.Logger) {}

func trimMemory(context.Context, *slog.Logger) {}

func raiseTimerSlack() {}
