package cart

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestCurrencySymbol(t *testing.T) {
	// 001:L1284-L1294.
	tests := []struct{ code, want string }{
		{"USD", "US$"}, {"HKD", "HK$"}, {"MOP", "MOP$"}, {"TWD", "NT$"}, {"SGD", "S$"}, {"MYR", "RM"},
		{"THB", "฿"}, {"IDR", "Rp"}, {"AUD", "A$"}, {"JPY", "JPY¥"}, {"KRW", "₩"},
		{"twd", "NT$"}, {"EUR", "$"}, {"", "$"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := CurrencySymbol(tt.code); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		ok   bool
	}{
		{"1280", 128000, true},
		{"1,280.5", 128050, true},
		{"12.50", 1250, true},
		{"12.345", 1235, true},
		{"12.344", 1234, true},
		{"0.995", 100, true},
		{".5", 50, true},
		{"-3.10", -310, true},
		{"+7", 700, true},
		{" 42 ", 4200, true},
		{"000000000000000000001", 100, true},
		{"999999999999999", 99999999999999900, true},
		{"1000000000000000", 0, false},
		{"999999999999999.995", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{".", 0, false},
		{"1.", 0, false},
		{",1", 0, false},
		{"1,", 0, false},
		{"1,,0", 0, false},
		{"1.2.3", 0, false},
		{"12a", 0, false},
		{"1e5", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
					t.Errorf("code %q, want invalid", code)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		in   Amount
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {128000, "1280.00"}, {-50, "-0.50"}, {1234567, "12345.67"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%d: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCatalogPrice(t *testing.T) {
	tests := []struct {
		in       string
		want     Amount
		wantCode string
		ok       bool
	}{
		{"1280.00 TWD", 128000, "TWD", true},
		{"USD 9.99", 999, "USD", true},
		{"9.99 usd", 999, "USD", true},
		{"300", 30000, "", true},
		{"9.99 US$", 0, "", false},
		{"1 2 3", 0, "", false},
		{"", 0, "", false},
		{"TWD TWD", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, cur, err := ParseCatalogPrice(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if a != tt.want || cur != tt.wantCode {
				t.Errorf("got %d %q, want %d %q", a, cur, tt.want, tt.wantCode)
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		cur  string
		a    Amount
		want string
	}{
		{"TWD", 128000, "NT$1,280"},
		{"USD", 1250, "US$12.50"},
		{"JPY", 100000000, "JPY¥1,000,000"},
		{"KRW", 99900, "₩999"},
		{"EUR", 1, "$0.01"},
		{"THB", -123400, "-฿1,234"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatMoney(tt.cur, tt.a); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRecentItems(t *testing.T) {
	base := at(t, "2025-06-01 10:00")
	var items []Item
	for i := 0; i < 12; i++ {
		items = append(items, item(string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute)))
	}
	// "c" added again, latest of all; "l" and "k" share a timestamp.
	items = append(items, item("c", base.Add(time.Hour)))
	items[11].AddedAt = items[10].AddedAt

	tests := []struct {
		name string
		n    int
		want string
	}{
		{"carousel of ten, newest first, one per product", CarouselSize, "clkjihgfed"},
		{"one for whatsapp", 1, "c"},
		{"more than there are", 50, "clkjihgfedba"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			for _, it := range RecentItems(items, tt.n) {
				got += it.ProductID
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildContent(t *testing.T) {
	base := at(t, "2025-06-01 10:00")
	var items []Item
	for i := 0; i < 12; i++ {
		items = append(items, item(string(rune('a'+i)), base.Add(time.Duration(i)*time.Minute)))
	}
	items[11].Currency, items[11].Price = "USD", 1999
	m := MessageConfig{Enabled: true, BotModuleID: "mod", CustomMessage: "come back", TemplateLanguage: LangEnglish}
	tests := []struct {
		kind       switchboard.ChannelKind
		wantCards  int
		wantModule string
		wantCustom string
	}{
		{switchboard.KindLINE, 10, "mod", ""},
		{switchboard.KindMessenger, 10, "mod", ""},
		{switchboard.KindWhatsApp, 1, "", "come back"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			c := BuildContent(tt.kind, 2, m, items)
			if got := len(c.Cards); got != tt.wantCards {
				t.Fatalf("cards %d, want %d", got, tt.wantCards)
			}
			if got, want := c.Cards[0].ProductID, "l"; got != want {
				t.Errorf("first card %q, want the last added %q", got, want)
			}
			if got, want := c.Cards[0].PriceText, "US$19.99"; got != want {
				t.Errorf("price %q, want %q", got, want)
			}
			if c.BotModuleID != tt.wantModule || c.CustomMessage != tt.wantCustom || c.Index != 2 {
				t.Errorf("content %+v", c)
			}
		})
	}
}
