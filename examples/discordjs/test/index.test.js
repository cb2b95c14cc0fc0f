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

test('an interval shorter than the default export timeout is accepted', async (t) => {
  // Nothing listens there: the final export fails, and shutdown still resolves.
  withEnv(t, { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  const otel = instrument(client(), { register: false });
  await otel.shutdown();
});

test('shutdown exports the metrics, with the resource, once however often it is called', async (t) => {
  const received = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ path: req.url, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  withEnv(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${srv.address().port}`,
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
