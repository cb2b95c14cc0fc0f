"""nexusmon_otel: OpenTelemetry for discord.py 2.x bots, in nexusmon's conventions.

    from nexusmon_otel import NexusmonTelemetry
    await bot.add_cog(NexusmonTelemetry(bot))   # e.g. in setup_hook

Every application (slash) command invocation becomes a span ``command <full
name>`` with discord.command.name, discord.command.module (the cog's name, ""
outside a cog), discord.guild.id, discord.channel.id and
discord.interaction.id; a failure sets error.type, an ``exception`` event and
status ERROR; the first interaction response (defer, send_message,
edit_message, send_modal) adds the event ``discord.command.first_response``.
The client's session metrics (discord.*) and CPython runtime metrics
(cpython.gc.*, process.memory.usage) are observed on every export.

Telemetry goes through one small emitter interface (``span``, ``metric``,
``shutdown``): the OpenTelemetry Python SDK with its OTLP/HTTP exporters when
``opentelemetry-sdk`` and ``opentelemetry-exporter-otlp-proto-http`` are
importable, otherwise nexusmon_otlp_json (standard library only). Both read
OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318) and
OTEL_SERVICE_NAME.

How discord.py 2.2 is hooked: the cog wraps its tree's ``interaction_check``
(span start, before the command runs) and ``on_error`` (failure), listens to
``on_app_command_completion`` (success), and wraps the four response methods
of ``discord.InteractionResponse`` once per process (first response); every
wrapper is removed again when the cog is unloaded.
"""

import asyncio
import functools
import gc
import logging
import os
import re
import sys
import time

import discord
from discord import app_commands
from discord.ext import commands

import nexusmon_otlp_json
from nexusmon_otlp_json import COUNTER, GAUGE

log = logging.getLogger("nexusmon_otel")

__all__ = ["NexusmonTelemetry", "SpanRecord", "SpanEvent", "new_emitter", "sanitize", "command_path", "setup"]

FIRST_RESPONSE_EVENT = "discord.command.first_response"
EXTRAS_KEY = "nexusmon_otel.span"
MAX_MESSAGE_CHARS = 500

# Wall-clock nanoseconds that advance with the monotonic clock, so a span's
# duration is right even when the wall clock is stepped mid-command.
_WALL0, _MONO0 = time.time_ns(), time.monotonic_ns()


def now_ns():
    return _WALL0 + (time.monotonic_ns() - _MONO0)


class SpanEvent:
    __slots__ = ("name", "time_ns", "attributes")

    def __init__(self, name, time_ns, attributes=None):
        self.name, self.time_ns, self.attributes = name, time_ns, attributes or {}


class SpanRecord:
    """A finished (or finishing) command span, handed to Emitter.span."""

    def __init__(self, name, attributes, start_ns=None):
        self.name = name
        self.attributes = dict(attributes)
        self.start_ns = now_ns() if start_ns is None else start_ns
        self.end_ns = None
        self.events = []
        self.error_message = None  # not None: status ERROR with this description

    def first_response(self):
        if not any(e.name == FIRST_RESPONSE_EVENT for e in self.events):
            self.events.append(SpanEvent(FIRST_RESPONSE_EVENT, now_ns()))

    def fail(self, exc):
        """Marks the span failed by exc (a CommandInvokeError is unwrapped)."""
        if isinstance(exc, app_commands.CommandInvokeError) and exc.original is not None:
            exc = exc.original
        cls = type(exc)
        msg = sanitize(str(exc)) or cls.__name__
        qual = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        self.attributes["error.type"] = cls.__name__
        self.error_message = msg
        self.events.append(SpanEvent("exception", now_ns(), {"exception.type": qual, "exception.message": msg}))


