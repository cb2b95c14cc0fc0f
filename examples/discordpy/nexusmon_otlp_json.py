"""A minimal OTLP/HTTP JSON emitter, standard library only.

It is the fallback of nexusmon_otel when the OpenTelemetry Python SDK is not
importable. It implements the same small interface as the SDK emitter
(``span``, ``metric``, ``shutdown``) and sends, per the OTLP/JSON encoding:
trace and span ids as lowercase hex, enum values as integers, camelCase field
names, 64-bit integers and ``*TimeUnixNano`` values as strings.

- Spans are queued (at most ``max_queue``; more are dropped and counted) and
  posted to ``<endpoint>/v1/traces`` in batches every ``OTEL_BSP_SCHEDULE_DELAY``
  milliseconds (default 5000) or as soon as ``max_batch`` are waiting.
- Metrics are collected by calling the registered callbacks every
  ``OTEL_METRIC_EXPORT_INTERVAL`` milliseconds (default 60000) and posted to
  ``<endpoint>/v1/metrics``: gauges as ``gauge``, counters as cumulative
  monotonic ``sum``.
- ``shutdown`` sends what is queued and one last collection.

A failed export is logged (without the payload) and dropped; nothing is
retried, so a missing receiver never grows memory.
"""

import json
import logging
import math
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

log = logging.getLogger("nexusmon_otel")

GAUGE = "gauge"
COUNTER = "counter"

# OTLP enum values (opentelemetry/proto/trace/v1/trace.proto and metrics.proto).
SPAN_KIND_SERVER = 2
STATUS_CODE_ERROR = 2
TEMPORALITY_CUMULATIVE = 2

SCOPE = {"name": "nexusmon_otel", "version": "0.1.0"}


def any_value(v):
    """Returns the OTLP/JSON AnyValue of a Python value."""
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, (list, tuple)):
        return {"arrayValue": {"values": [any_value(x) for x in v]}}
    return {"stringValue": str(v)}


def attributes(d):
    """Returns OTLP/JSON KeyValues for a dict, skipping None values."""
    return [{"key": k, "value": any_value(v)} for k, v in d.items() if v is not None]


def encode_span(rec, trace_id, span_id):
    """Returns the OTLP/JSON Span for a SpanRecord and its ids (bytes)."""
    span = {
        "traceId": trace_id.hex(),
        "spanId": span_id.hex(),
        "name": rec.name,
        "kind": SPAN_KIND_SERVER,
        "startTimeUnixNano": str(rec.start_ns),
        "endTimeUnixNano": str(rec.end_ns),
        "attributes": attributes(rec.attributes),
        "events": [
            {"timeUnixNano": str(e.time_ns), "name": e.name, "attributes": attributes(e.attributes)}
            for e in rec.events
        ],
    }
    if rec.error_message is not None:
        span["status"] = {"code": STATUS_CODE_ERROR, "message": rec.error_message}
    return span


