package discordapi

import "strconv"

// Bounds of a snowflake's decimal form.
const (
	minSnowflakeDigits = 17
	maxSnowflakeDigits = 20 // 18446744073709551615, the largest uint64
)

// IsSnowflake reports whether s is a Discord id: 17 to 20 ASCII digits whose
// value fits in an unsigned 64-bit integer.
//
// Discord ids are 64-bit unsigned integers sent as decimal strings; their
// top 42 bits count milliseconds since the Discord epoch, 2015-01-01
// (https://discord.com/developers/docs/reference#snowflakes). Every id
// minted from 2015-01-28 on, four months before Discord launched, is at
// least 2^22·2,384,185,792 > 10^16, so it has 17 digits or more; 20 digits
// is as long as a uint64 gets. The lower bound accepts every real id and
// rejects what a user pastes by mistake (a truncated id, a count, a port
// number); the uint64 bound rejects 20-digit numbers Discord cannot issue.
// Signs, spaces and leading zeros are rejected: Discord never sends them.
func IsSnowflake(s string) bool {
	if len(s) < minSnowflakeDigits || len(s) > maxSnowflakeDigits || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if len(s) < maxSnowflakeDigits {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
