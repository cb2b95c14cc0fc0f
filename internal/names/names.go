// Package names holds every metric name, instrumentation scope and attribute
// key that nexusmon emits or reads, in one file, so that instrumentation (which
// emits) and the Discord exporter (which reads) agree without importing each
// other. System and process conventions are "Development" in OTel semantic
// conventions v1.43.0; where a name may change, it changes here only.
//
// Names and attribute keys that semconv defines are taken from the generated
// packages (semconv, systemconv, processconv, goconv). Every other name is
// nexusmon's own and says so: nexusmon.* (load average, process shared and
// data memory, connections, creation time, status, Go heap and GC pause
// figures) or discord.*.
package names

import (
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/goconv"
	"go.opentelemetry.io/otel/semconv/v1.43.0/processconv"
	"go.opentelemetry.io/otel/semconv/v1.43.0/systemconv"
)

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
	// ScopeExporter is the scope of package deliver's instruments. It keeps
	// the name of the package they came from (exporter/discord, split into
	// report, render and deliver): dashboards select on it.
	ScopeExporter = "github.com/nexusmon/nexusmon/exporter/discord"
	ScopeAgent    = "github.com/nexusmon/nexusmon/agent"
	// ScopeCollect holds the collectors' success and duration gauges,
	// shared by the host, process and runtime collectors.
	ScopeCollect = "github.com/nexusmon/nexusmon/internal/collect"
)

// AttrScope is the pseudo-attribute the snapshot adapters add to every
// point so readers can tell apart same-named metrics of different scopes.
const AttrScope = "otel.scope.name"

// Attribute keys.
const (
	AttrCPUMode        = string(semconv.CPUModeKey)          // systemconv.CPUMode*: user, nice, system, idle, iowait, interrupt, steal
	AttrCPULogical     = string(semconv.CPULogicalNumberKey) // int
	AttrMemoryState    = string(semconv.SystemMemoryStateKey)
	AttrPagingState    = string(semconv.SystemPagingStateKey)
	AttrDevice         = string(semconv.SystemDeviceKey)
	AttrMountpoint     = string(semconv.SystemFilesystemMountpointKey)
	AttrFSType         = string(semconv.SystemFilesystemTypeKey)
	AttrFSState        = string(semconv.SystemFilesystemStateKey) // used, free, reserved
	AttrDiskDirection  = string(semconv.DiskIODirectionKey)       // read, write
	AttrNetDirection   = string(semconv.NetworkIODirectionKey)    // transmit, receive
	AttrInterface      = string(semconv.NetworkInterfaceNameKey)
	AttrProcessPID     = string(semconv.ProcessPIDKey) // int
	AttrProcessState   = "nexusmon.process.state"      // semconv process.state values (systemconv.ProcessState*) plus nexusmon's not_found, dead, unknown
	AttrGoMemoryType   = string(semconv.GoMemoryTypeKey)
	AttrCollector      = "nexusmon.collector"                      // which source a success gauge describes
	AttrCommandName    = "discord.command.name"                    // span + metric
	AttrCommandModule  = "discord.command.module"                  // span + metric
	AttrGuildID        = "discord.guild.id"                        // span; metric only on the bounded per-guild counter
	AttrChannelID      = "discord.channel.id"                      // span; metric only on the bounded per-channel counter
	AttrInteractionID  = "discord.interaction.id"                  // span only
	AttrUserID         = "discord.user.id"                         // span only, and only when the config opts in
	AttrErrorType      = string(semconv.ErrorTypeKey)              // metric + span, only on failure
	AttrOutcome        = "discord.command.outcome"                 // success, failure
	AttrRoute          = "discord.rest.route"                      // REST bucket route template, e.g. "POST /channels/{id}/messages"
	AttrStatusCode     = string(semconv.HTTPResponseStatusCodeKey) // int
	AttrCloseCode      = "discord.gateway.close_code"
	AttrRateLimitScope = "discord.rate_limit.scope" // user, global, shared
	AttrProbeTarget    = "nexusmon.probe.target"    // URL without userinfo and query
	AttrProbeKind      = "nexusmon.probe.kind"      // discord_api, internet
	AttrProbePhase     = "nexusmon.probe.phase"     // dns, connect, tls, first_byte, total
	AttrDeliveryReason = "nexusmon.delivery.reason" // why a message failed: bad_request, unauthorized, forbidden, not_found, too_large, expired
	AttrDestination    = "nexusmon.destination"     // bot, webhook
	AttrExportBackend  = "nexusmon.export.backend"  // otlp_metrics, otlp_traces
)

