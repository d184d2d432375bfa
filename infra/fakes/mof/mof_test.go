package mof

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var invoice = Invoice{
	Number: "AB12345678", Date: "2024/01/15", RandomCode: "1234", SellerBan: "12345678",
	SellerName: "全家便利商店股份有限公司", CheckCode: strings.Repeat("Q", 24),
	Items: []Item{{"拿鐵咖啡", "1", "65", "65"}, {"御飯糰", "2", "35", "70"}},
}

func newFake(t *testing.T, cfg Config) (*Fake, *httptest.Server, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2024, 1, 16, 10, 0, 0, 0, time.UTC)}
	cfg.Now = c.Now
	f := New(cfg)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv, c
}

// barcode is a valid Barcode query for invoice; edit changes fields.
func barcode(edit map[string]string) url.Values {
	v := url.Values{
		"version": {"0.5"}, "type": {"Barcode"}, "invNum": {"AB12345678"}, "action": {"qryInvDetail"},
		"generation": {"V2"}, "invTerm": {"11302"}, "invDate": {"2024/01/15"}, "UUID": {"device-1"},
		"randomNumber": {"1234"}, "appID": {"APP1"},
	}
	for k, x := range edit {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	return v
}

func qrcode(edit map[string]string) url.Values {
	v := barcode(map[string]string{"type": "QRCode", "invTerm": "", "encrypt": strings.Repeat("Q", 24), "sellerID": "12345678"})
	for k, x := range edit {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	return v
}

func query(t *testing.T, srv *httptest.Server, form url.Values) map[string]any {
	t.Helper()
	res, err := srv.Client().PostForm(srv.URL+Path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("HTTP %d", res.StatusCode)
	}
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	allStrings(t, "", m)
	return m
}

// allStrings fails unless every leaf of v is a string, as in MoF's answers.
func allStrings(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			allStrings(t, path+"."+k, x)
		}
	case []any:
		for _, x := range v {
			allStrings(t, path+"[]", x)
		}
	case string:
	default:
		t.Errorf("%s is %T, not a string", path, v)
	}
}

func TestQueries(t *testing.T) {
	tests := []struct {
		name string
		form url.Values
		code string
	}{
		{"barcode", barcode(nil), "200"},
		{"qrcode", qrcode(nil), "200"},
		{"version 0.6", barcode(map[string]string{"version": "0.6"}), "200"},
		{"header only", barcode(map[string]string{"action": "qryInvHeader"}), "200"},
		{"wrong appID", barcode(map[string]string{"appID": "OTHER"}), "998"},
		{"no appID", barcode(map[string]string{"appID": ""}), "998"},
		{"no UUID", barcode(map[string]string{"UUID": ""}), "997"},
		{"bad version", barcode(map[string]string{"version": "0.1"}), "903"},
		{"bad action", barcode(map[string]string{"action": "qryCarrier"}), "903"},
		{"bad type", barcode(map[string]string{"type": "Paper"}), "903"},
		{"no generation", barcode(map[string]string{"generation": ""}), "903"},
		{"qrcode without encrypt", qrcode(map[string]string{"encrypt": ""}), "903"},
		{"qrcode with a bad seller", qrcode(map[string]string{"sellerID": "1234"}), "903"},
		{"lower-case number", barcode(map[string]string{"invNum": "ab12345678"}), "904"},
		{"short number", barcode(map[string]string{"invNum": "AB1234567"}), "904"},
		{"date format", barcode(map[string]string{"invDate": "2024-01-15"}), "919"},
		{"future date", barcode(map[string]string{"invDate": "2024/03/01"}), "919"},
		{"odd-month term", barcode(map[string]string{"invTerm": "11301"}), "919"},
		{"term of another period", barcode(map[string]string{"invTerm": "11304"}), "919"},
		{"random code format", barcode(map[string]string{"randomNumber": "12a4"}), "919"},
		{"random code mismatch", barcode(map[string]string{"randomNumber": "9999"}), "919"},
		{"qrcode seller mismatch", qrcode(map[string]string{"sellerID": "87654321"}), "919"},
		{"qrcode check code mismatch", qrcode(map[string]string{"encrypt": strings.Repeat("Z", 24)}), "919"},
		{"unknown invoice", barcode(map[string]string{"invNum": "ZZ00000000"}), "901"},
		{"another date", barcode(map[string]string{"invDate": "2024/01/14"}), "901"},
	}
	f, srv, _ := newFake(t, Config{AppIDs: []string{"APP1"}})
	if err := f.AddInvoice(invoice); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(t, srv, tt.form)
			if got["code"] != tt.code {
				t.Fatalf("code: got %v (%v), want %s", got["code"], got["msg"], tt.code)
			}
			if got["msg"] == "" || got["v"] != tt.form.Get("version") {
				t.Errorf("msg %q v %q", got["msg"], got["v"])
			}
		})
	}
}

