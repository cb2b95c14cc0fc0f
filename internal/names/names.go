// Package names holds every metric name, instrumentation scope and attribute
// key that nexusmon emits or reads, in one file, so that instrumentation (which
// emits) and the Discord exporter (which reads) agree without importing each
// other. System and process conventions are "Development" in OTel semantic
// conventions v1.43.0; where a name may change, it changes here only.
//
// Names under nexusmon.* and the process.memory.shared/data,
// process.creation.time, process.network.connection.count and
// system.cpu.load_average.* names are nexusmon's own: semconv has none.
package names

// Instrumentation scopes. The contrib host and runtime modules use their own
// import paths as scope names.
const (
	ScopeContribHost    = "go.opentelemetry.io/contrib/instrumentation/host"
	ScopeContribRuntime = "go.opentelemetry.io/contrib/instrumentation/runtime"
	ScopeHost           = "github.com/nexusmon/nexusmon/instrumentation/host"
	ScopeProcess        = "github.com/nexusmon/nexusmon/instrumentation/process"
	ScopeRuntime        = "github.com/nexusmon/nexusmon/instrumentation/runtime"
	ScopeBot            = "github.com/nexusmon/nexusmon/instrumentation/bot"
	ScopeProbe          = "github.com/nexusmon/nexusmon/instrumentation/probe"
	ScopeExporter       = "github.com/nexusmon/nexusmon/exporter/discord"
	ScopeAgent          = "github.com/nexusmon/nexusmon/agent"
	// ScopeCollect holds the collectors' success and duration gauges,
	// shared by the host, process and runtime collectors.
	ScopeCollect = "github.com/nexusmon/nexusmon/internal/collect"
)

// AttrScope is the pseudo-attribute the exporter's snapshot adds to every
// point so readers can tell apart same-named metrics of different scopes.
const AttrScope = "otel.scope.name"

// Attribute keys.
const (
	AttrCPUMode        = "cpu.mode"           // user, nice, system, idle, iowait, irq, softirq, steal (contrib: user, system, idle, other)
	AttrCPULogical     = "cpu.logical_number" // int
	AttrMemoryState    = "system.memory.state"
	AttrPagingState    = "system.paging.state"
	AttrDevice         = "system.device"
	AttrMountpoint     = "system.filesystem.mountpoint"
	AttrFSType         = "system.filesystem.type"
	AttrFSState        = "system.filesystem.state" // used, free, reserved
	AttrDiskDirection  = "disk.io.direction"       // read, write
	AttrNetDirection   = "network.io.direction"    // transmit, receive
	AttrInterface      = "network.interface.name"
	AttrProcessPID     = "process.pid"   // int
	AttrProcessState   = "process.state" // running, sleeping, stopped, defunct, ...
	AttrGoMemoryType   = "go.memory.type"
	AttrCollector      = "nexusmon.collector"        // which source a success gauge describes
	AttrCommandName    = "discord.command.name"      // span + metric
	AttrCommandModule  = "discord.command.module"    // span + metric
	AttrGuildID        = "discord.guild.id"          // span; metric only on the bounded per-guild counter
	AttrChannelID      = "discord.channel.id"        // span; metric only on the bounded per-channel counter
	AttrInteractionID  = "discord.interaction.id"    // span only
	AttrUserID         = "discord.user.id"           // span only, and only when the config opts in
	AttrErrorType      = "error.type"                // metric + span, only on failure
	AttrOutcome        = "discord.command.outcome"   // success, failure
	AttrRoute          = "discord.rest.route"        // REST bucket route template, e.g. "POST /channels/{id}/messages"
	AttrStatusCode     = "http.response.status_code" // int
	AttrCloseCode      = "discord.gateway.close_code"
	AttrRateLimitScope = "discord.rate_limit.scope" // user, global, shared
	AttrProbeTarget    = "nexusmon.probe.target"    // URL without userinfo and query
	AttrProbeKind      = "nexusmon.probe.kind"      // discord_api, internet
	AttrProbePhase     = "nexusmon.probe.phase"     // dns, connect, tls, first_byte, total
	AttrDeliveryReason = "nexusmon.delivery.reason" // why a message failed: bad_request, unauthorized, forbidden, not_found, too_large, expired
	AttrDestination    = "nexusmon.destination"     // bot, webhook
	AttrReportKind     = "nexusmon.report"          // the report's event name
	AttrExportBackend  = "nexusmon.export.backend"  // otlp_metrics, otlp_traces
)

