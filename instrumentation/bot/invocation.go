package bot

import (
	"context"
	"errors"
	"sync"
	"time"
	"unicode/utf8"
)

// Invocation is one command invocation that ran elsewhere (in a bot written
// in another language, reported over OTLP), for RecordInvocation. Its
// strings are untrusted: RecordInvocation cleans and bounds them.
type Invocation struct {
	Command       string    // discord.command.name, e.g. "nexus status"
	Module        string    // discord.command.module, "" allowed
	GuildID       string    // "" in DMs; anything but a snowflake is dropped
	ChannelID     string    //
	InteractionID string    //
	Start, End    time.Time // handler start and end
	FirstResponse time.Time // when the first interaction response was sent; zero when none was
	ErrorType     string    // error.type; "" for a success
	Message       string    // the error text (failures only)
	Panic         bool      // the handler crashed rather than returned an error
}

// Bounds of what RecordInvocation accepts from another process.
const (
	// MaxRemoteCommands bounds the distinct (module, command) pairs of
	// recorded invocations: each is a series of every command instrument.
	MaxRemoteCommands = 200
	// MaxRemoteErrorTypes bounds the distinct error types of recorded
	// invocations; later ones are recorded as ErrorTypeOther.
	MaxRemoteErrorTypes = 50
	// maxNameRunes bounds command, module and error type names (a Discord
	// command path is at most 3 × 32 characters and two spaces).
	maxNameRunes = 100
)

// ErrorTypeOther is the error type of a recorded failure that had none, or
// one past MaxRemoteErrorTypes (semconv's fallback value).
const ErrorTypeOther = "_OTHER"

// Errors of RecordInvocation.
var (
	ErrInvalidInvocation = errors.New("invalid invocation: no command name, or end before start")
	ErrTooManyCommands   = errors.New("too many distinct commands")
)

// remoteState holds the commands and error types of recorded invocations,
// by their names as received, so a repeated name is not cleaned again.
type remoteState struct {
	mu         sync.Mutex
	cmds       map[[2]string]*command // (module, command) as received
	errorTypes map[string]string      // as received → cleaned
}

// RecordInvocation records an invocation that ran elsewhere exactly as a
// Router or Wrap invocation is recorded: duration, invocation outcome, time
// to first response and late responses, the guild and channel counters,
// and for a failure an ErrorEvent to OnError (its Goroutines and HeapAlloc
// are zero: they describe another process). It creates no span: the
// caller has the invocation's own. Names are sanitised (see Sanitize) and
// cut to 100 runes, the message to MaxMessageRunes, IDs that are not
// snowflakes are dropped. It returns ErrInvalidInvocation for an
// invocation without a command or with End before Start, and
// ErrTooManyCommands for a new command past MaxRemoteCommands; neither is
// recorded.
func (in *Instruments) RecordInvocation(inv Invocation) error {
	if inv.End.Before(inv.Start) {
		return ErrInvalidInvocation
	}
	cmd, err := in.remoteCommand(inv.Module, inv.Command)
	if err != nil {
		return err
	}
	ctx := context.Background()
	elapsed := inv.End.Sub(inv.Start)
	guildID, channelID := snowflake(inv.GuildID), snowflake(inv.ChannelID)
	if !inv.FirstResponse.IsZero() && !inv.FirstResponse.Before(inv.Start) {
		in.respondedAfter(ctx, cmd, inv.FirstResponse.Sub(inv.Start))
	}
	if inv.ErrorType == "" && inv.Message == "" && !inv.Panic {
		in.succeeded(ctx, cmd, elapsed)
	} else {
		in.failed(ctx, cmd, ErrorEvent{
			ErrorType:     in.remoteErrorType(inv.ErrorType, inv.Panic),
			Message:       Sanitize(inv.Message),
			GuildID:       guildID,
			ChannelID:     channelID,
			InteractionID: snowflake(inv.InteractionID),
			Duration:      elapsed,
			At:            inv.End,
			Panic:         inv.Panic,
		})
	}
	in.countIDs(guildID, channelID)
	return nil
}

// remoteCommand returns the command of module and name as received,
// cleaning them and creating it while fewer than MaxRemoteCommands exist.
func (in *Instruments) remoteCommand(module, name string) (*command, error) {
	r := &in.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	k := [2]string{module, name}
	if c, ok := r.cmds[k]; ok {
		return c, nil
	}
	clean := cleanName(name)
	if clean == "" {
		return nil, ErrInvalidInvocation
	}
	if len(r.cmds) >= MaxRemoteCommands {
		return nil, ErrTooManyCommands
	}
	if r.cmds == nil {
		r.cmds = make(map[[2]string]*command)
	}
	c := newCommand(cleanName(module), clean, "command "+clean)
	r.cmds[k] = c
	return c, nil
}

// remoteErrorType cleans and bounds the error types of recorded failures.
func (in *Instruments) remoteErrorType(raw string, panicked bool) string {
	r := &in.remote
	r.mu.Lock()
	defer r.mu.Unlock()
	et, ok := r.errorTypes[raw]
	switch {
	case ok:
	case raw == "":
	case len(r.errorTypes) >= MaxRemoteErrorTypes:
		return ErrorTypeOther
	default:
		et = cleanName(raw)
		if r.errorTypes == nil {
			r.errorTypes = make(map[string]string)
		}
		r.errorTypes[raw] = et
	}
	switch {
	case et == "" && panicked:
		return ErrorTypePanic
	case et == "":
		return ErrorTypeOther
	}
	return et
}

// cleanName sanitises an untrusted name and cuts it to maxNameRunes.
func cleanName(s string) string {
	s = Sanitize(s)
	if utf8.RuneCountInString(s) <= maxNameRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == maxNameRunes {
			return s[:i]
		}
		n++
	}
	return s
}

// snowflake returns id when it is a Discord snowflake (1 to 20 digits),
// else "".
func snowflake(id string) string {
	if len(id) == 0 || len(id) > 20 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return ""
		}
	}
	return id
}
