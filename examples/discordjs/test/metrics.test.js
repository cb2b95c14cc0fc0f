'use strict';

// Unit tests of metrics.js, run by discordjs_test.go (node --test).

const test = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { Collection, Events, Status } = require('discord.js');
const { observeClient, observeRuntime } = require('../metrics');

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/** collect returns the points of one collection: name → [{ value, attributes }]. */
async function collect(reader) {
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  const out = {};
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) out[m.descriptor.name] = m.dataPoints.map((p) => ({ value: p.value, attributes: p.attributes }));
  }
  return out;
}

const value = (points, name) => (points[name] ? points[name].map((p) => p.value) : undefined);

function channels(n, threads = 0) {
  const c = new Collection();
  for (let i = 0; i < n; i++) c.set(`c${i}`, { isThread: () => false });
  for (let i = 0; i < threads; i++) c.set(`t${i}`, { isThread: () => true });
  return c;
}

/** A client with the parts metrics.js reads, in the state of a bot that is ready. */
function readyClient() {
  const client = new EventEmitter();
  client.ws = { shards: new Collection([[0, { status: Status.Ready }], [1, { status: Status.Ready }]]), ping: 42 };
  client.guilds = { cache: new Collection([
    ['g1', { available: true, memberCount: 10, channels: { cache: channels(3, 2) }, commands: { cache: new Collection([['x', {}]]) } }],
    ['g2', { available: true, memberCount: 5, channels: { cache: channels(1) }, commands: { cache: new Collection() } }],
    ['g3', { available: false, memberCount: 1000, channels: { cache: channels(50) }, commands: { cache: new Collection() } }],
  ]) };
  client.application = { commands: { cache: new Collection([['a', {}], ['b', {}]]) } };
  client.options = { shards: [1, 0], shardCount: 4 };
  client.shard = null;
  return client;
}

function setup(client) {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const stop = observeClient(provider.getMeter('test'), client);
  return { reader, stop };
}

test('a ready client: available guilds only, threads excluded, shards and commands', async () => {
  const client = readyClient();
  const { reader } = setup(client);
  client.emit(Events.ShardReady, 0);
  client.emit(Events.ShardReady, 1);
  client.emit(Events.ShardReconnecting, 1);
  client.emit(Events.ShardResume, 1, 3);
  const p = await collect(reader);
  assert.deepEqual(value(p, 'discord.gateway.connected'), [1]);
  assert.deepEqual(value(p, 'discord.guilds'), [2]);
  assert.deepEqual(value(p, 'discord.users'), [15]);
  assert.deepEqual(value(p, 'discord.channels'), [4]);
  assert.deepEqual(value(p, 'discord.commands'), [3]);
  assert.deepEqual(value(p, 'discord.gateway.latency'), [0.042]);
  assert.deepEqual(value(p, 'discord.shard.id'), [0]);
  assert.deepEqual(value(p, 'discord.shard.count'), [4]);
  assert.deepEqual(value(p, 'discord.gateway.ready'), [2]);
  assert.deepEqual(value(p, 'discord.gateway.reconnects'), [1]);
  assert.deepEqual(value(p, 'discord.gateway.resumes'), [1]);
  const [uptime] = value(p, 'discord.session.uptime');
  assert.ok(uptime >= 0 && uptime < 60, `uptime ${uptime}`);
});

test('a ShardingManager child reports client.shard', async () => {
  const client = readyClient();
  client.shard = { ids: [6, 7], count: 8 };
  const { reader } = setup(client);
  const p = await collect(reader);
  assert.deepEqual(value(p, 'discord.shard.id'), [6]);
  assert.deepEqual(value(p, 'discord.shard.count'), [8]);
});

test('before login and while reconnecting: no latency, no uptime, not connected', async (t) => {
  await t.test('before login', async () => {
    const client = readyClient();
    client.ws = { shards: new Collection(), ping: NaN };
    client.options = { shards: 'auto', shardCount: 1 };
    client.application = null;
    client.guilds.cache.clear();
    const { reader } = setup(client);
    const p = await collect(reader);
    assert.deepEqual(value(p, 'discord.gateway.connected'), [0]);
    assert.deepEqual(value(p, 'discord.guilds'), [0]);
    for (const name of ['discord.gateway.latency', 'discord.session.uptime', 'discord.shard.id', 'discord.commands']) {
      assert.equal(p[name], undefined, name);
    }
  });
  await t.test('one shard reconnecting', async () => {
    const client = readyClient();
    client.ws.shards.get(1).status = Status.Connecting;
    const { reader } = setup(client);
    client.emit(Events.ShardReady, 0);
    const p = await collect(reader);
    assert.deepEqual(value(p, 'discord.gateway.connected'), [0]);
    assert.equal(p['discord.gateway.latency'], undefined);
    assert.equal(p['discord.session.uptime'], undefined);
  });
  await t.test('no heartbeat acknowledged yet', async () => {
    const client = readyClient();
    client.ws.ping = -1;
    const { reader } = setup(client);
    const p = await collect(reader);
    assert.equal(p['discord.gateway.latency'], undefined);
  });
});

test('stop removes the listeners and the callback', async () => {
  const client = readyClient();
  const before = client.eventNames().length;
  const { reader, stop } = setup(client);
  assert.ok(client.eventNames().length > before);
  stop();
  assert.equal(client.eventNames().length, before);
  const p = await collect(reader);
  assert.equal(p['discord.guilds'], undefined);
});

test('runtime: heap used and reserved by space, event loop delay in seconds', async () => {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const stop = observeRuntime(provider.getMeter('test'));
  const until = Date.now() + 50;
  while (Date.now() < until) { await new Promise((r) => setImmediate(r)); } // let the delay monitor sample
  const p = await collect(reader);
  stop();
  const bySpace = (name) => Object.fromEntries(p[name].map((x) => [x.attributes['v8js.heap.space.name'], x.value]));
  const used = bySpace('v8js.memory.heap.used');
  const reserved = bySpace('v8js.memory.heap.limit');
  assert.ok('old_space' in used && 'new_space' in used, Object.keys(used).join(','));
  assert.deepEqual(Object.keys(reserved).sort(), Object.keys(used).sort());
  for (const [space, n] of Object.entries(used)) assert.ok(n <= reserved[space], `${space}: ${n} used of ${reserved[space]}`);
  assert.ok(reserved.old_space > 0);
  for (const name of ['nodejs.eventloop.delay.p50', 'nodejs.eventloop.delay.p99', 'nodejs.eventloop.delay.max']) {
    const [v] = value(p, name) ?? [];
    assert.ok(v > 0 && v < 10, `${name} = ${v} s`);
  }
});