# sanitize: the rules of nexusmon's Go Sanitize, so an error text carries no
# token into a span.
_REDACTIONS = [
    (re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"), "[token]"),
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:Bot|Bearer|Basic)\s+)?[^\s\"',]+"), r"\1[redacted]"),
    (re.compile(r"\b(Bot|Bearer|Basic) +[A-Za-z0-9_\-.=+/]{20,}"), r"\1 [redacted]"),
    (re.compile(r"(/webhooks/[0-9]+/)[^/\s?#\"'<>]+"), r"\1[token]"),
    (re.compile(r"(/interactions/[0-9]+/)[^/\s?#\"'<>]+"), r"\1[token]"),
    (re.compile(r"(://)[^/\s@]+@"), r"\1[redacted]@"),
    (re.compile(r"(?i)\b(token|secret|password|passwd|pwd|api[_-]?key|key|auth|signature|sig)=[^&\s\"']+"), r"\1=[redacted]"),
]
_OPAQUE = re.compile(r"[A-Za-z0-9_-]{40,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sanitize(s):
    """Returns s without secret-looking tokens or control characters, at most 500 characters."""
    s = s[: 16 << 10]
    for pat, repl in _REDACTIONS:
        s = pat.sub(repl, s)
    s = _OPAQUE.sub(lambda m: "[redacted]" if re.search(r"\d", m[0]) and re.search(r"[A-Za-z]", m[0]) else m[0], s)
    s = _CONTROL.sub(" ", s).strip()
    if len(s) > MAX_MESSAGE_CHARS:
        s = s[: MAX_MESSAGE_CHARS - 1] + "…"
    return s


def command_path(data):
    """Returns the full name of an application command from interaction data:
    the command, its subcommand group and subcommand ("nexus status")."""
    parts = [data.get("name", "")]
    options = data.get("options") or []
    while True:
        sub = next((o for o in options if o.get("type") in (1, 2)), None)
        if sub is None:
            return " ".join(parts)
        parts.append(sub.get("name", ""))
        options = sub.get("options") or []


# Emitters.


class SdkEmitter:
    """The emitter on the OpenTelemetry Python SDK and its OTLP/HTTP exporters
    (which read OTEL_EXPORTER_OTLP_ENDPOINT themselves)."""

    def __init__(self, resource):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.metrics import Observation
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace import SpanKind, Status, StatusCode

        res = Resource.create(resource)
        self._tp = TracerProvider(resource=res)
        self._tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._mp = MeterProvider(resource=res, metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())])
        self._tracer = self._tp.get_tracer("nexusmon_otel", "0.1.0")
        self._meter = self._mp.get_meter("nexusmon_otel", "0.1.0")
        self._Observation, self._kind, self._Status, self._ERROR = Observation, SpanKind.SERVER, Status, StatusCode.ERROR

    def span(self, rec):
        s = self._tracer.start_span(rec.name, kind=self._kind, attributes=rec.attributes, start_time=rec.start_ns)
        for e in rec.events:
            s.add_event(e.name, e.attributes, timestamp=e.time_ns)
        if rec.error_message is not None:
            s.set_status(self._Status(self._ERROR, rec.error_message))
        s.end(end_time=rec.end_ns)

    def metric(self, name, unit, description, kind, callback):
        def observe(_options):
            return [self._Observation(v, a) for v, a in callback()]

        create = self._meter.create_observable_counter if kind == COUNTER else self._meter.create_observable_gauge
        create(name, callbacks=[observe], unit=unit, description=description)

    def shutdown(self):
        self._tp.shutdown()
        self._mp.shutdown()


def resource_attributes(service_name=None):
    return {
        "service.name": service_name or os.environ.get("OTEL_SERVICE_NAME") or "unknown_service:python",
        "process.pid": os.getpid(),
        "process.runtime.name": "cpython",
        "process.runtime.version": ".".join(map(str, sys.version_info[:3])),
        "telemetry.sdk.language": "python",
    }


def new_emitter(service_name=None, prefer_sdk=True):
    """Returns the SDK emitter when the SDK is importable (and prefer_sdk),
    otherwise the standard-library JSON emitter."""
    resource = resource_attributes(service_name)
    if prefer_sdk:
        try:
            return SdkEmitter(resource)
        except ImportError:
            log.info("nexusmon_otel: OpenTelemetry SDK not importable, using the OTLP/JSON emitter")
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4318"
    return nexusmon_otlp_json.JsonEmitter(endpoint, resource)


