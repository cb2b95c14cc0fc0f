'use strict';

const v8 = require('node:v8');
const { performance, monitorEventLoopDelay, PerformanceObserver, constants } = require('node:perf_hooks');
const { ValueType } = require('@opentelemetry/api');
const { Events, Status } = require('discord.js');

/**
 * @typedef {import('discord.js').Client} Client
 * @typedef {import('@opentelemetry/api').Meter} Meter
 */

/**
 * observeClient reports the discord.* session metrics of nexusmon's
 * conventions for client, from its caches and gateway events, and returns a
 * function that stops it.
 *
 * discord.guilds, discord.users (the sum of member counts) and
 * discord.channels (without threads) count available guilds only.
 * discord.shard.id is the first shard of this process (client.shard for a
 * ShardingManager child, else the client's own shard list) and
 * discord.shard.count the bot's total shard count. discord.gateway.latency
 * is client.ws.ping (the average heartbeat round trip of this process's
 * shards) in seconds, reported once a heartbeat has been acknowledged and
 * while connected.
 * @param {Meter} meter
 * @param {Client} client
 * @returns {() => void}
 */
function observeClient(meter, client) {
  const readyAt = new Map(); // shard id → performance.now() of its last READY
  const counts = { reconnects: 0, resumes: 0, ready: 0 };
  const listeners = [
    [Events.ShardReady, (id) => { counts.ready++; readyAt.set(id, performance.now()); }],
    [Events.ShardResume, () => { counts.resumes++; }],
    [Events.ShardReconnecting, () => { counts.reconnects++; }],
    [Events.ShardDisconnect, (_, id) => { readyAt.delete(id); }],
  ];
  for (const [event, fn] of listeners) client.on(event, fn);

  // Counts are integers, as in nexusmon's Go instrumentation; latency and
  // uptime are seconds.
  const gauge = (name, unit, description) => meter.createObservableGauge(name, { unit, description, valueType: ValueType.INT });
  const seconds = (name, description) => meter.createObservableGauge(name, { unit: 's', description });
  const counter = (name, unit, description) => meter.createObservableCounter(name, { unit, description, valueType: ValueType.INT });
  const connected = gauge('discord.gateway.connected', '1', '1 while every gateway shard of this process is connected and ready.');
  const guilds = gauge('discord.guilds', '{guild}', 'Available guilds.');
  const users = gauge('discord.users', '{user}', 'Sum of the member count of the available guilds.');
  const channels = gauge('discord.channels', '{channel}', 'Channels of the available guilds, threads excluded.');
  const latency = seconds('discord.gateway.latency', 'Gateway heartbeat round trip (average of the shards).');
  const uptime = seconds('discord.session.uptime', 'Time since the READY of the most recent gateway session.');
  const shardID = gauge('discord.shard.id', '', 'First shard id of this process.');
  const shardCount = gauge('discord.shard.count', '', 'Shard count of the bot.');
  const commands = gauge('discord.commands', '{command}', 'Application commands registered (global and guild, as cached).');
  const reconnects = counter('discord.gateway.reconnects', '{reconnect}', 'Gateway connections after the first.');
  const resumes = counter('discord.gateway.resumes', '{resume}', 'Gateway sessions resumed.');
  const ready = counter('discord.gateway.ready', '{ready}', 'READY dispatches (new gateway sessions).');

  const callback = (ob) => {
    const shards = client.ws.shards;
    const up = shards.size > 0 && shards.every((s) => s.status === Status.Ready);
    ob.observe(connected, up ? 1 : 0);

    let g = 0;
    let u = 0;
    let c = 0;
    let cmds = client.application ? client.application.commands.cache.size : 0;
    for (const guild of client.guilds.cache.values()) {
      if (!guild.available) continue;
      g++;
      u += guild.memberCount ?? 0;
      c += guild.channels.cache.filter((ch) => !ch.isThread()).size;
      cmds += guild.commands.cache.size;
    }
    ob.observe(guilds, g);
    ob.observe(users, u);
    ob.observe(channels, c);
    if (client.application) ob.observe(commands, cmds);

    const ping = client.ws.ping;
    if (up && Number.isFinite(ping) && ping >= 0) ob.observe(latency, ping / 1000);
    if (up && readyAt.size > 0) ob.observe(uptime, (performance.now() - Math.max(...readyAt.values())) / 1000);

    const ids = client.shard ? client.shard.ids : client.options.shards;
    if (Array.isArray(ids) && ids.length > 0) ob.observe(shardID, Math.min(...ids));
    const count = client.shard ? client.shard.count : client.options.shardCount;
    if (Number.isInteger(count) && count > 0) ob.observe(shardCount, count);

    ob.observe(reconnects, counts.reconnects);
    ob.observe(resumes, counts.resumes);
    ob.observe(ready, counts.ready);
  };
  const observables = [connected, guilds, users, channels, latency, uptime, shardID, shardCount, commands, reconnects, resumes, ready];
  meter.addBatchObservableCallback(callback, observables);

  return () => {
    meter.removeBatchObservableCallback(callback, observables);
    for (const [event, fn] of listeners) client.off(event, fn);
  };
}

