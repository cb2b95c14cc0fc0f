'use strict';

/**
 * @nexusmon/discordjs-otel: OpenTelemetry for a discord.js bot, following
 * nexusmon's conventions for Discord bots, so nexusmon's OTLP receiver turns
 * it into command reports, command errors and the bot section of its
 * system report.
 *
 *   const otel = instrument(client);
 *   client.on(Events.InteractionCreate, otel.commandHandler(async (interaction) => { ... }));
 *   ...
 *   await otel.shutdown();
 *
 * The SDK is configured from the standard environment variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT (and the _TRACES_/_METRICS_ variants, headers,
 * timeout, compression), OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the
 * default, or http/json), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_BSP_* for the span batch, and OTEL_METRIC_EXPORT_INTERVAL /
 * OTEL_METRIC_EXPORT_TIMEOUT for the metric reader.
 */

const { metrics } = require('@opentelemetry/api');
const { defaultResource, detectResources, envDetector, resourceFromAttributes } = require('@opentelemetry/resources');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { commandHandler, commandName, errorType } = require('./commands');
const { watched } = require('./exporters');
const { sanitize } = require('./sanitize');
const { observeClient, observeRuntime } = require('./metrics');
const { version } = require('./package.json');

/** The instrumentation scope of everything this module records. */
const SCOPE = '@nexusmon/discordjs-otel';

/**
 * protocol returns the OTLP protocol for a signal from
 * OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL.
 * @param {'TRACES'|'METRICS'} signal
 * @returns {'http/protobuf'|'http/json'}
 */
function protocol(signal) {
  const p = (process.env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (p !== 'http/protobuf' && p !== 'http/json') {
    throw new Error(`discordjs-otel: OTLP protocol ${JSON.stringify(p)} is not supported: use http/protobuf or http/json`);
  }
  return p;
}

/**
 * @param {'http/protobuf'|'http/json'} proto
 * @returns {import('@opentelemetry/sdk-trace-base').SpanExporter}
 */
function traceExporter(proto) {
  if (proto === 'http/json') {
    return new (require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)();
  }
  return new (require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)();
}

/**
 * @param {'http/protobuf'|'http/json'} proto
 * @returns {import('@opentelemetry/sdk-metrics').PushMetricExporter}
 */
function metricExporter(proto) {
  if (proto === 'http/json') {
    return new (require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter)();
  }
  return new (require('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter)();
}

/**
 * envMillis reads a positive integer of milliseconds from the environment.
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
function envMillis(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`discordjs-otel: ${name}=${JSON.stringify(raw)} is not a positive number of milliseconds`);
  }
  return n;
}

/**
 * resource describes the bot process. Only the pid and runtime are taken
 * from the process (not its command line, which may hold a token);
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override.
 * @returns {import('@opentelemetry/resources').Resource}
 */
function resource() {
  return defaultResource()
    .merge(resourceFromAttributes({
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
    }))
    .merge(detectResources({ detectors: [envDetector] }));
}

/**
 * @typedef {object} Options
 * @property {{ error: (...args: unknown[]) => void, warn?: (...args: unknown[]) => void }} [logger] where command
 *   failures (error) and failed exports (warn, else error) are logged; default console
 * @property {boolean} [runtimeMetrics] report V8 heap, event-loop delay and GC metrics (default true)
 * @property {boolean} [register] make the providers the global OpenTelemetry ones, with an
 *   AsyncLocalStorage context manager, so the bot's own spans nest under command spans (default true)
 */

/**
 * @typedef {object} Instrumentation
 * @property {import('@opentelemetry/api').Tracer} tracer
 * @property {import('@opentelemetry/api').Meter} meter
 * @property {NodeTracerProvider} tracerProvider
 * @property {MeterProvider} meterProvider
 * @property {(handler: (interaction: import('discord.js').BaseInteraction) => unknown,
 *   options?: { module?: string, onError?: (err: unknown, interaction: import('discord.js').BaseInteraction) => unknown })
 *   => (interaction: import('discord.js').BaseInteraction) => Promise<void>} commandHandler
 *   wraps an interactionCreate listener: see commands.js
 * @property {() => Promise<void>} forceFlush exports what is buffered now
 * @property {() => Promise<void>} shutdown stops observing, exports what is buffered and shuts the SDK down;
 *   it never rejects (failures are logged); later calls return the first call's promise
 */

/**
 * instrument sets up the OpenTelemetry SDK (OTLP/HTTP traces and metrics)
 * and reports client's session metrics and Node's runtime metrics. Call it
 * before client.login so that the first READY is counted.
 * @param {import('discord.js').Client} client
 * @param {Options} [options]
 * @returns {Instrumentation}
 */
function instrument(client, options = {}) {
  const { logger = console, runtimeMetrics = true, register = true } = options;
  // Configuration errors first, before anything starts.
  const traceProtocol = protocol('TRACES');
  const metricProtocol = protocol('METRICS');
  const exportIntervalMillis = envMillis('OTEL_METRIC_EXPORT_INTERVAL', 60000);
  const exportTimeoutMillis = envMillis('OTEL_METRIC_EXPORT_TIMEOUT', 30000);

  const warn = (text) => {
    try {
      (typeof logger.warn === 'function' ? logger.warn : logger.error).call(logger, `discordjs-otel: ${text}`);
    } catch {
      // A broken logger must not break the bot.
    }
  };
  const res = resource();
  const tracerProvider = new NodeTracerProvider({
    resource: res,
    spanProcessors: [new BatchSpanProcessor(watched(traceExporter(traceProtocol), 'traces', warn))],
  });
  const meterProvider = new MeterProvider({
    resource: res,
    readers: [new PeriodicExportingMetricReader({
      exporter: watched(metricExporter(metricProtocol), 'metrics', warn),
      exportIntervalMillis,
      exportTimeoutMillis: Math.min(exportTimeoutMillis, exportIntervalMillis),
    })],
  });
  if (register) {
    tracerProvider.register();
    metrics.setGlobalMeterProvider(meterProvider);
  }
  const tracer = tracerProvider.getTracer(SCOPE, version);
  const meter = meterProvider.getMeter(SCOPE, version);
  const stops = [observeClient(meter, client)];
  if (runtimeMetrics) stops.push(observeRuntime(meter));

  let shutdown;
  return {
    tracer,
    meter,
    tracerProvider,
    meterProvider,
    commandHandler: (handler, opts = {}) => commandHandler(tracer, handler, { logger, ...opts }),
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: () => {
      shutdown ??= (async () => {
        // The last collection still sees the client; then nothing observes it.
        const results = await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
        for (const stop of stops) stop();
        for (const r of results) {
          // A failed export was logged by its exporter already.
          if (r.status === 'rejected') warn(`shutdown: ${sanitize(r.reason?.message ?? r.reason)}`);
        }
      })();
      return shutdown;
    },
  };
}

module.exports = { instrument, commandName, errorType, sanitize, SCOPE };
