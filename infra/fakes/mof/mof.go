// Package mof is a fake of Taiwan's Ministry of Finance e-invoice API
// (POST /PB2CAPIVAN/invapp/InvApp, form-encoded) for tests and the local
// runner. Tests register invoices, including ones "not uploaded yet" that
// answer 901 until a given time, and the fake checks parameters as the real
// API does, answering JSON whose fields are all strings.
//
// Codes, in the order the checks run: 998 unknown appID, 997 missing UUID,
// 903 a missing or invalid parameter (version, action, type, generation,
// encrypt, sellerID), 904 a malformed invoice number, 919 a malformed or
// inconsistent date, period or random code (including a random code, check
// code or seller that does not match the invoice), 950 more than MaxQueries
// queries for one invoice, 901 (or the invoice's own PendingCode, e.g. 915)
// for an invoice that is unknown or not uploaded yet, and 200 with the
// invoice. Transient failures (500, 951, 999) are injected with FailNextCode.
package mof

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/infra/fakes/platform"
)

// Path is the API's path.
const Path = "/PB2CAPIVAN/invapp/InvApp"

// DefaultMaxQueries is how many times one invoice may be queried.
const DefaultMaxQueries = 99

// Messages of the codes the fake answers with.
var messages = map[string]string{
	"200": "執行成功",
	"500": "系統忙碌中,請稍後再試",
	"901": "查無此發票資料",
	"903": "參數錯誤",
	"904": "發票號碼格式錯誤",
	"915": "查無此發票詳細資料",
	"919": "發票日期、期別或隨機碼錯誤",
	"950": "查詢次數超過上限",
	"951": "連線逾時",
	"997": "UUID 錯誤",
	"998": "AppID 錯誤",
	"999": "系統錯誤",
}

// Config sets up a Fake.
type Config struct {
	// AppIDs are the accepted application ids; when empty any non-empty
	// appID is accepted.
	AppIDs []string
	// MaxQueries overrides the per-invoice query limit (99).
	MaxQueries int
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time
}

// Item is one line of an invoice. Amounts are strings, as MoF sends them.
type Item struct {
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unitPrice"`
	Amount      string `json:"amount"`
}

// Invoice is an invoice as MoF holds it.
type Invoice struct {
	Number        string `json:"number"`     // AB12345678
	Date          string `json:"date"`       // yyyy/MM/dd
	Time          string `json:"time"`       // HH:mm:ss
	RandomCode    string `json:"randomCode"` // 4 digits
	SellerBan     string `json:"sellerBan"`
	SellerName    string `json:"sellerName"`
	SellerAddress string `json:"sellerAddress"`
	BuyerBan      string `json:"buyerBan"`
	// CheckCode is the 24-character "encrypt" field of the left QR code;
	// empty accepts any.
	CheckCode string `json:"checkCode"`
	Status    string `json:"status"` // invStatus; 已確認 when empty
	Items     []Item `json:"items"`
	// AvailableAt is when the seller's upload reaches MoF; before it the
	// invoice answers PendingCode (901 when empty).
	AvailableAt time.Time `json:"availableAt"`
	PendingCode string    `json:"pendingCode"`
}

// Fake is the fake MoF API.
type Fake struct {
	*platform.Server
	cfg Config

	mu       sync.Mutex
	appIDs   map[string]bool
	invoices map[string]Invoice
	queries  map[string]int
}

