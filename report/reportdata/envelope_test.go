package reportdata

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// AppendEnvelopeLine writes, from the report's data encoded once, the same
// bytes json.Marshal gives for the whole envelope: the events file line is
// unchanged by not encoding the data twice.
func TestAppendEnvelopeLine_matchesMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 10, 30, 0, 123456789, time.FixedZone("x", 3600))
	rs := []*Report{
		{Event: EventSystem, Time: at, Data: map[string]any{"cpu": 12.5, "html": "<a & b>", "uni": "é\u2028"}},
		{Event: EventTest, Time: at, Test: true, Data: []int{1, 2}},
		{Event: EventAlert, Time: time.Time{}, Data: nil},
		{Event: Kind("odd \"kind\"\n"), Time: at.Truncate(time.Second), Data: "x"},
	}
	for _, k := range []string{"a<b", "a>b", "a&b", `a\b`, "a\tb", "é", "a\u2028", "\x7f", "\xff"} { // kinds json.Marshal escapes
		rs = append(rs, &Report{Event: Kind(k), Time: at, Data: 1})
	}
	for _, r := range rs {
		want, err := json.Marshal(r.Envelope())
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendEnvelopeLine([]byte("prefix"), r, data)
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("AppendEnvelopeLine = %s\nwant prefix%s", got, want)
		}
	}
}