// Host metrics from contrib host (scope ScopeContribHost).
const (
	ProcessCPUTime          = "process.cpu.time"          // s, counter; contrib: this process; ours: the bot process (with process.pid)
	SystemCPUTime           = "system.cpu.time"           // s, counter; contrib: totals by mode; ours: per cpu.logical_number and mode
	SystemMemoryUsage       = "system.memory.usage"       // By; contrib: used, free(=Available); ours: used, free(MemFree), buffers, cached
	SystemMemoryUtilization = "system.memory.utilization" // 1
	SystemNetworkIO         = "system.network.io"         // By, counter; contrib: totals by direction; ours: per interface
)

// Host metrics of nexusmon's own (scope ScopeHost).
const (
	SystemCPULogicalCount    = "system.cpu.logical.count"   // {cpu}
	SystemCPUPhysicalCount   = "system.cpu.physical.count"  // {cpu}
	SystemCPUFrequency       = "system.cpu.frequency"       // Hz, gauge, per cpu.logical_number
	SystemLoad1m             = "system.cpu.load_average.1m" // {thread}, gauge
	SystemLoad5m             = "system.cpu.load_average.5m"
	SystemLoad15m            = "system.cpu.load_average.15m"
	SystemMemoryLimit        = "system.memory.limit"           // By, MemTotal
	SystemMemoryAvailable    = "system.memory.linux.available" // By, MemAvailable
	SystemPagingUsage        = "system.paging.usage"           // By, system.paging.state used|free
	SystemFilesystemUsage    = "system.filesystem.usage"       // By, device, mountpoint, type, state used|free|reserved
	SystemFilesystemLimit    = "system.filesystem.limit"       // By, device, mountpoint, type
	SystemDiskIO             = "system.disk.io"                // By, counter, device, disk.io.direction
	SystemDiskOperations     = "system.disk.operations"        // {operation}, counter, device, disk.io.direction
	SystemNetworkPackets     = "system.network.packet.count"   // {packet}, counter, system.device, network.io.direction
	SystemNetworkErrors      = "system.network.errors"         // {error}, counter, network.interface.name, network.io.direction
	SystemNetworkDropped     = "system.network.packet.dropped" // {packet}, counter, network.interface.name, network.io.direction
	CollectorSuccess         = "nexusmon.collector.success"    // 1 or 0, gauge, nexusmon.collector = host.cpu, host.load, host.memory, host.swap, host.disk, host.diskio, host.network, host.frequency, process, runtime
	CollectorDurationSeconds = "nexusmon.collector.duration"   // s, gauge, last duration of each source
)

// Bot process metrics (scope ScopeProcess); every point carries process.pid.
const (
	ProcessMemoryUsage       = "process.memory.usage"               // By, RSS
	ProcessMemoryVirtual     = "process.memory.virtual"             // By, VMS
	ProcessMemoryShared      = "process.memory.shared"              // By
	ProcessMemoryData        = "process.memory.data"                // By
	ProcessMemoryUtilization = "process.memory.utilization"         // 1, RSS / MemTotal
	ProcessThreadCount       = "process.thread.count"               // {thread}
	ProcessOpenFDs           = "process.unix.file_descriptor.count" // {file_descriptor}
	ProcessConnections       = "process.network.connection.count"   // {connection}, counted from the process's own sockets
	ProcessCreationTime      = "process.creation.time"              // s since the Unix epoch, gauge
	ProcessUptime            = "process.uptime"                     // s, gauge
	ProcessStatus            = "process.status"                     // 1, gauge, process.state
	// ProcessCPUTime (above) with cpu.mode user|system and process.pid.
)

// Go runtime metrics. Contrib runtime (scope ScopeContribRuntime) emits
// go.memory.used, go.memory.allocated, go.memory.allocations,
// go.memory.gc.goal, go.goroutine.count, go.processor.limit, go.config.gogc.
// nexusmon adds (scope ScopeRuntime):
const (
	GoMemoryAllocated = "go.memory.allocated"      // By, counter (contrib)
	GoMemoryGCGoal    = "go.memory.gc.goal"        // By (contrib) = next_gc
	GoGoroutineCount  = "go.goroutine.count"       // {goroutine} (contrib)
	GoMemoryFreed     = "go.memory.freed"          // By, counter
	GoGCCycles        = "go.memory.gc.cycles"      // {gc_cycle}, counter
	GoGCPauseTotal    = "go.memory.gc.pause.total" // s, counter
	GoGCPauseLast     = "go.memory.gc.pause.last"  // s, gauge
	GoHeapAlloc       = "go.memory.heap.alloc"     // By, gauge: live heap bytes
	GoHeapObjects     = "go.memory.heap.objects"   // {object}, gauge
	GoMemorySys       = "go.memory.sys"            // By, gauge: total from the OS
)

