package discordtest

import (
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/ratelimit"
)

// Identifiers of the default fixture. They are snowflakes in the shape Discord
// uses, fixed so tests can name them without asking the server.
const (
	DefaultGuildID    = "1100000000000000000"
	DefaultChannelID  = "1100000000000000010"
	DefaultChannel2ID = "1100000000000000011"
	DefaultAppID      = "1200000000000000000"
	DefaultBotID      = "1200000000000000001"
	DefaultToken      = "test-bot-token"
)

// Limits of the fake itself and interaction timing (Discord's payload
// limits are in internal/payload).
const (
	maxBodySize        = 64 << 20 // what the fake reads at most; Discord's 25 MiB cap is not enforced
	interactionTTL     = 15 * time.Minute
	interactionTimeout = 3 * time.Second
)

// Options configures a Server. The zero value of a field means its default;
// New fills defaults before applying Option functions.
type Options struct {
	// Guilds are the guilds the bot is in. Default: one guild DefaultGuildID
	// "Test Guild" with member_count 42 and two text channels.
	Guilds []Guild
	// HeartbeatInterval is sent in HELLO. Default 45 s.
	HeartbeatInterval time.Duration
	// BotToken is the valid token, without "Bot ". Default DefaultToken.
	// Requests with another token get 401 {"code":0,"message":"401: Unauthorized"}
	// and an IDENTIFY with another token gets close code 4004.
	BotToken string
	// Validate enforces Discord's payload limits. New sets it to true.
	Validate bool
	// Limits overrides the rate-limit window of a route key (see the package
	// documentation for keys and defaults). A Limit of 0 or less disables
	// rate limiting and its headers for that route.
	Limits map[string]RouteLimit
	// InteractionDeadline is how long after its dispatch an interaction
	// accepts its initial callback. Default 3 s, as on Discord.
	InteractionDeadline time.Duration
	// InteractionTokenLifetime is how long an interaction token can be used
	// for followups and @original edits. Default 15 min, as on Discord.
	InteractionTokenLifetime time.Duration
	// Now is the clock for rate-limit windows, timestamps, interaction
	// deadlines and the invalid-request window. Default time.Now.
	Now func() time.Time
}

// Guild is a guild of the fixture, sent in GUILD_CREATE.
type Guild struct {
	ID, Name    string
	MemberCount int
	Channels    []Channel
}

// Channel is a guild channel of the fixture. Type follows Discord's channel
// types (0 text, 2 voice, 4 category, ...).
type Channel struct {
	ID, Name string
	Type     int
}

// RouteLimit is a fixed rate-limit window: Limit requests per Window for each
// major parameter of a route.
type RouteLimit struct {
	Limit  int
	Window time.Duration
}

// Option changes Options.
type Option func(*Options)

// WithGuilds replaces the default guilds.
func WithGuilds(g ...Guild) Option {
	return func(o *Options) { o.Guilds = append([]Guild(nil), g...) }
}

// WithoutValidation turns off the payload limit checks.
func WithoutValidation() Option {
	return func(o *Options) { o.Validate = false }
}

// WithLimit sets the rate-limit window of one route key, for example
// "POST /channels/{id}/messages".
func WithLimit(route string, l RouteLimit) Option {
	return func(o *Options) {
		if o.Limits == nil {
			o.Limits = map[string]RouteLimit{}
		}
		o.Limits[route] = l
	}
}

// WithHeartbeatInterval sets the heartbeat interval sent in HELLO.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(o *Options) { o.HeartbeatInterval = d }
}

// WithToken sets the valid bot token (without "Bot ").
func WithToken(tok string) Option {
	return func(o *Options) { o.BotToken = tok }
}

// WithInteractionDeadline sets how long an interaction accepts its initial
// callback after its dispatch (Discord: 3 s).
func WithInteractionDeadline(d time.Duration) Option {
	return func(o *Options) { o.InteractionDeadline = d }
}

// WithInteractionTokenLifetime sets how long an interaction token is valid for
// followups and edits (Discord: 15 min).
func WithInteractionTokenLifetime(d time.Duration) Option {
	return func(o *Options) { o.InteractionTokenLifetime = d }
}

// WithClock replaces the clock used for rate-limit windows, message
// timestamps, interaction deadlines and the invalid-request window. Delays
// in scripted replies still use real time.
func WithClock(now func() time.Time) Option {
	return func(o *Options) { o.Now = now }
}

func defaultOptions() Options {
	return Options{
		Guilds: []Guild{{
			ID:          DefaultGuildID,
			Name:        "Test Guild",
			MemberCount: 42,
			Channels: []Channel{
				{ID: DefaultChannelID, Name: "general", Type: 0},
				{ID: DefaultChannel2ID, Name: "nexus-reports", Type: 0},
			},
		}},
		HeartbeatInterval:        45 * time.Second,
		BotToken:                 DefaultToken,
		Validate:                 true,
		InteractionDeadline:      interactionTimeout,
		InteractionTokenLifetime: interactionTTL,
		Now:                      time.Now,
	}
}

// fillDefaults repairs fields an Option set to zero values.
func (o *Options) fillDefaults() {
	d := defaultOptions()
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = d.HeartbeatInterval
	}
	if o.BotToken == "" {
		o.BotToken = d.BotToken
	}
	if o.InteractionDeadline <= 0 {
		o.InteractionDeadline = d.InteractionDeadline
	}
	if o.InteractionTokenLifetime <= 0 {
		o.InteractionTokenLifetime = d.InteractionTokenLifetime
	}
	if o.Now == nil {
		o.Now = d.Now
	}
}

// limitFor returns the window of a route key: the configured one, else
// ratelimit.Default.
func (o *Options) limitFor(route string) RouteLimit {
	if l, ok := o.Limits[route]; ok {
		return l
	}
	return RouteLimit(ratelimit.Default(route))
}
