'use strict';

const { performance } = require('node:perf_hooks');
const { context, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} = require('@opentelemetry/semantic-conventions');
const { sanitize } = require('./sanitize');

// Attribute and event names of nexusmon's conventions for Discord bots.
const ATTR_COMMAND_NAME = 'discord.command.name';
const ATTR_COMMAND_MODULE = 'discord.command.module';
const ATTR_GUILD_ID = 'discord.guild.id';
const ATTR_CHANNEL_ID = 'discord.channel.id';
const ATTR_INTERACTION_ID = 'discord.interaction.id';
const EVENT_FIRST_RESPONSE = 'discord.command.first_response';

/** The interaction methods that send the initial interaction response. */
const RESPONSE_METHODS = ['reply', 'deferReply', 'update', 'deferUpdate', 'showModal'];

/** Bound of exception.stacktrace, in code points. */
const MAX_STACK = 4096;

/**
 * @typedef {import('discord.js').BaseInteraction} Interaction
 * @typedef {import('@opentelemetry/api').Span} Span
 * @typedef {{ error: (...args: unknown[]) => void }} Logger
 */

/**
 * commandName returns the full name of an application command: the command,
 * then its subcommand group and subcommand when it has them
 * ("settings notify add").
 * @param {Interaction} interaction
 * @returns {string}
 */
function commandName(interaction) {
  const parts = [interaction.commandName];
  if (typeof interaction.isChatInputCommand === 'function' && interaction.isChatInputCommand()) {
    parts.push(interaction.options.getSubcommandGroup(false), interaction.options.getSubcommand(false));
  }
  return parts.filter(Boolean).join(' ');
}

/**
 * errorType classifies a thrown value for error.type, as nexusmon's Go
 * instrumentation does: "discord.<code>" for a Discord API error with a JSON
 * code, "http.<status>" for other REST errors, "rate_limited", "timeout",
 * "discordjs.<code>" for discord.js's own errors, otherwise the error's name
 * (TypeError, a name the error sets) or class name, and "_OTHER" for a
 * thrown value that is neither.
 * No part of the message is used, so the set of values stays small.
 * @param {unknown} err
 * @returns {string}
 */
function errorType(err) {
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) return '_OTHER';
  const e = /** @type {Record<string, unknown>} */ (err);
  const cls = typeof e.constructor === 'function' ? e.constructor.name : '';
  if (cls === 'DiscordAPIError' && typeof e.code === 'number' && e.code !== 0) return `discord.${e.code}`;
  if ((cls === 'DiscordAPIError' || cls === 'HTTPError') && typeof e.status === 'number') return `http.${e.status}`;
  if (cls === 'RateLimitError') return 'rate_limited';
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'timeout';
  if (cls.startsWith('Discordjs') && typeof e.code === 'string') return `discordjs.${e.code}`;
  // A subclass that does not set its own name inherits "Error": its class
  // name says more.
  let name = typeof e.name === 'string' ? e.name : '';
  if ((name === '' || name === 'Error') && cls !== '') name = cls;
  return name ? sanitize(name, 128) : '_OTHER';
}

/**
 * watchFirstResponse wraps the response methods of one interaction so that
 * the first response Discord answers (success or an API error) adds the event
 * discord.command.first_response to span, timed when the call was made.
 * It returns the promises of the calls still in flight.
 * @param {Interaction} interaction
 * @param {Span} span
 * @returns {Set<Promise<void>>}
 */
function watchFirstResponse(interaction, span) {
  const pending = new Set();
  let seen = false;
  const note = (at) => {
    if (seen) return;
    seen = true;
    span.addEvent(EVENT_FIRST_RESPONSE, at);
  };
  for (const method of RESPONSE_METHODS) {
    const orig = interaction[method];
    if (typeof orig !== 'function') continue;
    interaction[method] = function (...args) {
      const at = performance.now();
      const result = orig.apply(this, args);
      if (!seen && result && typeof result.then === 'function') {
        // A rejection with an HTTP status means Discord answered: the
        // response was sent, even if refused (10062 after the deadline).
        const done = result.then(
          () => note(at),
          (err) => {
            if (err && typeof err.status === 'number') note(at);
          },
        );
        pending.add(done);
        done.then(() => pending.delete(done));
      }
      return result;
    };
  }
  return pending;
}

/**
 * messageOf returns the message of a thrown value, sanitised; "" when it has
 * none that can be read (an object whose toString throws, say).
 * @param {unknown} err
 * @returns {string}
 */
function messageOf(err) {
  try {
    return sanitize(err instanceof Error ? err.message : err);
  } catch {
    return '';
  }
}

