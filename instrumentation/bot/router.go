package bot

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// ErrUnknownSubcommand is the error of an invocation whose subcommand has
// no handler (and whose command has no fallback Handler). Its error type is
// "unknown_subcommand".
var ErrUnknownSubcommand error = unknownSubcommandError{}

type unknownSubcommandError struct{}

func (unknownSubcommandError) Error() string     { return "unknown subcommand" }
func (unknownSubcommandError) ErrorType() string { return "unknown_subcommand" }

// validName reports whether name is what Discord accepts for chat-input
// command and option names, ^[-_\p{L}\p{N}]{1,32}$ (lowercase is checked
// separately): 1 to 32 letters, digits, '-' or '_'. It is written out
// rather than a regexp: compiling \p{L} and \p{N} at package
// initialisation allocated 1.3 MB, in every agent, for a check made only
// when commands are added.
// https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-naming
func validName(name string) bool {
	n := 0
	for _, r := range name { // invalid UTF-8 is utf8.RuneError, not a letter
		if r != '-' && r != '_' && !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
		n++
	}
	return n >= 1 && n <= 32
}

// Command is one application command and its handlers.
type Command struct {
	// Definition is what Register sends to Discord. Its Name routes
	// invocations.
	Definition *discordgo.ApplicationCommand
	// Handler handles invocations that no Subcommands entry matches. May be
	// nil when Subcommands covers every subcommand.
	Handler Handler
	// Subcommands routes by the name of the invocation's first option when
	// it is a subcommand or subcommand group: "/nexus status" runs
	// Subcommands["status"]. Each key must be a subcommand (or group)
	// option of Definition. A declared subcommand without an entry runs
	// Handler, or fails with ErrUnknownSubcommand when Handler is nil. The
	// span name stays "command <name>"; the discord.command.name attribute
	// of every declared subcommand is "<name> <sub>", a bounded set.
	Subcommands map[string]Handler
}

// Module is a named group of commands (a "cog").
type Module struct {
	Name     string
	Commands []Command
}

// route is a registered top-level command.
type route struct {
	cmd     *command
	handler Handler
	subs    map[string]subRoute
}

type subRoute struct {
	cmd     *command
	handler Handler
}

// Router dispatches application command interactions to module handlers
// through the Instruments' middleware. Add modules before Register; Handle
// is safe to run concurrently with everything.
type Router struct {
	in *Instruments

	mu      sync.RWMutex
	modules map[string]bool
	defs    []*discordgo.ApplicationCommand
	routes  map[string]*route
}

// NewRouter returns an empty Router that instruments every invocation with
// in. A nil in means no instrumentation (handlers still run, panics are
// still recovered).
func NewRouter(in *Instruments) *Router {
	if in == nil {
		in = noopInstruments()
	}
	return &Router{in: in, modules: make(map[string]bool), routes: make(map[string]*route)}
}

// Add validates m and adds its commands. Names must be 1–32 lowercase
// letters, digits, '-' or '_'; module names and command names must be new.
// Every problem is reported; on error nothing is added.
func (r *Router) Add(m Module) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	if err := checkName(m.Name); err != nil {
		errs = append(errs, fmt.Errorf("module name: %w", err))
	} else if r.modules[m.Name] {
		errs = append(errs, fmt.Errorf("module %q: already added", m.Name))
	}
	if len(m.Commands) == 0 {
		errs = append(errs, fmt.Errorf("module %q: no commands", m.Name))
	}
	seen := make(map[string]bool)
	routes := make(map[string]*route)
	var defs []*discordgo.ApplicationCommand
	for i, c := range m.Commands {
		rt, err := newRoute(m.Name, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("module %q: command %d: %w", m.Name, i, err))
			continue
		}
		name := c.Definition.Name
		if seen[name] || r.routes[name] != nil {
			errs = append(errs, fmt.Errorf("module %q: command %q: already added", m.Name, name))
			continue
		}
		seen[name] = true
		routes[name] = rt
		defs = append(defs, c.Definition)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("add module: %w", err)
	}
	r.modules[m.Name] = true
	for name, rt := range routes {
		r.routes[name] = rt
	}
	r.defs = append(r.defs, defs...)
	return nil
}