# First responses: discord.InteractionResponse has __slots__, so its methods
# are wrapped on the class, once, while at least one cog is loaded.
_RESPONSE_METHODS = ("defer", "send_message", "edit_message", "send_modal")
_originals = {}
_hook_users = 0


def _wrap_response(orig):
    @functools.wraps(orig)
    async def wrapper(self, *args, **kwargs):
        first = not self.is_done()
        result = await orig(self, *args, **kwargs)
        parent = getattr(self, "_parent", None)
        rec = getattr(parent, "extras", {}).get(EXTRAS_KEY) if first else None
        if rec is not None:
            rec.first_response()
        return result

    return wrapper


def _install_response_hook():
    global _hook_users
    _hook_users += 1
    if _hook_users == 1:
        for name in _RESPONSE_METHODS:
            _originals[name] = getattr(discord.InteractionResponse, name)
            setattr(discord.InteractionResponse, name, _wrap_response(_originals[name]))


def _remove_response_hook():
    global _hook_users
    _hook_users -= 1
    if _hook_users == 0:
        for name, orig in _originals.items():
            setattr(discord.InteractionResponse, name, orig)
        _originals.clear()


def _gc_stats(key):
    return [(s.get(key, 0), {"cpython.gc.generation": gen}) for gen, s in enumerate(gc.get_stats())]


