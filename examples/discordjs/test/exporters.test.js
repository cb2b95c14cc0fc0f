'use strict';

// Unit tests of exporters.js, run by discordjs_test.go (node --test).

const test = require('node:test');
const assert = require('node:assert/strict');
const { ExportResultCode } = require('@opentelemetry/core');
const { watched } = require('../exporters');

test('the first failure and the recovery are logged, not every failure', () => {
  const results = [
    { code: ExportResultCode.SUCCESS },
    { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') },
    { code: ExportResultCode.FAILED, error: new Error('again') },
    { code: ExportResultCode.SUCCESS },
    { code: ExportResultCode.FAILED, error: new Error('Bearer abcdefghijklmnopqrstuvwxyz rejected') },
  ];
  const inner = { export: (_items, done) => done(results.shift()), shutdown: async () => {} };
  const logged = [];
  const seen = [];
  const w = watched(inner, 'metrics', (text) => logged.push(text));
  for (let i = 0; i < 5; i++) w.export([], (r) => seen.push(r.code));
  assert.deepEqual(seen, [0, 1, 1, 0, 1], 'every result is passed on');
  assert.deepEqual(logged, [
    'metrics export failed: connect ECONNREFUSED 127.0.0.1:4318 (further failures are not logged until an export succeeds)',
    'metrics export recovered',
    'metrics export failed: Bearer [redacted] rejected (further failures are not logged until an export succeeds)',
  ]);
});

test('the metric exporter\'s aggregation choices are kept', async () => {
  const inner = {
    export: () => {},
    shutdown: async () => {},
    selectAggregationTemporality() { return this === inner ? 'delta' : 'wrong this'; },
  };
  const w = watched(inner, 'metrics', () => {});
  assert.equal(w.selectAggregationTemporality(), 'delta');
  assert.equal(w.selectAggregation, undefined);
  await w.forceFlush();
});
