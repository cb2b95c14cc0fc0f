package bot

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"go.opentelemetry.io/otel/attribute"

	"github.com/nexusmon/nexusmon/internal/names"
)

func ok(*Context) error { return nil }

func chat(name string, subs ...string) *discordgo.ApplicationCommand {
	d := &discordgo.ApplicationCommand{Name: name, Description: "The " + name + " command"}
	for _, s := range subs {
		d.Options = append(d.Options, &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: s, Description: s,
		})
	}
	return d
}

func TestRouter_Add(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		module  Module
		wantErr []string // substrings; nil means success
	}{
		"valid": {module: Module{Name: "utility", Commands: []Command{
			{Definition: chat("ping"), Handler: ok},
			{Definition: chat("nexus", "status", "health"), Subcommands: map[string]Handler{"status": ok, "health": ok}},
			{Definition: &discordgo.ApplicationCommand{Name: "Report User", Type: discordgo.UserApplicationCommand}, Handler: ok},
			{Definition: chat("ünïcode-名前_1"), Handler: ok},
		}}},
		"bad module name":  {module: Module{Name: "Utility", Commands: []Command{{Definition: chat("a"), Handler: ok}}}, wantErr: []string{"module name", "lowercase"}},
		"empty module":     {module: Module{Name: "empty"}, wantErr: []string{"no commands"}},
		"nil definition":   {module: Module{Name: "m", Commands: []Command{{Handler: ok}}}, wantErr: []string{"no definition"}},
		"uppercase":        {module: Module{Name: "m", Commands: []Command{{Definition: chat("Ping"), Handler: ok}}}, wantErr: []string{"lowercase"}},
		"space":            {module: Module{Name: "m", Commands: []Command{{Definition: chat("two words"), Handler: ok}}}, wantErr: []string{"1-32"}},
		"too long":         {module: Module{Name: "m", Commands: []Command{{Definition: chat(strings.Repeat("a", 33)), Handler: ok}}}, wantErr: []string{"1-32"}},
		"no description":   {module: Module{Name: "m", Commands: []Command{{Definition: &discordgo.ApplicationCommand{Name: "a"}, Handler: ok}}}, wantErr: []string{"description"}},
		"no handler":       {module: Module{Name: "m", Commands: []Command{{Definition: chat("a")}}}, wantErr: []string{"no handler"}},
		"duplicate inside": {module: Module{Name: "m", Commands: []Command{{Definition: chat("a"), Handler: ok}, {Definition: chat("a"), Handler: ok}}}, wantErr: []string{"already added"}},
		"unknown subcommand": {
			module:  Module{Name: "m", Commands: []Command{{Definition: chat("a", "x"), Subcommands: map[string]Handler{"y": ok}}}},
			wantErr: []string{`subcommand "y"`},
		},
		"nil subcommand handler": {
			module:  Module{Name: "m", Commands: []Command{{Definition: chat("a", "x"), Subcommands: map[string]Handler{"x": nil}}}},
			wantErr: []string{"no handler"},
		},
		"every problem at once": {
			module:  Module{Name: "Bad", Commands: []Command{{Definition: chat("Up"), Handler: ok}, {Definition: chat("b")}}},
			wantErr: []string{"module name", "lowercase", "no handler"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := NewRouter(nil)
			err := r.Add(tc.module)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Add() = %v", err)
				}
				if r.Modules() != 1 || r.Commands() != len(tc.module.Commands) {
					t.Errorf("Modules()=%d Commands()=%d", r.Modules(), r.Commands())
				}
				return
			}
			if err == nil {
				t.Fatal("Add() succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if r.Modules() != 0 || r.Commands() != 0 {
				t.Errorf("a failed Add left Modules()=%d Commands()=%d", r.Modules(), r.Commands())
			}
		})
	}
}

