package store

import (
	"context"
	"testing"
)

func TestStore_KV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, WithClock(fixedClock(t0)))

	type op struct {
		do    string // put, delete
		ns    string
		key   string
		value string
	}
	type check struct {
		ns, key string
		want    string
		ok      bool
	}
	tests := []struct {
		name   string
		ops    []op
		checks []check
	}{
		{"missing", nil, []check{{"alerts", "cpu", "", false}}},
		{"put then get", []op{{"put", "alerts", "cpu", "firing"}}, []check{{"alerts", "cpu", "firing", true}}},
		{"overwrite", []op{{"put", "live", "sys", "1"}, {"put", "live", "sys", "2"}}, []check{{"live", "sys", "2", true}}},
		{"namespaces are separate", []op{{"put", "a", "k", "in a"}, {"put", "b", "k", "in b"}},
			[]check{{"a", "k", "in a", true}, {"b", "k", "in b", true}, {"c", "k", "", false}}},
		{"empty value is present", []op{{"put", "e", "k", ""}}, []check{{"e", "k", "", true}}},
		{"delete", []op{{"put", "d", "k", "v"}, {"delete", "d", "k", ""}}, []check{{"d", "k", "", false}}},
		{"delete missing", []op{{"delete", "never", "k", ""}}, []check{{"never", "k", "", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range tt.ops {
				var err error
				switch o.do {
				case "put":
					err = s.Put(ctx, o.ns, o.key, []byte(o.value))
				case "delete":
					err = s.Delete(ctx, o.ns, o.key)
				}
				if err != nil {
					t.Fatalf("%s %s/%s: %v", o.do, o.ns, o.key, err)
				}
			}
			for _, c := range tt.checks {
				got, ok, err := s.Get(ctx, c.ns, c.key)
				if err != nil {
					t.Fatalf("Get %s/%s: %v", c.ns, c.key, err)
				}
				if ok != c.ok || string(got) != c.want {
					t.Errorf("Get %s/%s = %q, %v; want %q, %v", c.ns, c.key, got, ok, c.want, c.ok)
				}
			}
		})
	}
}
