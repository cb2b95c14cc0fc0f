package format

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// Every Append form appends exactly what its string form returns; counts
// read as fmt's %d.
func TestAppend_sameAsString(t *testing.T) {
	floats := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.04, 0.05, 1, 9.95, 9.96, 10, 99.95, 512, 1023.4, 1023.6, 1024,
		1536, -2048, 1 << 20, 5.5 * (1 << 30), 1 << 40, 1 << 50, 1 << 62, 123456.789}
	pre := []byte("x: ")
	check := func(name, want string, got []byte) {
		t.Helper()
		if string(got) != "x: "+want {
			t.Errorf("%s: appended %q, want %q", name, got, "x: "+want)
		}
	}
	for _, v := range floats {
		check("Bytes", Bytes(v), AppendBytes(pre, v))
		check("Rate", Rate(v), AppendRate(pre, v))
		check("Pct", Pct(v), AppendPct(pre, v))
		check("MS", MS(v), AppendMS(pre, v))
		for _, dec := range []int{0, 1, 2} {
			check("Float", Float(v, dec), AppendFloat(pre, v, dec))
		}
	}
	for _, v := range []int64{0, 7, 99, 100, -1, -123456, math.MaxInt64, math.MinInt64} {
		check("Count int64", fmt.Sprintf("%d", v), AppendCount(pre, &v))
		check("Count int64", fmt.Sprintf("%d", v), []byte("x: "+Count(&v)))
		i := int(v)
		check("Count int", Count(&i), AppendCount(pre, &i))
	}
	for _, v := range []uint64{0, 42, 1 << 40, math.MaxUint64} {
		check("Count uint64", fmt.Sprintf("%d", v), AppendCount(pre, &v))
		check("Count uint64", fmt.Sprintf("%d", v), []byte("x: "+Count(&v)))
	}
	check("Count nil", Count[int](nil), AppendCount[int](pre, nil))
	for _, d := range []time.Duration{0, 999 * time.Millisecond, 45 * time.Second, -45 * time.Second, time.Minute, 59*time.Minute + 59*time.Second,
		time.Hour, 25*time.Hour + 5*time.Minute, 400 * 24 * time.Hour} {
		check("Duration", Duration(d), AppendDuration(pre, d))
	}
}

// A Slab's pointers are distinct and keep their values across its arrays.
func TestSlab_values(t *testing.T) {
	var s Slab[int]
	var ps []*int
	for i := range 3*slabSize + 1 {
		ps = append(ps, s.New(i))
	}
	if s.Opt(7, false) != nil {
		t.Error("Opt(v, false) is not nil")
	}
	for i, p := range ps {
		if *p != i {
			t.Fatalf("value %d reads %d", i, *p)
		}
	}
}
