// Package render turns a report.Report into what is sent: a Discord message
// payload within every one of Discord's limits (Render, CheckLimits), and
// console text (RenderConsole). It is pure: no I/O beyond the io.Writer a
// ConsoleWriter is given, no network, no store.
package render
