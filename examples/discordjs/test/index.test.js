'use strict';

// Unit tests of index.js, run by discordjs_test.go (node --test). Each test
// sets the OTEL_ variables it needs and restores them.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { EventEmitter } = require('node:events');
const { Collection } = require('discord.js');
const { instrument } = require('../index');

function client() {
  const c = new EventEmitter();
  c.ws = { shards: new Collection(), ping: -1 };
  c.guilds = { cache: new Collection() };
  c.application = null;
  c.options = { shards: 'auto' };
  c.shard = null;
  return c;
}

/** sink starts a loopback OTLP/HTTP endpoint that keeps what it receives (JSON bodies decoded). */
async function sink(t) {
  const received = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = (req.headers['content-type'] || '').startsWith('application/json');
      received.push({ path: req.url, body: json ? JSON.parse(body.toString()) : body });
      res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  return { url: `http://127.0.0.1:${srv.address().port}`, received };
}

function withEnv(t, vars) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

test('an unsupported protocol or a bad interval is an error at instrument', (t) => {
  withEnv(t, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  assert.throws(() => instrument(client(), { register: false }), /OTLP protocol "grpc" is not supported/);
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
  process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL = 'http/thrift';
  t.after(() => { delete process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL; });
  assert.throws(() => instrument(client(), { register: false }), /"http\/thrift" is not supported/);
  delete process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL;
  process.env.OTEL_METRIC_EXPORT_INTERVAL = '10s';
  t.after(() => { delete process.env.OTEL_METRIC_EXPORT_INTERVAL; });
  assert.throws(() => instrument(client(), { register: false }), /OTEL_METRIC_EXPORT_INTERVAL="10s" is not a positive number/);
});

test('with the receiver down, shutdown resolves and the failure is logged', async (t) => {
  const { url } = await sink(t);
  withEnv(t, { OTEL_EXPORTER_OTLP_ENDPOINT: url.replace(/:\d+$/, ':9'), OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
  const logged = [];
  const logger = { error: (s) => logged.push(`error ${s}`), warn: (s) => logged.push(`warn ${s}`) };
  const otel = instrument(client(), { register: false, logger });
  otel.tracer.startSpan('command x').end();
  await otel.shutdown();
  assert.ok(logged.some((l) => l.startsWith('warn discordjs-otel: traces export failed: ')), logged.join('\n'));
  assert.ok(logged.some((l) => l.startsWith('warn discordjs-otel: metrics export failed: ')), logged.join('\n'));
});

test('an interval shorter than the default export timeout is accepted', async (t) => {
  const { url } = await sink(t);
  withEnv(t, { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: url });
  const otel = instrument(client(), { register: false });
  await otel.shutdown();
});

test('shutdown exports the metrics, with the resource, once however often it is called', async (t) => {
  const { url, received } = await sink(t);
  withEnv(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'unit-bot',
    OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=shard-0',
    OTEL_METRIC_EXPORT_INTERVAL: '3600000',
  });
  const c = client();
  const otel = instrument(c, { register: false, runtimeMetrics: false });
  assert.ok(c.listenerCount('shardReady') > 0);
  const first = otel.shutdown();
  assert.equal(otel.shutdown(), first, 'later calls return the first call\'s promise');
  await first;
  assert.equal(c.listenerCount('shardReady'), 0, 'the client is no longer observed');
  const metrics = received.filter((r) => r.path === '/v1/metrics');
  assert.equal(metrics.length, 1);
  const [rm] = metrics[0].body.resourceMetrics;
  const attrs = Object.fromEntries(rm.resource.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
  assert.equal(attrs['service.name'], 'unit-bot');
  assert.equal(attrs['service.instance.id'], 'shard-0');
  assert.equal(attrs['process.runtime.name'], 'nodejs');
  assert.equal(Number(attrs['process.pid']), process.pid);
  assert.equal('process.command_args' in attrs, false);
  const names = rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name));
  assert.ok(names.includes('discord.gateway.connected'), names.join(','));
  assert.ok(!names.some((n) => n.startsWith('v8js.')), 'runtimeMetrics: false');
});
