// Package health turns values into scores, levels, trends, forecasts,
// recommendations and alert events. It is pure logic: it imports the standard
// library only, performs no I/O and reads no clock (time is an argument).
// Callers (the agent, the report engine) convert telemetry into the plain
// values it takes and act on the values it returns; TestPurity enforces the
// import and clock rules.
//
// Decisions a user of the package relies on:
//
//   - Scores (Score, Evaluate): "higher is worse" values; 75 at the warning
//     line, 25 at the critical line. A component without a usable value is
//     left out of the overall score; when none is usable the overall score is
//     0 and Critical, so "no data" never looks healthy.
//   - Trends (TrendOf, Forecast): ordinary least squares over the samples the
//     caller selects (see Within); at least three finite samples.
//   - Alerts (Rule.Evaluate): Prometheus-style pending/firing with For,
//     hysteresis on clearing, one escalation WARNING→CRITICAL, silent
//     de-escalation (the alert keeps CRITICAL until it resolves), repeats
//     every RepeatInterval, one RESOLVED with duration and peak. State is
//     JSON so alerts survive restarts.
//   - Recommendations (Recommend): nothing is returned when all is well; each
//     recommendation quotes the values and window that triggered it.
package health
