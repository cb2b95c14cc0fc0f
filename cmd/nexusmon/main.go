// Command nexusmon is the nexusmon agent: `run`, `check-config`,
// `test-report` and `version`. It parses flags, handles signals and sets the
// exit code; everything else lives in package agent.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/nexusmon/nexusmon/agent"
)

const usage = `usage: nexusmon <command> [flags]

commands:
  run           run the agent (default config: embedded defaults);
                SIGHUP or POST /-/reload reloads the config file
  check-config  validate a config file: exit 0 when valid, 1 with every problem
  test-report   run the /nexus test_reporting checks from the command line
  version       print the version, the Go version and the build information

Run 'nexusmon <command> --help' for the command's flags.
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == "run" {
		raiseTimerSlack() // may re-execute the binary: before anything else
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	releaseStartupPages(slog.New(slog.DiscardHandler)) // package initialisation is done
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("nexusmon "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var flagUsage bytes.Buffer // stdout for --help, stderr after a flag error
	fs.Usage = func() {
		fmt.Fprintf(&flagUsage, "usage: nexusmon %s [flags]\n", cmd)
		fs.SetOutput(&flagUsage)
		fs.PrintDefaults()
	}
	path := fs.String("config", "", "config file (YAML); empty uses the embedded defaults")
	level := fs.String("log-level", "", "log level: debug, info, warn, error (default: the config's log.level)")
	format := fs.String("log-format", "text", "log format: text or json")
	switch cmd {
	case "version", "-version", "--version":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "nexusmon version: unexpected argument %q\n", args[0])
			return 2
		}
		fmt.Fprint(stdout, agent.VersionInfo())
		return 0
	case "run", "check-config", "test-report":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "nexusmon: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		stdout.Write(flagUsage.Bytes()) //nolint:errcheck // nothing to do about a broken stdout
		return 0
	} else if err != nil {
		stderr.Write(flagUsage.Bytes()) //nolint:errcheck
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nexusmon %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}
	lvl := new(slog.LevelVar)
	if err := lvl.UnmarshalText([]byte(*level)); *level != "" && err != nil {
		fmt.Fprintf(stderr, "nexusmon: --log-level: %v\n", err)
		return 2
	}
	log, err := agent.NewLogger(stderr, *format, lvl)
	if err != nil {
		fmt.Fprintf(stderr, "nexusmon: --log-format: %v\n", err)
		return 2
	}
	// The SDK's own error reports (each failed OTLP export) go to the debug
	// log: the agent logs the first failure and the recovery, and counts all.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Debug("opentelemetry", "err", err) }))
	if cmd == "check-config" && *path == "" {
		fmt.Fprintln(stderr, "nexusmon check-config: --config FILE is required")
		return 2
	}
	cfg, err := agent.LoadConfigFile(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "check-config":
		fmt.Fprintf(stdout, "%s: valid\n", *path)
		return 0
	case "test-report":
		return agent.TestReport(ctx, cfg, stdout, agent.WithLogger(log))
	}
	daemonProcs(os.Getenv)
	daemonHeapSampling(cfg.HTTP.PProf)
	hup := make(chan os.Signal, 1) // from now on SIGHUP reloads instead of killing
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	opts := []agent.Option{agent.WithLogger(log), agent.WithStdout(stdout), agent.WithStderr(stderr), agent.WithConfigFile(*path)}
	if *level == "" {
		opts = append(opts, agent.WithLogLevel(lvl)) // log.level applies, at start and on reload
	}
	a, err := agent.New(ctx, cfg, opts...)
	if err != nil {
		log.Error("nexusmon cannot start", "err", err)
		return 1
	}
	releaseStartupPages(log) // the store, the SDK and the exporters are set up
	if err := a.Start(ctx); err != nil {
		log.Error("nexusmon cannot start", "err", err)
		stopAgent(a, log)
		return 1
	}
	releaseStartupPages(log)
	go trimMemory(ctx, log)
	for {
		select {
		case <-ctx.Done():
			return stopAgent(a, log)
		case <-hup:
			log.Info("SIGHUP: reloading the config")
			a.ReloadConfigFile(ctx) //nolint:errcheck // it logs every problem and keeps the running config
		}
	}
}

// stopAgent stops a within 5 s; the exit code is 1 only when stopping failed.
func stopAgent(a *agent.Agent, log *slog.Logger) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		log.Error("nexusmon stopped with an error", "err", err)
		return 1
	}
	return 0
}