func TestInvoiceDetail(t *testing.T) {
	f, srv, _ := newFake(t, Config{})
	if err := f.AddInvoice(invoice); err != nil {
		t.Fatal(err)
	}
	got := query(t, srv, barcode(nil))
	want := map[string]string{
		"code": "200", "invNum": "AB12345678", "invDate": "20240115", "invPeriod": "11302",
		"sellerName": "全家便利商店股份有限公司", "sellerBan": "12345678", "invStatus": "已確認",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %v, want %s", k, got[k], w)
		}
	}
	details, _ := got["details"].([]any)
	if len(details) != 2 {
		t.Fatalf("details: %v", got["details"])
	}
	second, _ := details[1].(map[string]any)
	for k, w := range map[string]string{"rowNum": "2", "description": "御飯糰", "quantity": "2", "unitPrice": "35", "amount": "70"} {
		if second[k] != w {
			t.Errorf("details[1].%s: got %v, want %s", k, second[k], w)
		}
	}
	header := query(t, srv, barcode(map[string]string{"action": "qryInvHeader"}))
	if _, ok := header["details"]; ok {
		t.Error("qryInvHeader answered details")
	}
}

func TestNotUploadedYet(t *testing.T) {
	tests := []struct {
		name    string
		pending string
		want    string
	}{
		{"901 by default", "", "901"},
		{"915 when asked", "915", "915"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv, c := newFake(t, Config{})
			inv := invoice
			inv.AvailableAt = c.Now().Add(48 * time.Hour)
			inv.PendingCode = tt.pending
			if err := f.AddInvoice(inv); err != nil {
				t.Fatal(err)
			}
			if got := query(t, srv, barcode(nil)); got["code"] != tt.want {
				t.Fatalf("before upload: got %v, want %s", got["code"], tt.want)
			}
			c.Advance(47 * time.Hour)
			if got := query(t, srv, barcode(nil)); got["code"] != tt.want {
				t.Fatalf("an hour before upload: got %v, want %s", got["code"], tt.want)
			}
			c.Advance(time.Hour)
			if got := query(t, srv, barcode(nil)); got["code"] != "200" {
				t.Fatalf("after upload: got %v, want 200", got["code"])
			}
		})
	}
}

func TestQueryLimit(t *testing.T) {
	f, srv, _ := newFake(t, Config{MaxQueries: 3})
	if err := f.AddInvoice(invoice); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for range 4 {
		codes = append(codes, query(t, srv, barcode(nil))["code"].(string))
	}
	if got, want := strings.Join(codes, ","), "200,200,200,950"; got != want {
		t.Errorf("codes: got %s, want %s", got, want)
	}
	if got := f.Queries("AB12345678"); got != 4 {
		t.Errorf("queries counted: %d", got)
	}
	if got := query(t, srv, barcode(map[string]string{"invNum": "CD12345678"}))["code"]; got != "901" {
		t.Errorf("another invoice has its own count: got %v", got)
	}
}

func TestTransientInjection(t *testing.T) {
	f, srv, _ := newFake(t, Config{})
	if err := f.AddInvoice(invoice); err != nil {
		t.Fatal(err)
	}
	f.FailNextCode(2, "999")
	var codes []string
	for range 3 {
		codes = append(codes, query(t, srv, barcode(nil))["code"].(string))
	}
	if got, want := strings.Join(codes, ","), "999,999,200"; got != want {
		t.Errorf("codes: got %s, want %s", got, want)
	}
	if n := len(f.Requests()); n != 3 {
		t.Errorf("recorded %d requests, want 3", n)
	}
}

func TestAddInvoiceValidation(t *testing.T) {
	f := New(Config{})
	bad := []Invoice{
		{Number: "A1", Date: "2024/01/15", RandomCode: "1234"},
		{Number: "AB12345678", Date: "15/01/2024", RandomCode: "1234"},
		{Number: "AB12345678", Date: "2024/01/15", RandomCode: "12"},
	}
	for _, inv := range bad {
		if err := f.AddInvoice(inv); err == nil {
			t.Errorf("AddInvoice(%+v) succeeded", inv)
		}
	}
	for _, tt := range []struct{ date, want string }{{"2024/01/15", "11302"}, {"2024/02/29", "11302"}, {"2023/11/01", "11212"}, {"2025/12/31", "11412"}} {
		if got, err := Period(tt.date); err != nil || got != tt.want {
			t.Errorf("Period(%s) = %s, %v; want %s", tt.date, got, err, tt.want)
		}
	}
}
