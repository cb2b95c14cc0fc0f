//go:build !linux

package main

import (
	"context"
	"log/slog"
)

// releaseStartupPages and trimMemory are Linux-only optimisations.
func releaseStartupPages(*slog.Logger) {}

func trimMemory(context.Context, *slog.Logger) {}