/** GC kinds of perf_hooks, as v8js.gc.type values. */
const GC_TYPES = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * observeRuntime reports Node runtime metrics under the names and meanings
 * of the OpenTelemetry semantic conventions (as the OpenTelemetry Node
 * runtime instrumentation reports them): V8 heap used and reserved
 * (v8js.memory.heap.limit: space_size) by heap space, event-loop delay
 * percentiles of each export interval, and GC durations. It returns a
 * function that stops it.
 * @param {Meter} meter
 * @returns {() => void}
 */
function observeRuntime(meter) {
  const bytes = (name, description) => meter.createObservableGauge(name, { unit: 'By', description, valueType: ValueType.INT });
  const heapUsed = bytes('v8js.memory.heap.used', 'V8 heap memory used, by heap space.');
  const heapLimit = bytes('v8js.memory.heap.limit', 'V8 heap memory reserved, by heap space.');
  const p50 = meter.createObservableGauge('nodejs.eventloop.delay.p50', { unit: 's', description: 'Event loop delay, 50th percentile since the last export.' });
  const p99 = meter.createObservableGauge('nodejs.eventloop.delay.p99', { unit: 's', description: 'Event loop delay, 99th percentile since the last export.' });
  const max = meter.createObservableGauge('nodejs.eventloop.delay.max', { unit: 's', description: 'Event loop delay, maximum since the last export.' });
  const gcDuration = meter.createHistogram('v8js.gc.duration', {
    unit: 's',
    description: 'Garbage collection duration, by GC type.',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail ? entry.detail.kind : entry.kind;
      gcDuration.record(entry.duration / 1000, { 'v8js.gc.type': GC_TYPES[kind] ?? 'other' });
    }
  });
  gc.observe({ entryTypes: ['gc'] });

  const callback = (ob) => {
    for (const space of v8.getHeapSpaceStatistics()) {
      const attrs = { 'v8js.heap.space.name': space.space_name };
      ob.observe(heapUsed, space.space_used_size, attrs);
      ob.observe(heapLimit, space.space_size, attrs);
    }
    if (delay.count > 0) {
      ob.observe(p50, delay.percentile(50) / 1e9);
      ob.observe(p99, delay.percentile(99) / 1e9);
      ob.observe(max, delay.max / 1e9);
      delay.reset();
    }
  };
  const observables = [heapUsed, heapLimit, p50, p99, max];
  meter.addBatchObservableCallback(callback, observables);

  return () => {
    meter.removeBatchObservableCallback(callback, observables);
    gc.disconnect();
    delay.disable();
  };
}

module.exports = { observeClient, observeRuntime };