// Host metrics (scope ScopeHost), semconv names from systemconv.
var (
	SystemCPUTime          = systemconv.CPUTime{}.Name()              // s, counter, per cpu.logical_number and cpu.mode
	SystemCPULogicalCount  = systemconv.CPULogicalCount{}.Name()      // {cpu}
	SystemCPUPhysicalCount = systemconv.CPUPhysicalCount{}.Name()     // {cpu}
	SystemCPUFrequency     = systemconv.CPUFrequency{}.Name()         // Hz, gauge, per cpu.logical_number
	SystemMemoryUsage      = systemconv.MemoryUsage{}.Name()          // By; used, free (MemFree), buffers, cached
	SystemMemoryLimit      = systemconv.MemoryLimit{}.Name()          // By, MemTotal
	SystemMemoryAvailable  = systemconv.MemoryLinuxAvailable{}.Name() // By, MemAvailable
	SystemPagingUsage      = systemconv.PagingUsage{}.Name()          // By, system.paging.state used|free
	SystemFilesystemUsage  = systemconv.FilesystemUsage{}.Name()      // By, device, mountpoint, type, state used|free|reserved
	SystemFilesystemLimit  = systemconv.FilesystemLimit{}.Name()      // By, device, mountpoint, type
	SystemDiskIO           = systemconv.DiskIO{}.Name()               // By, counter, device, disk.io.direction
	SystemDiskOperations   = systemconv.DiskOperations{}.Name()       // {operation}, counter, device, disk.io.direction
	SystemNetworkIO        = systemconv.NetworkIO{}.Name()            // By, counter, per network.interface.name and direction
	SystemNetworkPackets   = systemconv.NetworkPacketCount{}.Name()   // {packet}, counter, system.device, network.io.direction
	SystemNetworkErrors    = systemconv.NetworkErrors{}.Name()        // {error}, counter, network.interface.name, network.io.direction
	SystemNetworkDropped   = systemconv.NetworkPacketDropped{}.Name() // {packet}, counter, network.interface.name, network.io.direction
)

// Host metrics semconv lacks (scope ScopeHost), and the collectors' health
// (scope ScopeCollect).
const (
	SystemLoad1m             = "nexusmon.system.cpu.load_average.1m" // {thread}, gauge
	SystemLoad5m             = "nexusmon.system.cpu.load_average.5m"
	SystemLoad15m            = "nexusmon.system.cpu.load_average.15m"
	CollectorSuccess         = "nexusmon.collector.success"  // 1 or 0, gauge, nexusmon.collector = host.cpu, host.load, host.memory, host.swap, host.disk, host.diskio, host.network, host.frequency, process, runtime
	CollectorDurationSeconds = "nexusmon.collector.duration" // s, gauge, last duration of each source
)

// Bot process metrics (scope ScopeProcess); the process (process.pid) is their resource, not a point attribute.
var (
	ProcessCPUTime       = processconv.CPUTime{}.Name()                 // s, counter, cpu.mode user|system
	ProcessMemoryUsage   = processconv.MemoryUsage{}.Name()             // By, RSS
	ProcessMemoryVirtual = processconv.MemoryVirtual{}.Name()           // By, VMS
	ProcessThreadCount   = processconv.ThreadCount{}.Name()             // {thread}
	ProcessOpenFDs       = processconv.UnixFileDescriptorCount{}.Name() // {file_descriptor}
	ProcessUptime        = processconv.Uptime{}.Name()                  // s, gauge
)

// Bot process metrics semconv lacks (scope ScopeProcess).
const (
	ProcessMemoryShared      = "nexusmon.process.memory.shared"            // By
	ProcessMemoryData        = "nexusmon.process.memory.data"              // By
	ProcessMemoryUtilization = "nexusmon.process.memory.utilization"       // 1, RSS / MemTotal
	ProcessConnections       = "nexusmon.process.network.connection.count" // {connection}, counted from the process's own sockets
	ProcessCreationTime      = "nexusmon.process.creation.time"            // s since the Unix epoch, gauge
	ProcessStatus            = "nexusmon.process.status"                   // gauge, process.state
)

// Go runtime metrics. Contrib runtime (scope ScopeContribRuntime) emits
// go.memory.used, go.memory.allocated, go.memory.allocations,
// go.memory.gc.goal, go.goroutine.count, go.processor.limit, go.config.gogc.
var (
	GoMemoryAllocated = goconv.MemoryAllocated{}.Name() // By, counter (contrib)
	GoMemoryGCGoal    = goconv.MemoryGCGoal{}.Name()    // By (contrib) = next_gc
	GoGoroutineCount  = goconv.GoroutineCount{}.Name()  // {goroutine} (contrib)
	GoGCCycles        = goconv.MemoryGCCycles{}.Name()  // {gc_cycle}, counter (nexusmon: contrib does not emit it)
)

