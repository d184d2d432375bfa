package detect

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func values(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Value)
	}
	return out
}

func texts(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

func TestPhones(t *testing.T) {
	tests := []struct {
		text string
		want []string // values
	}{
		// True positives: the seed's example and its separators (003 §3).
		{"0912-345-678", []string{"0912345678"}},
		{"我的電話 0912 345 678 謝謝", []string{"0912345678"}},
		{"02.2345.6789", []string{"0223456789"}},
		{"+886 912 345 678", []string{"+886912345678"}},
		{"+886-2-2345-6789", []string{"+886223456789"}},
		{"0912345678", []string{"0912345678"}},
		{"手機0912345678", []string{"0912345678"}},
		{"(02)2345-6789", []string{"0223456789"}},
		{"（02） 2345 6789", []string{"0223456789"}},
		{"04-2345-678", []string{"042345678"}},
		{"049-234-5678", []string{"0492345678"}},
		{"0912 - 345 - 678", []string{"0912345678"}},
		{"０９１２－３４５－６７８", []string{"0912345678"}},
		{"Tel.0912-345-678.", []string{"0912345678"}},
		{"電話:0912.345.678,地址…", []string{"0912345678"}},
		{"+852 9123 4567", []string{"+85291234567"}},
		{"+1 415 555 2671", []string{"+14155552671"}},
		{"0912345678 0987654321", []string{"0912345678", "0987654321"}},
		{"0912 345 678 2台", []string{"0912345678"}},
		{"日期 2024-01-01 電話 0912-345-678", []string{"0912345678"}},
		{"2024-01-01 0912345678", []string{"0912345678"}},
		// +886 followed by the trunk 0 is not an international number, but the
		// national number after it still is one.
		{"+886 0912 345 678", []string{"0912345678"}},
		// False positives that must not count.
		{"2024-01-01", nil},
		{"2024.01.01", nil},
		{"01-01-2024", nil},
		{"訂單編號 20240101123456", nil},
		{"訂單 #0912345678", nil},
		{"order A0912345678", nil},
		{"https://shop.example.com/p/0912345678", nil},
		{"0912345678@gmail.com", nil},
		{"0912-345-678-9", nil},
		{"09123456789", nil},
		{"091234567", nil},
		{"0112345678", nil},
		{"2345-6789", nil},
		{"總共 1,200 元", nil},
		{"192.168.0.1", nil},
		{"+0912345678", nil},
		{"+1234567", nil},
		{"12/25 09:30 到貨", nil},
		{"(12)2345-6789", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got := Find(tt.text).Phones
		if !slices.Equal(values(got), tt.want) {
			t.Errorf("phones in %q = %q (%q), want %q", tt.text, values(got), texts(got), tt.want)
		}
		for _, m := range got {
			if tt.text[m.Start:m.End] != m.Text {
				t.Errorf("%q: offsets %d..%d do not give %q", tt.text, m.Start, m.End, m.Text)
			}
		}
	}
}

func TestPhoneText(t *testing.T) {
	got := Find("電話:0912 345 678,謝謝").Phones
	if len(got) != 1 || got[0].Text != "0912 345 678" {
		t.Fatalf("got %+v, want the number as written", got)
	}
}

func TestEmails(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"我的信箱 amy.chen+shop@Example.COM 謝謝", []string{"amy.chen+shop@example.com"}},
		{"a@b.tw,c_d@mail.example.co.jp", []string{"a@b.tw", "c_d@mail.example.co.jp"}},
		{"寄到 Jess@gmail.com。", []string{"Jess@gmail.com"}},
		{"0912345678@gmail.com", []string{"0912345678@gmail.com"}},
		{"not an email: a@b", nil},
		{"@gmail.com", nil},
		{"user@-bad.com", nil},
		{"a@b.com123", nil},
		{"price 3@5.00", nil},
	}
	for _, tt := range tests {
		got := Find(tt.text).Emails
		if !slices.Equal(values(got), tt.want) {
			t.Errorf("emails in %q = %q, want %q", tt.text, values(got), tt.want)
		}
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		text string
		want []string // values
	}{
		{"寄到台北市大安區忠孝東路四段100號5樓,謝謝", []string{"台北市大安區忠孝東路四段100號5樓"}},
		{"106台北市大安區忠孝東路四段100號", []string{"106台北市大安區忠孝東路四段100號"}},
		{"10617 臺北市 大安區 忠孝東路四段 100號", []string{"10617臺北市大安區忠孝東路四段100號"}},
		{"地址:\n新北市板橋區\n文化路一段188巷44號\n3F", []string{"新北市板橋區文化路一段188巷44號3F"}},
		{"台北市, 信義區, 信義路五段7號", []string{"台北市信義區信義路五段7號"}},
		{"台北市信義路五段7號89樓", []string{"台北市信義路五段7號89樓"}},
		{"新竹縣竹北市光明六路東一段100號", []string{"新竹縣竹北市光明六路東一段100號"}},
		{"宜蘭縣三星鄉大洲村上將路二段100之1號", []string{"宜蘭縣三星鄉大洲村上將路二段100之1號"}},
		{"台中市西屯區台灣大道三段99號", []string{"台中市西屯區台灣大道三段99號"}},
		{"高雄市苓雅區四維三路2號之3 12樓之1 1201室", []string{"高雄市苓雅區四維三路2號之312樓之11201室"}},
		{"台北市中正區重慶南路一段122巷3弄5號", []string{"台北市中正區重慶南路一段122巷3弄5號"}},
		{"電話0223456789台北市大安區忠孝東路四段100號", []string{"台北市大安區忠孝東路四段100號"}},
		{"舊地址台北市大安區忠孝東路1號,新地址新北市板橋區文化路1號", []string{"台北市大安區忠孝東路1號", "新北市板橋區文化路1號"}},
		// Not addresses.
		{"我住台北市", nil},
		{"台北市大安區", nil},
		{"忠孝東路四段100號", nil},
		{"我在台北市上班,忙到很晚", nil},
		{"Flat 5, 10 Nathan Road, Kowloon", nil},
	}
	for _, tt := range tests {
		got := Find(tt.text).Addresses
		if !slices.Equal(values(got), tt.want) {
			t.Errorf("addresses in %q = %q (%q), want %q", tt.text, values(got), texts(got), tt.want)
		}
		for _, m := range got {
			if tt.text[m.Start:m.End] != m.Text {
				t.Errorf("%q: offsets %d..%d do not give %q", tt.text, m.Start, m.End, m.Text)
			}
		}
	}
}

