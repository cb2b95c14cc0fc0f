'use strict';

/**
 * The longest sanitised message, in code points: nexusmon's bound for span
 * status messages and command errors (instrumentation/bot.MaxMessageRunes).
 */
const MAX_MESSAGE = 500;

/** The most of a message sanitize looks at; the rest is cut first. */
const MAX_INPUT = 16 << 10;

/**
 * Rules that remove what looks like a secret, the same as nexusmon's Go
 * instrumentation (instrumentation/bot/errors.go). Order matters: the
 * specific rules run before the catch-all for long opaque strings.
 * @type {Array<[RegExp, string]>}
 */
const REDACTIONS = [
  // Discord bot tokens: base64 user id, timestamp, HMAC.
  [/[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g, '[token]'],
  // Authorization header values, with or without a scheme.
  [/(authorization["']?\s*[:=]\s*["']?)(?:(?:Bot|Bearer|Basic)\s+)?[^\s"',]+/gi, '$1[redacted]'],
  // Credentials after an auth scheme elsewhere; at least 20 characters, so
  // "the Bot responded" stays readable.
  [/\b(Bot|Bearer|Basic) +[A-Za-z0-9_\-.=+/]{20,}/g, '$1 [redacted]'],
  // Webhook and interaction tokens in URLs and paths.
  [/(\/webhooks\/[0-9]+\/)[^/\s?#"'<>]+/g, '$1[token]'],
  [/(\/interactions\/[0-9]+\/)[^/\s?#"'<>]+/g, '$1[token]'],
  // User information in URLs.
  [/(:\/\/)[^/\s@]+@/g, '$1[redacted]@'],
  // Secret-looking key=value pairs, in queries or free text.
  [/\b(token|secret|password|passwd|pwd|api[_-]?key|key|auth|signature|sig)=[^&\s"']+/gi, '$1=[redacted]'],
];

const OPAQUE = /[A-Za-z0-9_-]{40,}/g;

/**
 * sanitize makes an error text safe for a span, a log line or a Discord
 * message: token-like strings (bot tokens, Authorization values, webhook and
 * interaction tokens, URL user information, key=value secrets, long opaque
 * strings mixing letters and digits) are replaced, control characters become
 * spaces, and the result is at most max code points, ending with "…" when cut.
 * @param {unknown} text
 * @param {number} [max] bound in code points (default 500)
 * @returns {string}
 */
function sanitize(text, max = MAX_MESSAGE) {
  let s = String(text ?? '');
  if (s.length > MAX_INPUT) {
    s = s.slice(0, MAX_INPUT);
    // Drop the last, possibly cut, word: a token cut short could slip under
    // the length the rules look for.
    const i = Math.max(s.lastIndexOf(' '), s.lastIndexOf('\t'), s.lastIndexOf('\n'));
    if (i > 0) s = s.slice(0, i);
  }
  for (const [re, repl] of REDACTIONS) s = s.replace(re, repl);
  s = s.replace(OPAQUE, (m) => (/[0-9]/.test(m) && /[A-Za-z]/.test(m) ? '[redacted]' : m));
  s = s
    .replace(/\p{Cc}/gu, ' ')
    .replace(/(?!\u200d)\p{Cf}/gu, '') // bidi overrides and the like; keep ZWJ for emoji
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '') // lone surrogates
    .trim();
  const points = Array.from(s);
  if (points.length > max) s = points.slice(0, max - 1).join('') + '…';
  return s;
}

module.exports = { sanitize, MAX_MESSAGE };
