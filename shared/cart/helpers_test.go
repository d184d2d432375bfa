package cart

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// taipei is the team time zone of every test (switchboard.DefaultTimeZone).
var taipei = func() *time.Location {
	loc, err := time.LoadLocation(switchboard.DefaultTimeZone)
	if err != nil {
		panic(err)
	}
	return loc
}()

// at parses "2006-01-02 15:04" in Taipei.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, taipei)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

// fmtT formats a time in Taipei the way at parses it.
func fmtT(v time.Time) string { return v.In(taipei).Format("2006-01-02 15:04") }

// testConfig is an enabled LINE configuration: message 1 after one hour,
// message 2 after one day, restart cycle three days, no quiet hours.
func testConfig() *Config {
	return &Config{
		TeamID: "t1", ChannelID: "ch1", ChannelKind: switchboard.KindLINE, Enabled: true,
		Messages: []MessageConfig{
			{Enabled: true, Delay: Delay{Hours: 1}, BotModuleID: "m1"},
			{Enabled: true, Delay: Delay{Days: 1}, BotModuleID: "m2"},
		},
		RestartCycle: Delay{Days: 3},
		Epoch:        5,
	}
}

// boundContact is a subscribed LINE contact of ch1 bound to visitor v1.
func boundContact(lastInteraction time.Time) *switchboard.Contact {
	return &switchboard.Contact{
		ID: "c1", TeamID: "t1", ChannelID: "ch1", ChannelKind: switchboard.KindLINE, PlatformUserID: "U1",
		Subscribed: true, LastCustomerInteractionAt: lastInteraction,
		Bindings: []switchboard.Binding{{Kind: BindingVisitor, ID: "v1"}},
	}
}

func newCart() Cart { return Cart{TeamID: "t1", VisitorID: "v1"} }

func item(id string, added time.Time) Item {
	return Item{ProductID: id, Name: "Product " + id, ImageURL: "https://img/" + id, URL: "https://shop/" + id,
		Price: 128000, Currency: "TWD", Quantity: 1, AddedAt: added}
}

// mustAdd applies an add-to-cart and fails the test on error.
func mustAdd(t *testing.T, cfg *Config, c Cart, ct *switchboard.Contact, it Item, now time.Time) Decision {
	t.Helper()
	d, err := OnAddToCart(cfg, c, ct, it, now, taipei)
	if err != nil {
		t.Fatalf("OnAddToCart: %v", err)
	}
	return d
}

// dues lists the due times of timers, formatted.
func dues(ts []Timer) []string {
	var out []string
	for _, x := range ts {
		out = append(out, fmtT(x.DueAt))
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