// New returns a Fake.
func New(cfg Config) *Fake {
	if cfg.MaxQueries <= 0 {
		cfg.MaxQueries = DefaultMaxQueries
	}
	f := &Fake{cfg: cfg, appIDs: map[string]bool{}, invoices: map[string]Invoice{}, queries: map[string]int{}}
	for _, a := range cfg.AppIDs {
		f.appIDs[a] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, f.serve)
	mux.HandleFunc("POST /", f.serve) // a base URL that already ends in the path
	f.Server = platform.NewServer("mof", mux, cfg.Now)
	f.Control("POST /__fake/invoices", func(w http.ResponseWriter, r *http.Request) {
		var inv Invoice
		if err := platform.DecodeJSON(r, &inv); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.AddInvoice(inv); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return f
}

var (
	numberPattern = regexp.MustCompile(`^[A-Z]{2}\d{8}$`)
	randomPattern = regexp.MustCompile(`^\d{4}$`)
	banPattern    = regexp.MustCompile(`^\d{8}$`)
	termPattern   = regexp.MustCompile(`^\d{5}$`)
)

// AddInvoice registers (or replaces) an invoice.
func (f *Fake) AddInvoice(inv Invoice) error {
	if !numberPattern.MatchString(inv.Number) {
		return fmt.Errorf("invoice number %q is not two capital letters and eight digits", inv.Number)
	}
	if _, err := time.Parse("2006/01/02", inv.Date); err != nil {
		return fmt.Errorf("invoice date %q is not yyyy/MM/dd", inv.Date)
	}
	if !randomPattern.MatchString(inv.RandomCode) {
		return fmt.Errorf("random code %q is not four digits", inv.RandomCode)
	}
	if inv.Status == "" {
		inv.Status = "已確認"
	}
	if inv.Time == "" {
		inv.Time = "12:00:00"
	}
	if inv.PendingCode == "" {
		inv.PendingCode = "901"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoices[inv.Number] = inv
	return nil
}

// Queries returns how many times an invoice number was queried.
func (f *Fake) Queries(number string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[number]
}

// FailNextCode makes the next n requests answer code (for example 999, 951
// or 500, the transient ones) with HTTP 200, as MoF reports its own failures.
func (f *Fake) FailNextCode(n int, code string) {
	f.FailNext(n, http.StatusOK, fmt.Sprintf(`{"v":"0.5","code":%q,"msg":%q}`, code, messages[code]))
}

// Period returns the ROC two-month period (yyyMM, the even month) of a date
// in yyyy/MM/dd: 2024/01/15 is 11302.
func Period(date string) (string, error) {
	d, err := time.Parse("2006/01/02", date)
	if err != nil {
		return "", err
	}
	month := int(d.Month())
	if month%2 == 1 {
		month++
	}
	return fmt.Sprintf("%03d%02d", d.Year()-1911, month), nil
}

func (f *Fake) answer(w http.ResponseWriter, version, code string, fields map[string]any) {
	body := map[string]any{"v": version, "code": code, "msg": messages[code]}
	for k, v := range fields {
		body[k] = v
	}
	platform.WriteJSON(w, http.StatusOK, body)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.answer(w, "0.5", "903", nil)
		return
	}
	p := r.PostForm
	version := p.Get("version")
	appID := p.Get("appID")
	f.mu.Lock()
	appOK := appID != "" && (len(f.appIDs) == 0 || f.appIDs[appID])
	f.mu.Unlock()
	if !appOK {
		f.answer(w, version, "998", nil)
		return
	}
	if p.Get("UUID") == "" {
		f.answer(w, version, "997", nil)
		return
	}
	action, typ := p.Get("action"), p.Get("type")
	if (version != "0.5" && version != "0.6") || (action != "qryInvDetail" && action != "qryInvHeader") ||
		(typ != "QRCode" && typ != "Barcode") || p.Get("generation") != "V2" {
		f.answer(w, version, "903", nil)
		return
	}
	if typ == "QRCode" && (len(p.Get("encrypt")) != 24 || !banPattern.MatchString(p.Get("sellerID"))) {
		f.answer(w, version, "903", nil)
		return
	}
	number := p.Get("invNum")
	if !numberPattern.MatchString(number) {
		f.answer(w, version, "904", nil)
		return
	}
	date := p.Get("invDate")
	d, err := time.Parse("2006/01/02", date)
	if err != nil || d.After(f.Now().AddDate(0, 0, 1)) || !randomPattern.MatchString(p.Get("randomNumber")) {
		f.answer(w, version, "919", nil)
		return
	}
	period, _ := Period(date)
	if typ == "Barcode" {
		term := p.Get("invTerm")
		if !termPattern.MatchString(term) || term != period {
			f.answer(w, version, "919", nil)
			return
		}
	}

	f.mu.Lock()
	f.queries[number]++
	count := f.queries[number]
	inv, known := f.invoices[number]
	f.mu.Unlock()
	if count > f.cfg.MaxQueries {
		f.answer(w, version, "950", nil)
		return
	}
	if !known || inv.Date != date {
		f.answer(w, version, "901", nil)
		return
	}
	if f.Now().Before(inv.AvailableAt) {
		f.answer(w, version, inv.PendingCode, nil)
		return
	}
	mismatch := p.Get("randomNumber") != inv.RandomCode
	if typ == "QRCode" {
		mismatch = mismatch || p.Get("sellerID") != inv.SellerBan || (inv.CheckCode != "" && p.Get("encrypt") != inv.CheckCode)
	}
	if mismatch {
		f.answer(w, version, "919", nil)
		return
	}
	fields := map[string]any{
		"invNum":        inv.Number,
		"invDate":       strings.ReplaceAll(inv.Date, "/", ""),
		"invPeriod":     period,
		"invStatus":     inv.Status,
		"invoiceTime":   inv.Time,
		"sellerName":    inv.SellerName,
		"sellerBan":     inv.SellerBan,
		"sellerAddress": inv.SellerAddress,
		"buyerBan":      inv.BuyerBan,
		"currency":      "",
	}
	if action == "qryInvDetail" {
		details := make([]map[string]string, len(inv.Items))
		for i, it := range inv.Items {
			details[i] = map[string]string{
				"rowNum":      strconv.Itoa(i + 1),
				"description": it.Description,
				"quantity":    it.Quantity,
				"unitPrice":   it.UnitPrice,
				"amount":      it.Amount,
			}
		}
		fields["details"] = details
	}
	f.answer(w, version, "200", fields)
}
