package cart

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestAttribute(t *testing.T) {
	t0 := at(t, "2025-06-01 10:00")
	clicks := []ClickRecord{
		{SendID: "s1", ContactID: "c1", Index: 1, ClickedAt: t0},
		{SendID: "s2", ContactID: "c1", Index: 2, ClickedAt: t0.Add(24 * time.Hour)},
		{SendID: "s3", ContactID: "c2", Index: 1, ClickedAt: t0},
	}
	order := func(id, contact string, placed time.Time) OrderRecord {
		return OrderRecord{ID: id, ContactID: contact, Currency: "TWD", Total: 100000, PlacedAt: placed}
	}
	tests := []struct {
		name      string
		orders    []OrderRecord
		window    time.Duration
		wantIndex map[string]int // order id -> message index; absent = not attributed
	}{
		{"last click before the order wins", []OrderRecord{order("o1", "c1", t0.Add(25*time.Hour))}, DefaultAttributionWindow, map[string]int{"o1": 2}},
		{"order between two clicks goes to the earlier", []OrderRecord{order("o1", "c1", t0.Add(time.Hour))}, DefaultAttributionWindow, map[string]int{"o1": 1}},
		{"order at the click instant counts", []OrderRecord{order("o1", "c2", t0)}, DefaultAttributionWindow, map[string]int{"o1": 1}},
		{"order before any click is not attributed", []OrderRecord{order("o1", "c1", t0.Add(-time.Minute))}, DefaultAttributionWindow, map[string]int{}},
		{"order of a contact without clicks", []OrderRecord{order("o1", "c9", t0.Add(time.Hour))}, DefaultAttributionWindow, map[string]int{}},
		{"order at the window's end counts", []OrderRecord{order("o1", "c2", t0.Add(DefaultAttributionWindow))}, DefaultAttributionWindow, map[string]int{"o1": 1}},
		{"order after the window", []OrderRecord{order("o1", "c2", t0.Add(DefaultAttributionWindow+time.Second))}, DefaultAttributionWindow, map[string]int{}},
		{"shorter window", []OrderRecord{order("o1", "c1", t0.Add(2*time.Hour))}, time.Hour, map[string]int{}},
		{"duplicate order id counts once", []OrderRecord{order("o1", "c2", t0.Add(time.Hour)), order("o1", "c2", t0.Add(time.Hour))}, DefaultAttributionWindow, map[string]int{"o1": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Attribute(clicks, tt.orders, tt.window)
			if len(got) != len(tt.wantIndex) {
				t.Fatalf("attributed %d orders, want %d: %+v", len(got), len(tt.wantIndex), got)
			}
			for _, a := range got {
				if want, ok := tt.wantIndex[a.Order.ID]; !ok || a.Index != want {
					t.Errorf("order %s to message %d, want %d", a.Order.ID, a.Index, want)
				}
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t0 := at(t, "2025-06-01 10:00")
	from, to := at(t, "2025-06-01 00:00"), at(t, "2025-06-08 00:00")
	sends := []SendRecord{
		{ID: "s1", ContactID: "c1", Index: 1, SentAt: t0},
		{ID: "s2", ContactID: "c2", Index: 1, SentAt: t0},
		{ID: "s3", ContactID: "c3", Index: 1, SentAt: t0},
		{ID: "s4", ContactID: "c4", Index: 1, SentAt: t0},
		{ID: "s5", ContactID: "c1", Index: 2, SentAt: t0.Add(24 * time.Hour)},
		{ID: "old", ContactID: "c1", Index: 1, SentAt: from.Add(-time.Hour)},
		{ID: "bad", ContactID: "c1", Index: 7, SentAt: t0},
	}
	clicks := []ClickRecord{
		{SendID: "s1", ContactID: "c1", Index: 1, ClickedAt: t0.Add(time.Minute)},
		{SendID: "s1", ContactID: "c1", Index: 1, ClickedAt: t0.Add(2 * time.Minute)}, // same send again
		{SendID: "s2", ContactID: "c2", Index: 1, ClickedAt: t0.Add(time.Minute)},
		{SendID: "s5", ContactID: "c1", Index: 2, ClickedAt: t0.Add(25 * time.Hour)},
	}
	orders := []OrderRecord{
		{ID: "o1", ContactID: "c2", Currency: "TWD", Total: 150000, PlacedAt: t0.Add(time.Hour)},
		{ID: "o2", ContactID: "c1", Currency: "TWD", Total: 50000, PlacedAt: t0.Add(26 * time.Hour)},
		{ID: "o3", ContactID: "c1", Currency: "USD", Total: 999, PlacedAt: t0.Add(27 * time.Hour)},
	}
	s := Summarize(sends, clicks, Attribute(clicks, orders, DefaultAttributionWindow), from, to)

	tests := []struct {
		name                  string
		got                   IndexStats
		sends, clicks, orders int
		twd, usd              Amount
		ctr, conversion       float64
	}{
		{"message 1", s.ByIndex[0], 4, 2, 1, 150000, 0, 0.5, 0.5},
		{"message 2", s.ByIndex[1], 1, 1, 2, 50000, 999, 1, 2},
		{"message 3 has nothing", s.ByIndex[2], 0, 0, 0, 0, 0, 0, 0},
		{"total", s.Total, 5, 3, 3, 200000, 999, 0.6, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.got
			if g.Sends != tt.sends || g.UniqueClicks != tt.clicks || g.Orders != tt.orders {
				t.Errorf("sends/clicks/orders %d/%d/%d, want %d/%d/%d", g.Sends, g.UniqueClicks, g.Orders, tt.sends, tt.clicks, tt.orders)
			}
			if g.Revenue["TWD"] != tt.twd || g.Revenue["USD"] != tt.usd {
				t.Errorf("revenue %v, want TWD %d USD %d", g.Revenue, tt.twd, tt.usd)
			}
			if got := g.CTR(); got != tt.ctr {
				t.Errorf("CTR %v, want %v", got, tt.ctr)
			}
			if got := g.Conversion(); got != tt.conversion {
				t.Errorf("conversion %v, want %v", got, tt.conversion)
			}
		})
	}
}

func TestROAS(t *testing.T) {
	tests := []struct {
		revenue, spend Amount
		want           float64
		ok             bool
	}{
		{100000, 25000, 4, true},
		{100000, 0, 0, false},
		{100000, -5, 0, false},
	}
	for _, tt := range tests {
		got, ok := ROAS(tt.revenue, tt.spend)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ROAS(%d, %d) = %v, %v; want %v, %v", tt.revenue, tt.spend, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCheckExportRange(t *testing.T) {
	from := at(t, "2025-06-01 00:00")
	tests := []struct {
		name string
		to   time.Time
		ok   bool
	}{
		{"31 days", at(t, "2025-07-02 00:00"), true},
		{"one day", at(t, "2025-06-02 00:00"), true},
		{"31 days and a minute", at(t, "2025-07-02 00:01"), false},
		{"reversed", at(t, "2025-05-31 00:00"), false},
		{"empty", from, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckExportRange(from, tt.to, taipei)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil && switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Errorf("code %q, want invalid", switchboard.ErrorCode(err))
			}
		})
	}
}

func TestExport(t *testing.T) {
	from, to := at(t, "2025-06-01 00:00"), at(t, "2025-06-08 00:00")
	atts := []Attribution{
		{Order: OrderRecord{ID: "o1", MemberID: "M1", Currency: "TWD", Total: 128000, PlacedAt: at(t, "2025-06-02 13:45")}, Index: 1},
		{Order: OrderRecord{ID: "=HYPERLINK(1)", MemberID: "", Currency: "USD", Total: 1999, PlacedAt: at(t, "2025-06-03 09:00")}, Index: 2},
		{Order: OrderRecord{ID: "late", Currency: "TWD", Total: 1, PlacedAt: to}, Index: 1},
	}
	rows, err := ExportRows(switchboard.KindMessenger, "Shop, Taipei", atts, from, to, taipei)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 2; got != want {
		t.Fatalf("rows %d, want %d (an order at the period's end is outside)", got, want)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows, taipei); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"Platform,Channel Name,Date,Order ID,Currency,Total,Message Index,Member ID",
		`Facebook,"Shop, Taipei",2025-06-02 13:45:00,o1,TWD,1280.00,1,M1`,
		`Facebook,"Shop, Taipei",2025-06-03 09:00:00,'=HYPERLINK(1),USD,19.99,2,`,
		"",
	}, "\n")
	if got := buf.String(); got != want {
		t.Errorf("csv:\n%s\nwant:\n%s", got, want)
	}

	if _, err := ExportRows(switchboard.KindLINE, "x", atts, from, from.AddDate(0, 0, 32), taipei); switchboard.ErrorCode(err) != switchboard.EInvalid {
		t.Errorf("a 32-day export: %v, want invalid", err)
	}
}

func TestPlatformName(t *testing.T) {
	tests := []struct {
		kind switchboard.ChannelKind
		want string
	}{
		{switchboard.KindLINE, "LINE"}, {switchboard.KindMessenger, "Facebook"}, {switchboard.KindWhatsApp, "WhatsApp"},
	}
	for _, tt := range tests {
		if got := PlatformName(tt.kind); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.kind, got, tt.want)
		}
	}
}