func TestFlagged(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"0912-345-678", true},
		{"a@b.tw", true},
		{"台北市信義區信義路五段7號", true},
		{"謝謝你 2024-01-01 到貨", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Find(tt.text).Flagged(); got != tt.want {
			t.Errorf("Flagged(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestKeepLatest(t *testing.T) {
	tests := []struct {
		name  string
		kept  []string
		fresh []string
		n     int
		want  []string
	}{
		{"first message", nil, []string{"A", "B"}, 3, []string{"B", "A"}},
		{"newest first, capped at 3", []string{"C", "D", "E"}, []string{"A", "B"}, 3, []string{"B", "A", "C"}},
		{"repeat moves to the front", []string{"A", "B", "C"}, []string{"C"}, 3, []string{"C", "A", "B"}},
		{"same address spelt with spaces and 臺", []string{"台北市信義路五段7號", "B"}, []string{"臺北市 信義路五段 7號"}, 3, []string{"臺北市 信義路五段 7號", "B"}},
		{"nothing new", []string{"A", "B"}, nil, 3, []string{"A", "B"}},
		{"blank ignored", []string{"A"}, []string{" ", ""}, 3, []string{"A"}},
		{"n = 0", []string{"A"}, []string{"B"}, 0, nil},
	}
	for _, tt := range tests {
		if got := KeepLatest(tt.kept, tt.fresh, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("%s: KeepLatest = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{
		"0912-345-678", "+886 912 345 678", "（02） 2345 6789", "2024-01-01 0912345678",
		"a@b.tw", "106台北市大安區忠孝東路四段100號5樓", "０９１２－３４５－６７８",
		"((((0", "+", "0912 - ", "\xff0912345678\xfe", strings.Repeat("1 ", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Find(text)
		for kind, ms := range map[string][]Match{"phone": got.Phones, "email": got.Emails, "address": got.Addresses} {
			prevEnd := 0
			for _, m := range ms {
				if m.Start < prevEnd || m.End <= m.Start || m.End > len(text) || text[m.Start:m.End] != m.Text {
					t.Fatalf("%s %+v is not a substring of %q in order", kind, m, text)
				}
				if !strings.Contains(text, m.Text) || m.Value == "" {
					t.Fatalf("%s %+v has no value", kind, m)
				}
				prevEnd = m.End
			}
		}
		for _, m := range got.Phones {
			d := strings.TrimPrefix(m.Value, "+")
			if len(d) < 8 || len(d) > 15 || strings.Trim(d, "0123456789") != "" {
				t.Fatalf("phone value %q is not 8 to 15 digits", m.Value)
			}
		}
		for _, m := range got.Emails {
			if strings.Count(m.Value, "@") != 1 {
				t.Fatalf("e-mail %q", m.Value)
			}
		}
		if got.Flagged() != (len(got.Phones)+len(got.Emails)+len(got.Addresses) > 0) {
			t.Fatal("Flagged disagrees with the findings")
		}
		if utf8.ValidString(text) {
			kept := KeepLatest([]string{text}, values(got.Addresses), 3)
			if len(kept) > 3 {
				t.Fatalf("KeepLatest kept %d", len(kept))
			}
		}
	})
}
