// Package health turns values into scores, levels, trends, forecasts,
// recommendations and alert events. It is pure logic: it imports the standard
// library only, performs no I/O and reads no clock (time is an argument).
package health
