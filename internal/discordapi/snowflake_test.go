package discordapi

import "testing"

func TestIsSnowflake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"12345", false},                // a truncated id, a count, a port number
		{"1", false},                    //
		{"1234567890123456", false},     // 16 digits: before 2015-01-28
		{"10000000004194304", true},     // the smallest id of 2015-01-28 (17 digits)
		{"41771983423143937", true},     // a 2015 guild id
		{"1100000000000000010", true},   // today's ids have 19 digits
		{"18446744073709551615", true},  // the largest uint64
		{"18446744073709551616", false}, // one more
		{"99999999999999999999", false},
		{"123456789012345678901", false}, // 21 digits
		{"01234567890123456", false},     // leading zero
		{"+1234567890123456", false},
		{"-1234567890123456", false},
		{"123456789012345678a", false},
		{" 123456789012345678", false},
		{"123456789012345678\n", false},
		{"１２３４５６７８９０１２３４５６７", false}, // full-width digits
		{"general", false},
		{"@original", false},
	}
	for _, tc := range tests {
		if got := IsSnowflake(tc.in); got != tc.want {
			t.Errorf("IsSnowflake(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
