'use strict';

// Unit tests of commands.js, run by discordjs_test.go (node --test).

const test = require('node:test');
const assert = require('node:assert/strict');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { DiscordAPIError, DiscordjsError, DiscordjsErrorCodes, HTTPError, RateLimitError } = require('discord.js');
const { commandHandler, commandName, errorType, EVENT_FIRST_RESPONSE } = require('../commands');

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const logged = [];
  const logger = { error: (...args) => logged.push(args.join(' ')) };
  return { exporter, tracer: provider.getTracer('test'), logged, logger };
}

/** A chat input interaction with the parts commands.js reads. */
function chatInput({ name = 'ping', group = null, sub = null, guildId = '10', reply } = {}) {
  return {
    id: '99', commandName: name, guildId, channelId: '20',
    isCommand: () => true,
    isChatInputCommand: () => true,
    options: { getSubcommandGroup: () => group, getSubcommand: () => sub },
    reply: reply ?? (async () => {}),
    deferReply: async () => {},
  };
}

const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('commandName joins command, subcommand group and subcommand', () => {
  assert.equal(commandName(chatInput({ name: 'settings', group: 'notify', sub: 'add' })), 'settings notify add');
  assert.equal(commandName(chatInput({ name: 'dice', sub: 'roll' })), 'dice roll');
  assert.equal(commandName({ commandName: 'Report message', isChatInputCommand: () => false }), 'Report message');
});

test('a command runs in a SERVER span with the conventions attributes and its first response', async () => {
  const { exporter, tracer, logger } = setup();
  const listener = commandHandler(tracer, async (i) => { await i.reply('pong'); }, { module: 'utility', logger });
  await listener(chatInput({ name: 'dice', sub: 'roll' }));
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.name, 'command dice roll');
  assert.equal(span.kind, SpanKind.SERVER);
  assert.deepEqual(span.attributes, {
    'discord.command.name': 'dice roll',
    'discord.command.module': 'utility',
    'discord.interaction.id': '99',
    'discord.guild.id': '10',
    'discord.channel.id': '20',
  });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.deepEqual(span.events.map((e) => e.name), [EVENT_FIRST_RESPONSE]);
});

test('a DM command has no discord.guild.id', async () => {
  const { exporter, tracer, logger } = setup();
  await commandHandler(tracer, async () => {}, { logger })(chatInput({ guildId: null }));
  const [span] = exporter.getFinishedSpans();
  assert.equal('discord.guild.id' in span.attributes, false);
  assert.equal(span.attributes['discord.command.module'], '');
  assert.equal(span.events.length, 0, 'no response, no first_response event');
});

test('a reply the handler does not await still gets its event, and the span ends with the handler', async () => {
  const { exporter, tracer, logger } = setup();
  let release;
  const reply = () => new Promise((resolve) => { release = resolve; });
  const listener = commandHandler(tracer, (i) => { i.reply('later'); }, { logger })(chatInput({ reply }));
  await tick(20);
  assert.equal(exporter.getFinishedSpans().length, 0, 'the span waits for the reply');
  const releasedAt = Date.now();
  release();
  await listener;
  const [span] = exporter.getFinishedSpans();
  const ms = (t) => t[0] * 1e3 + t[1] / 1e6;
  assert.ok(ms(span.endTime) < releasedAt, 'the span ends when the handler returned, not when the reply was answered');
  const ev = span.events.find((e) => e.name === EVENT_FIRST_RESPONSE);
  assert.ok(ev, 'first_response event');
  assert.ok(ms(ev.time) >= ms(span.startTime) && ms(ev.time) <= ms(span.endTime), 'timed when reply was called');
});

test('only the first response counts, and only once Discord answered it', async (t) => {
  const answered = new DiscordAPIError({ code: 10062, message: 'Unknown interaction' }, 10062, 404, 'POST', 'u', {});
  const cases = {
    'refused by Discord, then deferred': { reply: async () => { throw answered; }, defer: true, want: 1 },
    'never reached Discord': { reply: async () => { throw new Error('socket hang up'); }, defer: false, want: 0 },
    'sent, then deferred': { reply: async () => {}, defer: true, want: 1 },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.test(name, async () => {
      const { exporter, tracer, logger } = setup();
      let deferredAt = Infinity;
      const interaction = chatInput({ reply: c.reply });
      interaction.deferReply = async () => { deferredAt = Date.now(); };
      await commandHandler(tracer, async (i) => {
        await i.reply('a').catch(() => {});
        await tick(5);
        if (c.defer) await i.deferReply();
      }, { logger })(interaction);
      const [span] = exporter.getFinishedSpans();
      const events = span.events.filter((e) => e.name === EVENT_FIRST_RESPONSE);
      assert.equal(events.length, c.want);
      if (c.want === 1) {
        const ms = events[0].time[0] * 1e3 + events[0].time[1] / 1e6;
        assert.ok(ms < deferredAt, 'the event is the reply, not the later deferReply');
      }
    });
  }
});

