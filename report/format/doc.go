// Package format is how report values are shown and kept: numbers with
// their units ("1.5 GiB", "12.5 %", "42 ms"), rounding, and the optional
// values of report data (nil when a value could not be read: null in JSON,
// "n/a" in text, never 0). It imports the standard library only.
package format