func TestRouter_AddDuplicates(t *testing.T) {
	t.Parallel()
	r := NewRouter(nil)
	if err := r.Add(Module{Name: "a", Commands: []Command{{Definition: chat("ping"), Handler: ok}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(Module{Name: "a", Commands: []Command{{Definition: chat("pong"), Handler: ok}}}); err == nil || !strings.Contains(err.Error(), "module \"a\": already added") {
		t.Errorf("duplicate module: %v", err)
	}
	if err := r.Add(Module{Name: "b", Commands: []Command{{Definition: chat("ping"), Handler: ok}}}); err == nil || !strings.Contains(err.Error(), "already added") {
		t.Errorf("duplicate command across modules: %v", err)
	}
	if r.Modules() != 1 || r.Commands() != 1 {
		t.Errorf("Modules()=%d Commands()=%d, want 1 1", r.Modules(), r.Commands())
	}
}

func TestRouter_Handle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, InstrumentOptions{})
	var ran []string
	record := func(name string) Handler {
		return func(c *Context) error {
			ran = append(ran, name+"|"+c.Command+"|"+c.Module)
			return nil
		}
	}
	r := NewRouter(h.in)
	if err := r.Add(Module{Name: "monitor", Commands: []Command{{
		Definition:  chat("nexus", "status", "health", "alerts"),
		Subcommands: map[string]Handler{"status": record("status"), "health": record("health")},
	}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(Module{Name: "fun", Commands: []Command{
		{Definition: chat("roll", "d6"), Handler: record("roll"), Subcommands: map[string]Handler{"d6": record("d6")}},
	}}); err != nil {
		t.Fatal(err)
	}
	sub := func(name string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand}
	}
	arg := &discordgo.ApplicationCommandInteractionDataOption{Name: "sides", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(20)}
	component := &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{ID: "9", Type: discordgo.InteractionMessageComponent,
		Data: discordgo.MessageComponentInteractionData{CustomID: "x"}}}

	r.Handle(nil, newInteraction("1300000000000000101", "nexus", sub("status")))
	r.Handle(nil, newInteraction("1300000000000000102", "nexus", sub("alerts"))) // no handler, no fallback
	r.Handle(nil, newInteraction("1300000000000000103", "roll", sub("d6")))
	r.Handle(nil, newInteraction("1300000000000000104", "roll", arg)) // fallback handler
	r.Handle(nil, newInteraction("1300000000000000105", "unknown"))   // not ours: ignored
	r.Handle(nil, component)                                          // not a command: ignored
	r.Handle(nil, nil)
	r.Handle(nil, &discordgo.InteractionCreate{})

	want := []string{"status|nexus status|monitor", "d6|roll d6|fun", "roll|roll|fun"}
	if strings.Join(ran, ",") != strings.Join(want, ",") {
		t.Errorf("ran %v, want %v", ran, want)
	}
	spans := h.spans.Ended()
	var spanNames []string
	for _, s := range spans {
		n, _ := spanAttr(s, names.AttrCommandName)
		spanNames = append(spanNames, s.Name()+"="+n)
	}
	wantSpans := "command nexus=nexus status,command nexus=nexus alerts,command roll=roll d6,command roll=roll"
	if strings.Join(spanNames, ",") != wantSpans {
		t.Errorf("spans %v, want %s", spanNames, wantSpans)
	}
	rm := h.collect(t)
	nm := nameModule("nexus alerts", "monitor")
	if got := counter(rm, names.CommandInvocations, with(nm, attribute.String(names.AttrOutcome, OutcomeFailure))...); got != 1 {
		t.Errorf("unknown subcommand failures = %d, want 1", got)
	}
	if _, ok := histogram(rm, names.CommandDuration, with(nm, attribute.String(names.AttrErrorType, "unknown_subcommand"))...); !ok {
		t.Error("no duration with error.type=unknown_subcommand")
	}
	if got := counter(rm, names.CommandGuildInvocations, attribute.String(names.AttrGuildID, testGuild)); got != 4 {
		t.Errorf("guild invocations = %d, want 4", got)
	}
}

func TestRouter_WithoutInstruments(t *testing.T) {
	t.Parallel()
	r := NewRouter(nil)
	ran := 0
	if err := r.Add(Module{Name: "m", Commands: []Command{
		{Definition: chat("ping"), Handler: func(*Context) error { ran++; return nil }},
		{Definition: chat("boom"), Handler: func(*Context) error { panic("boom") }},
	}}); err != nil {
		t.Fatal(err)
	}
	r.Handle(nil, newInteraction("1300000000000000201", "ping"))
	r.Handle(nil, newInteraction("1300000000000000202", "boom")) // recovered
	if ran != 1 {
		t.Errorf("ping ran %d times, want 1", ran)
	}
}
