package report

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/build"
)

// The pooled encoder gives json.Marshal's bytes, and its errors.
func TestDataEncoder_sameAsMarshal(t *testing.T) {
	t.Parallel()
	e := dataEncoders.Get().(*dataEncoder)
	defer e.release()
	for _, v := range []any{
		build.BuildSystemData(reporttest.FullSnapshot(1), reporttest.FullSnapshot(0)),
		map[string]any{"html": "<a & b>", "uni": "é\u2028", "nl": "a\nb"},
		"x", nil, []int{},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.encode(v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("encode = %s, %v\nwant %s", got, err, want)
		}
	}
	if _, err := e.encode(math.NaN()); err == nil {
		t.Error("encoding NaN: no error")
	}
}
