package render

import (
	"strings"
	"testing"

	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/internal/reporttest"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

func TestRenderConsole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    *reportdata.Report
		want string
	}{
		{"nil", nil, ""},
		{
			name: "no host, no time, no sections",
			r:    &reportdata.Report{Title: "Status", Emoji: "📊", Level: health.Good},
			want: "=== 📊 Status ===\nStatus: 🟡 Good",
		},
		{
			name: "hostile text is cleaned, not escaped",
			r: &reportdata.Report{
				Title: "Error\x1b[2J", Host: "h\u202e1", Time: reporttest.FixtureTime, Level: health.Poor,
				Summary: "**bold** <@123> @everyone\x1b[31m red\r\n\x07second",
				Sections: []reportdata.Section{{Name: "Ctx\nline", Fields: []reportdata.Field{
					{Name: "Trace", Value: "a\n\n\tb"},
					{Value: "nameless"},
					{Name: "Empty", Value: "\x00 "},
				}}},
			},
			want: "=== Error[2J · h1 · 2026-11-27T10:30:00Z ===\nStatus: 🔴 Poor\n" +
				"**bold** <@123> @everyone[31m red\nsecond\n" +
				"Ctx line\n  Trace:\n    a\n\n     b\n  nameless\n  Empty: —",
		},
		{
			name: "test report with a file",
			r: &reportdata.Report{Test: true, Title: "Reporting test", Level: health.Excellent,
				Files: []reportdata.File{{Name: "chart.png", ContentType: "image/png", Data: make([]byte, 10)}}},
			want: "=== 🧪 TEST · Reporting test ===\nStatus: 🟢 Excellent\nAttachment: chart.png (image/png, 10 bytes)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := RenderConsole(tt.r)
			if got != tt.want {
				t.Errorf("RenderConsole =\n%s\nwant\n%s", got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\x00\x07\r\u202e") {
				t.Errorf("control characters in %q", got)
			}
		})
	}
}