test('a throw is recorded, logged sanitised, given to onError, and never rejects the listener', async () => {
  const { exporter, tracer, logged, logger } = setup();
  const token = 'MTAwMDAwMDAwMDAwMDAwMDAwMQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789';
  const seen = [];
  const listener = commandHandler(tracer, async () => { throw new TypeError(`bad token ${token}`); }, {
    logger,
    onError: async (err, interaction) => {
      seen.push(err.name);
      await interaction.reply('Something went wrong.');
    },
  });
  await listener(chatInput());
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.status.message, 'bad token [token]');
  assert.equal(span.attributes['error.type'], 'TypeError');
  const ex = span.events.find((e) => e.name === 'exception');
  assert.equal(ex.attributes['exception.type'], 'TypeError');
  assert.equal(ex.attributes['exception.message'], 'bad token [token]');
  assert.match(ex.attributes['exception.stacktrace'], /commands\.test\.js/);
  assert.doesNotMatch(ex.attributes['exception.stacktrace'], /abcdefghijklmnop/);
  assert.ok(span.events.some((e) => e.name === EVENT_FIRST_RESPONSE), 'the reply of onError is the first response');
  assert.deepEqual(seen, ['TypeError']);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /command ping failed: TypeError: bad token \[token\]/);
});

test('a thrown non-Error and a failing onError are handled', async () => {
  const { exporter, tracer, logged, logger } = setup();
  const listener = commandHandler(tracer, async () => { throw 'boom'; }, {
    logger,
    onError: () => { throw new Error('onError broke'); },
  });
  await listener(chatInput());
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.attributes['error.type'], '_OTHER');
  assert.equal(span.status.message, 'boom');
  assert.equal(logged.length, 2);
  assert.match(logged[1], /onError failed: Error: onError broke/);
});

test('a thrown value without a readable message, and a logger that throws', async () => {
  const { exporter, tracer } = setup();
  const logger = { error: () => { throw new Error('logger broke'); } };
  const weird = Object.create(null); // String(weird) throws
  await commandHandler(tracer, async () => { throw weird; }, { logger })(chatInput());
  const [span] = exporter.getFinishedSpans();
  assert.equal(span.attributes['error.type'], '_OTHER');
  assert.equal(span.status.code, SpanStatusCode.ERROR);
  assert.equal(span.status.message, '');
});

test('other interactions run without a span; their errors are logged', async () => {
  const { exporter, tracer, logged, logger } = setup();
  const button = { isCommand: () => false };
  await commandHandler(tracer, async () => { throw new Error('button broke'); }, { logger })(button);
  assert.equal(exporter.getFinishedSpans().length, 0);
  assert.match(logged[0], /interaction handler failed: Error: button broke/);
});

test('errorType follows nexusmon\'s classification', () => {
  const body = {};
  assert.equal(errorType(new DiscordAPIError({ code: 50035, message: 'Invalid Form Body' }, 50035, 400, 'POST', 'u', body)), 'discord.50035');
  assert.equal(errorType(new DiscordAPIError({ code: 0, message: '401: Unauthorized' }, 0, 401, 'GET', 'u', body)), 'http.401');
  assert.equal(errorType(new HTTPError(502, 'Bad Gateway', 'GET', 'u', body)), 'http.502');
  assert.equal(errorType(new RateLimitError({ route: '/channels/:id/messages', retryAfter: 1000 })), 'rate_limited');
  const abort = new Error('This operation was aborted');
  abort.name = 'AbortError';
  assert.equal(errorType(abort), 'timeout');
  assert.equal(errorType(new DiscordjsError(DiscordjsErrorCodes.InteractionAlreadyReplied)), 'discordjs.InteractionAlreadyReplied');
  class QuotaError extends Error {}
  assert.equal(errorType(new QuotaError('x')), 'QuotaError', 'a subclass without a name of its own');
  assert.equal(errorType(new Error('x')), 'Error');
  class NamedError extends Error { name = 'NamedError'; }
  assert.equal(errorType(new NamedError('x')), 'NamedError');
  assert.equal(errorType(Object.create(null)), '_OTHER');
  assert.equal(errorType(undefined), '_OTHER');
  assert.equal(errorType(42), '_OTHER');
});
