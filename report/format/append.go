package format

import (
	"math"
	"strconv"
	"time"
)

// Append forms of the formatting functions: each appends to dst exactly
// the text its string form returns. A builder that writes a line of
// several figures into one buffer makes one string of it, where
// concatenating the string forms (or fmt.Sprintf) allocated for every part.

const na = "n/a"

// AppendBytes appends Bytes(b).
func AppendBytes(dst []byte, b float64) []byte {
	if math.IsNaN(b) {
		return append(dst, na...)
	}
	const unit = 1024.0
	units := [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for math.Abs(b) >= unit && i < len(units)-1 {
		b /= unit
		i++
	}
	if i == 0 {
		return append(strconv.AppendFloat(dst, b, 'f', 0, 64), " B"...)
	}
	dst = append(strconv.AppendFloat(dst, b, 'f', 1, 64), ' ')
	return append(dst, units[i]...)
}

// AppendRate appends Rate(bps).
func AppendRate(dst []byte, bps float64) []byte {
	if math.IsNaN(bps) {
		return append(dst, na...)
	}
	return append(AppendBytes(dst, bps), "/s"...)
}

// AppendPct appends Pct(p).
func AppendPct(dst []byte, p float64) []byte {
	if math.IsNaN(p) {
		return append(dst, na...)
	}
	return append(strconv.AppendFloat(dst, p, 'f', 1, 64), " %"...)
}

// AppendMS appends MS(ms).
func AppendMS(dst []byte, ms float64) []byte {
	if math.IsNaN(ms) {
		return append(dst, na...)
	}
	dec := 1
	if ms >= 10 {
		dec = 0
	}
	return append(strconv.AppendFloat(dst, ms, 'f', dec, 64), " ms"...)
}

// AppendFloat appends Float(v, dec).
func AppendFloat(dst []byte, v float64, dec int) []byte {
	if math.IsNaN(v) {
		return append(dst, na...)
	}
	return strconv.AppendFloat(dst, v, 'f', dec, 64)
}

// AppendCount appends Count(p).
func AppendCount[T ~int | ~int64 | ~uint64](dst []byte, p *T) []byte {
	if p == nil {
		return append(dst, na...)
	}
	if v := *p; v < 0 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return strconv.AppendUint(dst, uint64(*p), 10)
}

// AppendDuration appends Duration(d).
func AppendDuration(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = -d
	}
	pair := func(dst []byte, a int64, ua string, b int64, ub string) []byte {
		dst = append(strconv.AppendInt(dst, a, 10), ua...)
		return append(strconv.AppendInt(append(dst, ' '), b, 10), ub...)
	}
	switch {
	case d >= 24*time.Hour:
		return pair(dst, int64(d/(24*time.Hour)), "d", int64(d%(24*time.Hour)/time.Hour), "h")
	case d >= time.Hour:
		return pair(dst, int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	case d >= time.Minute:
		return pair(dst, int64(d/time.Minute), "m", int64(d%time.Minute/time.Second), "s")
	default:
		return append(strconv.AppendInt(dst, int64(d/time.Second), 10), 's')
	}
}
