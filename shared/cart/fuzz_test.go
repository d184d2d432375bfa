package cart

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzValidate decodes a configuration as the operators' API would and checks
// that validation never panics, and that anything it accepts keeps the
// invariants the rules rely on, and can drive an add-to-cart and its timers.
func FuzzValidate(f *testing.F) {
	seeds := []string{
		`{"teamId":"t1","channelId":"ch1","channelKind":"line","enabled":true,"messages":[{"enabled":true,"delay":{"hours":1},"botModuleId":"m"}]}`,
		`{"teamId":"t1","channelId":"ch1","channelKind":"whatsapp","enabled":true,"messages":[{"enabled":true,"delay":{"days":1},"templateLanguage":"zh_TW","customMessage":"hi"}],"doNotDisturb":{"enabled":true,"start":"22:00","end":"08:00"},"restartCycle":{"days":3}}`,
		`{"teamId":"t1","channelId":"ch1","channelKind":"messenger","messages":[{"delay":{"minutes":-5}},{},{},{},{}]}`,
		`{"doNotDisturb":{"enabled":true,"start":"99:99","end":""}}`,
		`{"messages":null,"restartCycle":{"days":9223372036854775807}}`,
		`[]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Config
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		_ = c.Advisories()
		if len(c.Messages) > MaxMessages {
			t.Fatalf("accepted %d messages", len(c.Messages))
		}
		var prev time.Duration
		for _, m := range c.Messages {
			if !m.Enabled {
				continue
			}
			if d := m.Delay.Duration(); d <= prev || d > (MaxDelayDays+1)*24*time.Hour {
				t.Fatalf("accepted delays out of order or out of range: %+v", c.Messages)
			}
			prev = m.Delay.Duration()
		}
		now := time.Date(2025, 6, 1, 2, 0, 0, 0, taipei)
		d, err := OnAddToCart(&c, newCart(), boundContact(now), item("p1", time.Time{}), now, taipei)
		if err != nil {
			t.Fatalf("add-to-cart with a valid configuration: %v", err)
		}
		last := now
		for _, tm := range d.Arm {
			if tm.DueAt.Before(last) {
				t.Fatalf("timers out of order: %v", dues(d.Arm))
			}
			last = tm.DueAt
			if _, quiet := c.DoNotDisturb.QuietUntil(tm.DueAt, taipei); quiet {
				t.Fatalf("timer armed inside quiet hours: %s", fmtT(tm.DueAt))
			}
			_ = OnTimerFired(&c, d.Cart, boundContact(now), tm, tm.DueAt, taipei)
		}
	})
}

// FuzzParseAmount checks that amount parsing never panics and that what it
// accepts survives a round trip through String.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1280", "1,280.50", "-0.995", ".5", "999999999999999.99", "1e9", ",", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		b, err := ParseAmount(a.String())
		if err != nil || b != a {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, a, a.String(), b, err)
		}
		_ = FormatMoney("TWD", a)
	})
}

// FuzzParseCatalogPrice checks the catalogue price parser never panics and
// returns only upper-case 3-letter currencies.
func FuzzParseCatalogPrice(f *testing.F) {
	for _, s := range []string{"1280.00 TWD", "USD 9.99", "9.99", "9.99 US$", "  ", "TWD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, cur, err := ParseCatalogPrice(s)
		if err != nil || cur == "" {
			return
		}
		if len(cur) != 3 || cur[0] < 'A' || cur[0] > 'Z' {
			t.Fatalf("currency %q from %q", cur, s)
		}
	})
}

// FuzzParseClock checks the HH:MM parser never panics and stays within a day.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"00:00", "23:59", "24:00", "9:00", "ab:cd", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseClock(s)
		if err == nil && (d < 0 || d >= 24*time.Hour) {
			t.Fatalf("%q parsed to %v", s, d)
		}
	})
}