def _rss_bytes():
    """Resident set size from /proc (Linux); nothing elsewhere (getrusage's
    ru_maxrss is a peak, not the usage)."""
    try:
        with open("/proc/self/statm") as f:
            return [(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"), {})]
    except (OSError, ValueError, IndexError):
        return []


class NexusmonTelemetry(commands.Cog, name="nexusmon"):
    """Traces the app commands of bot.tree (or tree) and reports the client's metrics."""

    def __init__(self, bot, emitter=None, tree=None):
        self.bot = bot
        self.tree = tree if tree is not None else bot.tree
        self._own_emitter = emitter is None
        self.emitter = emitter if emitter is not None else new_emitter()
        self._connected = False
        self._connections = 0  # on_connect and on_resumed
        self._resumes = 0
        self._readies = 0
        self._ready_at = None  # monotonic seconds of the last on_ready
        self._saved = None
        self._register_metrics()

    # Cog lifecycle.

    async def cog_load(self):
        tree = self.tree
        self._saved = (tree.__dict__.get("interaction_check"), tree.__dict__.get("on_error"))
        check, on_error = tree.interaction_check, tree.on_error

        async def interaction_check(interaction):
            self._start(interaction)
            try:
                ok = await check(interaction)
            except app_commands.AppCommandError:
                raise  # the tree hands it to on_error, which ends the span
            except Exception as e:
                self._finish(interaction, e)
                raise
            if not ok:
                self._finish(interaction, app_commands.CheckFailure("the interaction check failed"))
            return ok

        async def on_error_hook(interaction, error):
            try:
                await on_error(interaction, error)
            finally:
                self._finish(interaction, error)

        tree.interaction_check = interaction_check
        tree.on_error = on_error_hook
        _install_response_hook()

    async def cog_unload(self):
        for name, saved in zip(("interaction_check", "on_error"), self._saved or (None, None)):
            if saved is None:
                self.tree.__dict__.pop(name, None)
            else:
                setattr(self.tree, name, saved)
        _remove_response_hook()
        if self._own_emitter:
            # The last export blocks on HTTP: off the event loop.
            await asyncio.get_running_loop().run_in_executor(None, self.emitter.shutdown)

    # Spans.

    def _start(self, interaction):
        if interaction.type is not discord.InteractionType.application_command:
            return
        name = command_path(interaction.data or {})
        attrs = {
            "discord.command.name": name,
            "discord.command.module": "",
            "discord.guild.id": str(interaction.guild_id) if interaction.guild_id else None,
            "discord.channel.id": str(interaction.channel_id) if interaction.channel_id else None,
            "discord.interaction.id": str(interaction.id),
        }
        interaction.extras[EXTRAS_KEY] = SpanRecord("command " + name, attrs)

    def _finish(self, interaction, error=None):
        rec = interaction.extras.pop(EXTRAS_KEY, None)
        if rec is None:
            return
        try:
            cmd = interaction.command
            binding = getattr(cmd, "binding", None)
            if isinstance(binding, commands.Cog):
                rec.attributes["discord.command.module"] = binding.qualified_name
            if error is not None:
                rec.fail(error)
            rec.end_ns = now_ns()
            self.emitter.span(rec)
        except Exception:  # telemetry never breaks a command
            log.exception("nexusmon_otel: record span %s", rec.name)

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction, command):
        self._finish(interaction)

    # Session state.

    @commands.Cog.listener()
    async def on_connect(self):
        self._connected = True
        self._connections += 1

    @commands.Cog.listener()
    async def on_resumed(self):
        self._connected = True
        self._connections += 1
        self._resumes += 1

    @commands.Cog.listener()
    async def on_disconnect(self):
        self._connected = False

    @commands.Cog.listener()
    async def on_ready(self):
        self._readies += 1
        self._ready_at = time.monotonic()

    # Metrics. Callbacks run on the exporter's thread: they only copy lists
    # (atomic in CPython) and read attributes.

    def _guilds(self):
        return [g for g in self.bot.guilds if not g.unavailable]

    def _latency(self):
        lat = self.bot.latency
        return [(lat, {})] if lat == lat and lat != float("inf") else []

    def _uptime(self):
        return [(time.monotonic() - self._ready_at, {})] if self._ready_at is not None and self._connected else []

    def _commands(self):
        n = len(self.tree.get_commands())
        for g in self.bot.guilds:
            n += len(self.tree.get_commands(guild=g))
        return [(n, {})]

    def _register_metrics(self):
        one = lambda f: lambda: [(f(), {})]  # noqa: E731
        m = self.emitter.metric
        m("discord.gateway.connected", "1", "1 while the gateway connection is up.", GAUGE,
          one(lambda: int(self._connected and not self.bot.is_closed())))
        m("discord.guilds", "{guild}", "Available guilds.", GAUGE, one(lambda: len(self._guilds())))
        m("discord.users", "{user}", "Sum of the member_count of the available guilds.", GAUGE,
          one(lambda: sum(g.member_count or 0 for g in self._guilds())))
        m("discord.channels", "{channel}", "Channels of the available guilds.", GAUGE,
          one(lambda: sum(len(g.channels) for g in self._guilds())))
        m("discord.gateway.latency", "s", "Last gateway heartbeat round trip.", GAUGE, self._latency)
        m("discord.session.uptime", "s", "Time since the READY of the current gateway session.", GAUGE, self._uptime)
        m("discord.shard.id", "", "Shard id of the session.", GAUGE, one(lambda: self.bot.shard_id or 0))
        m("discord.shard.count", "{shard}", "Shard count of the session.", GAUGE, one(lambda: self.bot.shard_count or 1))
        m("discord.commands", "{command}", "Application commands registered.", GAUGE, self._commands)
        m("discord.gateway.reconnects", "{reconnect}", "Gateway connections after the first.", COUNTER,
          one(lambda: max(self._connections - 1, 0)))
        m("discord.gateway.resumes", "{resume}", "Gateway sessions resumed.", COUNTER, one(lambda: self._resumes))
        m("discord.gateway.ready", "{ready}", "READY dispatches (new gateway sessions).", COUNTER,
          one(lambda: self._readies))
        m("cpython.gc.collections", "{collection}", "Garbage collections by generation.", COUNTER,
          lambda: _gc_stats("collections"))
        m("cpython.gc.collected_objects", "{object}", "Objects collected by generation.", COUNTER,
          lambda: _gc_stats("collected"))
        m("cpython.gc.uncollectable_objects", "{object}", "Uncollectable objects found by generation.", COUNTER,
          lambda: _gc_stats("uncollectable"))
        m("process.memory.usage", "By", "Resident set size of the bot process.", GAUGE, _rss_bytes)


async def setup(bot):
    """discord.py extension entry point: await bot.load_extension("nexusmon_otel")."""
    await bot.add_cog(NexusmonTelemetry(bot))