/**
 * recordFailure marks span as failed by err, per the conventions: error.type,
 * an exception event and an ERROR status with the sanitised message.
 * @param {Span} span
 * @param {unknown} err
 * @returns {{ type: string, message: string }}
 */
function recordFailure(span, err) {
  const type = errorType(err);
  const message = messageOf(err);
  /** @type {import('@opentelemetry/api').Attributes} */
  const attrs = { [ATTR_EXCEPTION_TYPE]: type, [ATTR_EXCEPTION_MESSAGE]: message };
  if (err instanceof Error && typeof err.stack === 'string') {
    attrs[ATTR_EXCEPTION_STACKTRACE] = sanitize(err.stack.replace(/\n/g, '\u2028'), MAX_STACK).replace(/\u2028/g, '\n');
  }
  span.addEvent('exception', attrs);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  return { type, message };
}

/**
 * commandHandler returns an interactionCreate listener that runs handler for
 * every interaction. Application commands (slash and context-menu commands)
 * run inside a SERVER span "command <full name>" with nexusmon's attributes;
 * other interactions (buttons, autocomplete, modals) run without one.
 *
 * A handler that throws or rejects never reaches discord.js's event emitter:
 * the error is recorded on the span, logged (sanitised) and passed to
 * onError (which may reply to the user: that reply counts as the first
 * response), and the listener resolves.
 * @param {import('@opentelemetry/api').Tracer} tracer
 * @param {(interaction: Interaction) => unknown} handler
 * @param {{ module?: string, logger?: Logger,
 *   onError?: (err: unknown, interaction: Interaction) => unknown }} [options]
 * @returns {(interaction: Interaction) => Promise<void>}
 */
function commandHandler(tracer, handler, options = {}) {
  const { module = '', logger = console, onError } = options;
  if (typeof handler !== 'function') throw new TypeError('commandHandler: handler must be a function');

  const log = (text) => {
    try {
      logger.error(`discordjs-otel: ${text}`);
    } catch {
      // A broken logger must not break the bot either.
    }
  };
  const failed = async (err, interaction, name) => {
    log(`${name ? `command ${name}` : 'interaction handler'} failed: ${errorType(err)}: ${messageOf(err)}`);
    if (typeof onError !== 'function') return;
    try {
      await onError(err, interaction);
    } catch (e) {
      log(`onError failed: ${errorType(e)}: ${messageOf(e)}`);
    }
  };

  return async function onInteraction(interaction) {
    try {
      await run.call(this, interaction);
    } catch (e) {
      // A bug of this module: still nothing reaches discord.js.
      log(`instrumentation failed: ${errorType(e)}: ${messageOf(e)}`);
    }
  };

  async function run(interaction) {
    const isCommand = typeof interaction?.isCommand === 'function' && interaction.isCommand();
    if (!isCommand) {
      try {
        await handler.call(this, interaction);
      } catch (err) {
        await failed(err, interaction, '');
      }
      return;
    }

    const name = commandName(interaction);
    /** @type {import('@opentelemetry/api').Attributes} */
    const attributes = {
      [ATTR_COMMAND_NAME]: name,
      [ATTR_COMMAND_MODULE]: module,
      [ATTR_INTERACTION_ID]: interaction.id,
    };
    if (interaction.guildId) attributes[ATTR_GUILD_ID] = interaction.guildId;
    if (interaction.channelId) attributes[ATTR_CHANNEL_ID] = interaction.channelId;
    const span = tracer.startSpan(`command ${name}`, { kind: SpanKind.SERVER, attributes });
    const pending = watchFirstResponse(interaction, span);
    let error;
    let threw = false;
    try {
      await context.with(trace.setSpan(context.active(), span), () => handler.call(this, interaction));
    } catch (err) {
      threw = true;
      error = err;
      recordFailure(span, err);
    }
    // onError runs inside the span, so that an error reply it sends counts
    // as the first response.
    if (threw) await failed(error, interaction, name);
    const end = performance.now();
    // The span lasts as long as the handler (and onError); a response they
    // did not await still gets its event before the span ends.
    if (pending.size > 0) await Promise.allSettled([...pending]);
    span.end(end);
  }
}

module.exports = {
  commandHandler,
  commandName,
  errorType,
  recordFailure,
  EVENT_FIRST_RESPONSE,
  ATTR_COMMAND_NAME,
  ATTR_COMMAND_MODULE,
  ATTR_GUILD_ID,
  ATTR_CHANNEL_ID,
  ATTR_INTERACTION_ID,
};
