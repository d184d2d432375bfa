package runner

import (
	"strings"
	"testing"
	"time"
)

func TestParseScheduleNext(t *testing.T) {
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		expr string
		loc  *time.Location
		from string
		want []string // successive firings
	}{
		{"rate(1 minute)", nil, "2025-01-06T12:00:30Z", []string{"2025-01-06T12:01:00Z", "2025-01-06T12:02:00Z"}},
		{"rate(1 minute)", nil, "2025-01-06T12:00:00Z", []string{"2025-01-06T12:01:00Z"}},
		{"rate(5 minutes)", nil, "2025-01-06T12:03:00Z", []string{"2025-01-06T12:05:00Z", "2025-01-06T12:10:00Z"}},
		{"rate(2 hours)", nil, "2025-01-06T13:10:00Z", []string{"2025-01-06T14:00:00Z", "2025-01-06T16:00:00Z"}},
		{"rate(1 day)", nil, "2025-01-06T13:10:00Z", []string{"2025-01-07T00:00:00Z"}},
		{"cron(0 3 * * ? *)", nil, "2025-01-06T03:00:00Z", []string{"2025-01-07T03:00:00Z", "2025-01-08T03:00:00Z"}},
		{"cron(0 3 * * ? *)", taipei, "2025-01-06T00:00:00Z", []string{"2025-01-06T19:00:00Z"}},
		{"cron(0/15 9-10 ? * MON-FRI *)", nil, "2025-01-10T10:50:00Z", []string{"2025-01-13T09:00:00Z", "2025-01-13T09:15:00Z"}},
		{"cron(0 12 L * ? *)", nil, "2025-02-01T00:00:00Z", []string{"2025-02-28T12:00:00Z", "2025-03-31T12:00:00Z"}},
		{"cron(0 12 L * ? *)", nil, "2024-02-01T00:00:00Z", []string{"2024-02-29T12:00:00Z"}},
		{"cron(0 9 ? * 2#1 *)", nil, "2025-01-01T00:00:00Z", []string{"2025-01-06T09:00:00Z", "2025-02-03T09:00:00Z"}},
		{"cron(0 9 ? * 6L *)", nil, "2025-01-01T00:00:00Z", []string{"2025-01-31T09:00:00Z", "2025-02-28T09:00:00Z"}},
		{"cron(0 9 ? * L *)", nil, "2025-01-01T00:00:00Z", []string{"2025-01-25T09:00:00Z"}},
		// The 15th of February 2025 is a Saturday: the nearest weekday is Friday 14th.
		{"cron(0 9 15W * ? *)", nil, "2025-02-01T00:00:00Z", []string{"2025-02-14T09:00:00Z", "2025-03-14T09:00:00Z"}},
		// 1 March 2025 is a Saturday: 1W moves forward to Monday 3rd, not into February.
		{"cron(0 9 1W * ? *)", nil, "2025-02-20T00:00:00Z", []string{"2025-03-03T09:00:00Z"}},
		// The last day of August 2025 is a Sunday: LW is Friday 29th.
		{"cron(0 9 LW * ? *)", nil, "2025-08-01T00:00:00Z", []string{"2025-08-29T09:00:00Z"}},
		{"cron(30 8 1,15 JAN,JUL ? 2026)", nil, "2025-06-01T00:00:00Z", []string{"2026-01-01T08:30:00Z", "2026-01-15T08:30:00Z", "2026-07-01T08:30:00Z"}},
		{"cron(0 0 29 2 ? *)", nil, "2025-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"cron(0 0 1 1 ? 2199)", nil, "2025-01-01T00:00:00Z", []string{"2199-01-01T00:00:00Z"}},
		{"cron(0 0 31 4 ? *)", nil, "2025-01-01T00:00:00Z", []string{"0001-01-01T00:00:00Z"}},
		{"cron(0 0 1 1 ? 2020)", nil, "2025-01-01T00:00:00Z", []string{"0001-01-01T00:00:00Z"}},
		{"at(2025-05-01T10:00:00)", nil, "2025-04-01T00:00:00Z", []string{"2025-05-01T10:00:00Z", "0001-01-01T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" from "+tt.from, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr, tt.loc)
			if err != nil {
				t.Fatalf("ParseSchedule: %v", err)
			}
			cur := at(tt.from)
			for i, w := range tt.want {
				got := s.Next(cur)
				if want := at(w); !got.Equal(want) {
					t.Fatalf("firing %d: got %s, want %s", i, got.UTC().Format(time.RFC3339), w)
				}
				cur = got
			}
		})
	}
}

func TestParseScheduleRejects(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"rate(1 minutes)", `use "minute" for a value of 1`},
		{"rate(5 minute)", `use "minute" for a value of 1`},
		{"rate(0 minutes)", "positive whole number"},
		{"rate(1 week)", "minute(s), hour(s) or day(s)"},
		{"rate(one minute)", "positive whole number"},
		{"rate(1)", "a value and a unit"},
		{"cron(0 3 * * *)", "needs 6 fields"},
		{"cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week"},
		{"cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week"},
		{"cron(60 3 * * ? *)", "minutes"},
		{"cron(0 24 * * ? *)", "hours"},
		{"cron(0 3 32 * ? *)", "day-of-month"},
		{"cron(0 3 * 13 ? *)", "month"},
		{"cron(0 3 ? * 8 *)", "day-of-week"},
		{"cron(0 3 ? * 2#6 *)", "occurrence 1-5"},
		{"cron(0 3 10-5 * ? *)", "range runs backwards"},
		{"cron(0/0 3 * * ? *)", "bad step"},
		{"cron(0 3 * * ? 1969)", "year"},
		{"at(2025-05-01 10:00)", "yyyy-mm-ddThh:mm:ss"},
		{"every minute", "want rate(...), cron(...) or at(...)"},
		{"daily(1)", "want rate(...), cron(...) or at(...)"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseSchedule(tt.expr, nil)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) succeeded; want an error containing %q", tt.expr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// FuzzParseSchedule holds two properties for any expression the template
// might hold: parsing never panics, and a schedule that parses only ever
// moves forward.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"rate(1 minute)", "rate(7 hours)", "cron(0/15 9-10 ? * MON-FRI *)", "cron(0 9 ? * 6L *)",
		"cron(0 9 15W * ? *)", "cron(0 9 ? * 2#1 2030)", "at(2025-05-01T10:00:00)", "cron(* * L * ? *)"} {
		f.Add(s)
	}
	from := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSchedule(expr, time.UTC)
		if err != nil {
			return
		}
		next := s.Next(from)
		if !next.IsZero() && !next.After(from) {
			t.Fatalf("%q: Next(%s) = %s, not after", expr, from, next)
		}
	})
}