// Discord session metrics (scope ScopeBot).
const (
	DiscordConnected        = "discord.gateway.connected"           // 0/1
	DiscordGuilds           = "discord.guilds"                      // {guild}
	DiscordUsers            = "discord.users"                       // {user}, sum of member_count
	DiscordChannels         = "discord.channels"                    // {channel}
	DiscordLatency          = "discord.gateway.latency"             // s, gauge
	DiscordUptime           = "discord.session.uptime"              // s, gauge
	DiscordShardID          = "discord.shard.id"                    // gauge
	DiscordShardCount       = "discord.shard.count"                 // gauge
	DiscordReconnects       = "discord.gateway.reconnects"          // counter
	DiscordResumes          = "discord.gateway.resumes"             // counter
	DiscordDisconnects      = "discord.gateway.disconnects"         // counter, discord.gateway.close_code
	DiscordReady            = "discord.gateway.ready"               // counter
	DiscordModules          = "discord.modules"                     // {module}
	DiscordCommands         = "discord.commands"                    // {command}, registered
	DiscordRESTDuration     = "discord.rest.request.duration"       // s, histogram, route + status code
	DiscordRateLimits       = "discord.rest.rate_limits"            // counter, route + scope
	DiscordInvalidRequests  = "discord.rest.invalid_requests"       // gauge: 401/403/429 in the last 10 min
	CommandDuration         = "discord.command.duration"            // s, histogram: name, module, error.type on failure
	CommandInvocations      = "discord.command.invocations"         // counter: name, module, outcome
	CommandFirstResponse    = "discord.command.first_response"      // s, histogram: name, module
	CommandLateResponses    = "discord.command.late_responses"      // counter: name, module (first response after 3 s)
	CommandGuildInvocations = "discord.command.guild.invocations"   // counter: discord.guild.id (bounded by the SDK cardinality limit)
	CommandChanInvocations  = "discord.command.channel.invocations" // counter: discord.channel.id
)

// Probe metrics (scope ScopeProbe); attributes nexusmon.probe.target and .kind.
const (
	ProbeDuration     = "nexusmon.probe.duration"     // s, gauge of the last probe; nexusmon.probe.phase
	ProbeUp           = "nexusmon.probe.up"           // 0/1, last probe succeeded
	ProbeStatusCode   = "nexusmon.probe.status_code"  // gauge, last HTTP status (0 when none)
	ProbeErrors       = "nexusmon.probe.errors"       // counter, error.type = timeout, dns, connect, tls, status, reset, other
	ProbeAvailability = "nexusmon.probe.availability" // 1, success ratio over the last hour
)

// Delivery and self-telemetry (scope ScopeExporter / ScopeAgent).
const (
	OutboxDepth       = "nexusmon.outbox.depth"          // {message}, gauge, nexusmon.destination
	MessagesSent      = "nexusmon.messages.sent"         // counter, nexusmon.destination
	MessagesFailed    = "nexusmon.messages.failed"       // counter, nexusmon.destination + nexusmon.delivery.reason
	MessagesDropped   = "nexusmon.messages.dropped"      // counter: superseded edits / queue policy
	MessagesRateLimit = "nexusmon.messages.rate_limited" // counter: 429s received
	MessagesRetries   = "nexusmon.messages.retries"      // counter
	DeliveryDuration  = "nexusmon.delivery.duration"     // s, histogram: enqueue to accepted
	StoreErrors       = "nexusmon.store.errors"          // counter
	ExportErrors      = "nexusmon.export.errors"         // counter, nexusmon.export.backend
	ReportsBuilt      = "nexusmon.reports"               // counter, nexusmon.report

	// The memory queue that carries messages while the store cannot write.
	MemoryQueueDepth      = "nexusmon.memory_queue.depth"      // {message}, gauge, nexusmon.destination
	MessagesNotDurable    = "nexusmon.messages.not_durable"    // counter: delivered from the memory queue
	MessagesMemoryDropped = "nexusmon.messages.memory_dropped" // counter: dropped from the full memory queue
)