// Go runtime metrics semconv lacks (scope ScopeRuntime).
const (
	GoMemoryFreed  = "nexusmon.go.memory.freed"         // By, counter
	GoGCPauseTotal = "nexusmon.go.memory.gc.pause.time" // s, counter: total stop-the-world time
	GoGCPauseLast  = "nexusmon.go.memory.gc.pause.last" // s, gauge
	GoHeapAlloc    = "nexusmon.go.memory.heap.alloc"    // By, gauge: live heap bytes
	GoHeapObjects  = "nexusmon.go.memory.heap.objects"  // {object}, gauge
	GoMemorySys    = "nexusmon.go.memory.sys"           // By, gauge: total from the OS
)

// Discord session metrics (scope ScopeBot).
const (
	DiscordConnected        = "discord.gateway.connected"           // 0/1
	DiscordGuilds           = "discord.guilds"                      // {guild}
	DiscordUsers            = "discord.users"                       // {user}, sum of member_count
	DiscordChannels         = "discord.channels"                    // {channel}
	DiscordLatency          = "discord.gateway.latency"             // s, gauge
	DiscordUptime           = "discord.session.uptime"              // s, gauge
	DiscordShardID          = "discord.shard.id"                    // gauge, no unit (an id)
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
	CommandGuildInvocations = "discord.command.guild.invocations"   // counter: discord.guild.id, the first bot.MaxIDSeries guilds, then "other"
	CommandChanInvocations  = "discord.command.channel.invocations" // counter: discord.channel.id, likewise
)

// Probe metrics (scope ScopeProbe); attributes nexusmon.probe.target and .kind.
const (
	ProbeDuration     = "nexusmon.probe.duration"     // s, gauge of the last probe; nexusmon.probe.phase
	ProbeUp           = "nexusmon.probe.up"           // 0/1, last probe succeeded
	ProbeStatusCode   = "nexusmon.probe.status_code"  // gauge, no unit, last HTTP status (0 when none)
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

	// The memory queue that carries messages while the store cannot write.
	MemoryQueueDepth      = "nexusmon.memory_queue.depth"      // {message}, gauge, nexusmon.destination
	MessagesNotDurable    = "nexusmon.messages.not_durable"    // counter: delivered from the memory queue
	MessagesMemoryDropped = "nexusmon.messages.memory_dropped" // counter: dropped from the full memory queue
)

// The OTLP receiver (scope ScopeReceiver): a bot in another language sends
// its command spans and session and runtime metrics (docs/conventions.md).
const (
	ScopeReceiver          = "github.com/nexusmon/nexusmon/receiver/otlp"
	ReceiverRequests       = "nexusmon.receiver.requests"        // {request}, counter, http.response.status_code
	ReceiverAccepted       = "nexusmon.receiver.accepted"        // counter, nexusmon.receiver.signal: spans (command spans recorded), points (points kept)
	ReceiverDropped        = "nexusmon.receiver.dropped"         // counter, nexusmon.receiver.signal + nexusmon.receiver.reason
	ReceiverForwardDropped = "nexusmon.receiver.forward.dropped" // {request}, counter, nexusmon.receiver.signal: not forwarded (queue full or export failed)

	AttrReceiverSignal = "nexusmon.receiver.signal" // spans, points
	AttrReceiverReason = "nexusmon.receiver.reason" // rate_limited, invalid, not_command, unknown_metric, command_limit, series_limit

	// Resource attributes the receiver keeps on each received point.
	AttrServiceName     = string(semconv.ServiceNameKey)
	AttrServiceInstance = string(semconv.ServiceInstanceIDKey)
	AttrRuntimeName     = "process.runtime.name" // nodejs, cpython, go
	AttrSDKLanguage     = string(semconv.TelemetrySDKLanguageKey)

	// Command spans (docs/conventions.md): the span name is SpanCommandPrefix
	// and the command; the first response is an event.
	SpanCommandPrefix  = "command "
	EventFirstResponse = "discord.command.first_response"
)

// Runtime metrics of bots in other languages, as their OpenTelemetry
// instrumentations name them (received only).
const (
	NodeHeapUsed          = "v8js.memory.heap.used"            // By, v8js.heap.space.name
	NodeHeapLimit         = "v8js.memory.heap.limit"           // By, v8js.heap.space.name
	NodeEventLoopDelayP50 = "nodejs.eventloop.delay.p50"       // s
	NodeEventLoopDelayP99 = "nodejs.eventloop.delay.p99"       // s
	NodeEventLoopDelayMax = "nodejs.eventloop.delay.max"       // s
	NodeGCDuration        = "v8js.gc.duration"                 // s, histogram, v8js.gc.type
	PyGCCollections       = "cpython.gc.collections"           // {collection}, counter, cpython.gc.generation
	PyGCCollected         = "cpython.gc.collected_objects"     // {object}, counter, cpython.gc.generation
	PyGCUncollectable     = "cpython.gc.uncollectable_objects" // {object}, counter, cpython.gc.generation
	AttrNodeHeapSpace     = "v8js.heap.space.name"
	AttrNodeGCType        = "v8js.gc.type"
	AttrPyGCGeneration    = "cpython.gc.generation"
)