def encode_traces(resource, spans):
    """Returns an ExportTraceServiceRequest for (SpanRecord, trace id, span id) tuples."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": attributes(resource)},
                "scopeSpans": [{"scope": SCOPE, "spans": [encode_span(*s) for s in spans]}],
            }
        ]
    }


def number_point(value, attrs, now_ns, start_ns=None):
    """Returns a NumberDataPoint, or None for a value JSON cannot carry."""
    p = {"timeUnixNano": str(now_ns), "attributes": attributes(attrs)}
    if start_ns is not None:
        p["startTimeUnixNano"] = str(start_ns)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        p["asInt"] = str(value)
    else:
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            return None
        p["asDouble"] = value
    return p


def encode_metrics(resource, instruments, now_ns, start_ns):
    """Returns an ExportMetricsServiceRequest from instruments, each
    (name, unit, description, kind, [(value, attrs), ...])."""
    metrics = []
    for name, unit, desc, kind, obs in instruments:
        if kind == COUNTER:
            pts = [number_point(v, a, now_ns, start_ns) for v, a in obs]
        else:
            pts = [number_point(v, a, now_ns) for v, a in obs]
        pts = [p for p in pts if p is not None]
        if not pts:
            continue
        m = {"name": name, "unit": unit, "description": desc}
        if kind == COUNTER:
            m["sum"] = {"dataPoints": pts, "aggregationTemporality": TEMPORALITY_CUMULATIVE, "isMonotonic": True}
        else:
            m["gauge"] = {"dataPoints": pts}
        metrics.append(m)
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": attributes(resource)},
                "scopeMetrics": [{"scope": SCOPE, "metrics": metrics}],
            }
        ]
    }


def _env_ms(name, default_ms):
    try:
        v = int(os.environ.get(name, ""))
    except ValueError:
        return default_ms / 1000.0
    return max(v, 1) / 1000.0


class JsonEmitter:
    """The standard-library emitter: OTLP/HTTP with JSON bodies."""

    def __init__(self, endpoint, resource, max_queue=2048, max_batch=512, timeout=10.0):
        self._endpoint = endpoint.rstrip("/")
        host = urllib.parse.urlsplit(self._endpoint).hostname
        # A receiver on this machine is never reached through an http_proxy.
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        self._opener = urllib.request.build_opener(*handlers)
        self._resource = dict(resource)
        self._max_queue = max_queue
        self._max_batch = max_batch
        self._timeout = timeout
        self._span_delay = _env_ms("OTEL_BSP_SCHEDULE_DELAY", 5000)
        self._metric_interval = _env_ms("OTEL_METRIC_EXPORT_INTERVAL", 60000)
        self._start_ns = time.time_ns()
        self._lock = threading.Lock()
        self._spans = []
        self._instruments = []
        self.dropped_spans = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nexusmon-otlp-json", daemon=True)
        self._thread.start()

    # The emitter interface.

    def span(self, rec):
        """Queues a finished span (a nexusmon_otel.SpanRecord)."""
        ids = (os.urandom(16), os.urandom(8))
        with self._lock:
            if len(self._spans) >= self._max_queue:
                self.dropped_spans += 1
                return
            self._spans.append((rec, ids[0], ids[1]))
            full = len(self._spans) >= self._max_batch
        if full:
            self._wake.set()

    def metric(self, name, unit, description, kind, callback):
        """Registers an observable instrument: callback() returns [(value, attrs)]."""
        with self._lock:
            self._instruments.append((name, unit, description, kind, callback))

    def shutdown(self):
        """Stops the export thread after a last export of spans and metrics."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=2 * self._timeout + 1)

    # Export.

    def _run(self):
        next_metrics = time.monotonic() + self._metric_interval
        while True:
            self._wake.wait(timeout=min(self._span_delay, max(next_metrics - time.monotonic(), 0)))
            self._wake.clear()
            stopping = self._stop.is_set()
            self._flush_spans()
            if stopping or time.monotonic() >= next_metrics:
                self.collect()
                next_metrics = time.monotonic() + self._metric_interval
            if stopping:
                return

    def _flush_spans(self):
        while True:
            with self._lock:
                batch, self._spans = self._spans[: self._max_batch], self._spans[self._max_batch :]
            if not batch:
                return
            self._post("/v1/traces", encode_traces(self._resource, batch))

    def collect(self):
        """Calls every callback and posts one metrics request."""
        with self._lock:
            instruments = list(self._instruments)
        observed = []
        for name, unit, desc, kind, cb in instruments:
            try:
                obs = list(cb())
            except Exception:  # a broken callback must not stop the others
                log.exception("nexusmon_otel: metric callback %s", name)
                continue
            observed.append((name, unit, desc, kind, obs))
        body = encode_metrics(self._resource, observed, time.time_ns(), self._start_ns)
        if body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]:
            self._post("/v1/metrics", body)

    def _post(self, path, body):
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        req = urllib.request.Request(
            self._endpoint + path, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(req, timeout=self._timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            log.warning("nexusmon_otel: export %s%s: %s", self._endpoint, path, e)
