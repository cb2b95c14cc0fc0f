'use strict';

const { ExportResultCode } = require('@opentelemetry/core');
const { sanitize } = require('./sanitize');

/**
 * @template T
 * @typedef {{ export: (items: T, done: (r: import('@opentelemetry/core').ExportResult) => void) => void,
 *   shutdown: () => Promise<void>, forceFlush?: () => Promise<void>,
 *   selectAggregation?: Function, selectAggregationTemporality?: Function }} Exporter
 */

/**
 * watched wraps an OTLP exporter so that its failures are logged: the first
 * failure, then nothing until an export succeeds again, which is logged as
 * the recovery (as nexusmon's agent logs its own exports). The OpenTelemetry
 * SDK itself reports export failures only to its diagnostic logger, which is
 * silent unless the application sets one.
 * @template T
 * @param {Exporter<T>} exporter
 * @param {string} signal "traces" or "metrics"
 * @param {(text: string) => void} log
 * @returns {Exporter<T>}
 */
function watched(exporter, signal, log) {
  let failing = false;
  return {
    export(items, done) {
      exporter.export(items, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          if (!failing) {
            failing = true;
            const why = result.error ? sanitize(result.error.message ?? result.error) : 'no reason given';
            log(`${signal} export failed: ${why} (further failures are not logged until an export succeeds)`);
          }
        } else if (failing) {
          failing = false;
          log(`${signal} export recovered`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => (exporter.forceFlush ? exporter.forceFlush() : Promise.resolve()),
    selectAggregation: exporter.selectAggregation?.bind(exporter),
    selectAggregationTemporality: exporter.selectAggregationTemporality?.bind(exporter),
  };
}

module.exports = { watched };