func checkName(name string) error {
	if !validName(name) {
		return fmt.Errorf("%q: want 1-32 letters, digits, '-' or '_'", name)
	}
	if strings.ToLower(name) != name {
		return fmt.Errorf("%q: must be lowercase", name)
	}
	return nil
}

// newRoute validates c and builds its route with pre-built attributes.
func newRoute(module string, c Command) (*route, error) {
	d := c.Definition
	if d == nil {
		return nil, errors.New("no definition")
	}
	chat := d.Type == 0 || d.Type == discordgo.ChatApplicationCommand
	var errs []error
	if chat {
		if err := checkName(d.Name); err != nil {
			errs = append(errs, fmt.Errorf("name: %w", err))
		}
		if n := utf8.RuneCountInString(d.Description); n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("%q: description must be 1-100 characters, got %d", d.Name, n))
		}
	} else if n := utf8.RuneCountInString(d.Name); n < 1 || n > 32 {
		errs = append(errs, fmt.Errorf("%q: name must be 1-32 characters", d.Name))
	}
	if c.Handler == nil && len(c.Subcommands) == 0 {
		errs = append(errs, fmt.Errorf("%q: no handler", d.Name))
	}
	rt := &route{cmd: newCommand(module, d.Name, "command "+d.Name), handler: c.Handler}
	for sub, h := range c.Subcommands {
		if !hasSubOption(d, sub) {
			errs = append(errs, fmt.Errorf("%q: subcommand %q is not a subcommand option of the definition", d.Name, sub))
		}
		if h == nil {
			errs = append(errs, fmt.Errorf("%q: subcommand %q: no handler", d.Name, sub))
		}
	}
	// Every subcommand the definition declares gets its own attribute set,
	// so "/nexus alerts" is measured as "nexus alerts" even when the
	// fallback Handler (or nobody) serves it.
	for _, o := range d.Options {
		if o == nil || (o.Type != discordgo.ApplicationCommandOptionSubCommand &&
			o.Type != discordgo.ApplicationCommandOptionSubCommandGroup) {
			continue
		}
		h := c.Subcommands[o.Name]
		if h == nil {
			h = c.Handler
		}
		if h == nil {
			h = unknownSubcommand
		}
		if rt.subs == nil {
			rt.subs = make(map[string]subRoute)
		}
		rt.subs[o.Name] = subRoute{cmd: newCommand(module, d.Name+" "+o.Name, "command "+d.Name), handler: h}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rt, nil
}

func hasSubOption(d *discordgo.ApplicationCommand, name string) bool {
	for _, o := range d.Options {
		if o != nil && o.Name == name && (o.Type == discordgo.ApplicationCommandOptionSubCommand ||
			o.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
			return true
		}
	}
	return false
}

// Handle runs the handler of an application command interaction. Add it to
// a session with s.AddHandler(r.Handle). Other interaction types and
// commands the Router does not know are ignored, so other handlers may
// serve them.
func (r *Router) Handle(s *discordgo.Session, i *discordgo.InteractionCreate) {
	if i == nil || i.Interaction == nil || i.Type != discordgo.InteractionApplicationCommand {
		return
	}
	data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return
	}
	r.mu.RLock()
	rt := r.routes[data.Name]
	r.mu.RUnlock()
	if rt == nil {
		return
	}
	if rt.subs != nil && len(data.Options) > 0 && data.Options[0] != nil {
		if sr, ok := rt.subs[data.Options[0].Name]; ok {
			r.in.invoke(sr.cmd, sr.handler, s, i)
			return
		}
	}
	if rt.handler != nil {
		r.in.invoke(rt.cmd, rt.handler, s, i)
		return
	}
	r.in.invoke(rt.cmd, unknownSubcommand, s, i)
}

// unknownSubcommand answers an invocation the router cannot route (a stale
// registration, or a crafted interaction) so the user does not see "the
// application did not respond", and fails it as ErrUnknownSubcommand.
func unknownSubcommand(c *Context) error {
	err := c.Respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:         "Unknown command: it may have been removed. Try again after the command list refreshes.",
			Flags:           discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		},
	})
	if err != nil {
		return errors.Join(ErrUnknownSubcommand, err)
	}
	return ErrUnknownSubcommand
}

// Modules returns the number of modules added.
func (r *Router) Modules() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.modules)
}

// Commands returns the number of top-level application commands added.
func (r *Router) Commands() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.defs)
}
