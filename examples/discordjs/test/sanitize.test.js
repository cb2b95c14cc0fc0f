'use strict';

// Unit tests of sanitize.js, run by discordjs_test.go (node --test).

const test = require('node:test');
const assert = require('node:assert/strict');
const { sanitize, MAX_MESSAGE } = require('../sanitize');

test('secrets are removed', () => {
  const cases = {
    'login with MTAwMDAwMDAwMDAwMDAwMDAwMQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789 failed': 'login with [token] failed',
    'POST https://discord.com/api/v10/interactions/123/aW50ZXJhY3Rpb246abc/callback: 404': 'POST https://discord.com/api/v10/interactions/123/[token]/callback: 404',
    'webhook /webhooks/42/s3cr3t-t0ken/messages/1 gone': 'webhook /webhooks/42/[token]/messages/1 gone',
    'Authorization: Bot abc.def.ghi': 'Authorization: [redacted]',
    'sent Bearer abcdefghijklmnopqrstuvwxyz': 'sent Bearer [redacted]',
    'the Bot responded': 'the Bot responded',
    'GET https://user:pw@example.com/x?token=abc&page=2': 'GET https://[redacted]@example.com/x?token=[redacted]&page=2',
    'id a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4 seen': 'id [redacted] seen',
    'a word aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa stays': 'a word aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa stays',
  };
  for (const [input, want] of Object.entries(cases)) assert.equal(sanitize(input), want, input);
});

test('control and format characters go, and the result is bounded', () => {
  assert.equal(sanitize('a\nb\tc\u202ed\u0000'), 'a b cd');
  assert.equal(sanitize('family: \u{1F468}\u200d\u{1F469}'), 'family: \u{1F468}\u200d\u{1F469}');
  const long = sanitize('é'.repeat(2 * MAX_MESSAGE));
  assert.equal(Array.from(long).length, MAX_MESSAGE);
  assert.ok(long.endsWith('…'));
  assert.equal(Array.from(sanitize('😀'.repeat(MAX_MESSAGE + 1))).length, MAX_MESSAGE, 'counts code points, not UTF-16 units');
  assert.equal(sanitize('x'.repeat(100), 10), 'xxxxxxxxx…');
  assert.equal(sanitize(undefined), '');
  assert.equal(sanitize(new Error('boom')), 'Error: boom');
});
