package cart

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// MaxExportDays is the longest period an order export may cover (001:L3724).
const MaxExportDays = 31

// ExportHeader is the header row of the order export, in the seed's order and
// spelling (001:L3716–L3723).
var ExportHeader = []string{"Platform", "Channel Name", "Date", "Order ID", "Currency", "Total", "Message Index", "Member ID"}

// ExportRow is one order of the export.
type ExportRow struct {
	// Platform is the exported channel's platform: LINE, Facebook or WhatsApp.
	Platform    string    `json:"platform"`
	ChannelName string    `json:"channelName"`
	Date        time.Time `json:"date"`
	OrderID     string    `json:"orderId"`
	Currency    string    `json:"currency"`
	Total       Amount    `json:"total"`
	// MessageIndex is which reminder of the channel converted the order.
	MessageIndex int    `json:"messageIndex"`
	MemberID     string `json:"memberId"`
}

// PlatformName is the name the export and the reports use for a channel kind;
// the seed calls Messenger "Facebook" throughout the cart pages.
func PlatformName(k switchboard.ChannelKind) string {
	switch k {
	case switchboard.KindLINE:
		return "LINE"
	case switchboard.KindMessenger:
		return "Facebook"
	case switchboard.KindWhatsApp:
		return "WhatsApp"
	}
	return string(k)
}

// CheckExportRange validates the period [from, to) of an export: to after from
// and at most 31 calendar days later in the team's time zone (001:L3724).
func CheckExportRange(from, to time.Time, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return switchboard.Errorf(switchboard.EInvalid, "the export period must end after it starts")
	}
	if to.After(from.In(loc).AddDate(0, 0, MaxExportDays)) {
		return switchboard.Errorf(switchboard.EInvalid, "the export period may be at most %d days", MaxExportDays)
	}
	return nil
}

// ExportRows lists the attributed orders placed in [from, to) as export rows,
// ordered by order time.
func ExportRows(kind switchboard.ChannelKind, channelName string, atts []Attribution, from, to time.Time, loc *time.Location) ([]ExportRow, error) {
	if err := CheckExportRange(from, to, loc); err != nil {
		return nil, err
	}
	rows := []ExportRow{}
	for _, a := range atts {
		if a.Order.PlacedAt.Before(from) || !a.Order.PlacedAt.Before(to) {
			continue
		}
		rows = append(rows, ExportRow{
			Platform: PlatformName(kind), ChannelName: channelName, Date: a.Order.PlacedAt,
			OrderID: a.Order.ID, Currency: a.Order.Currency, Total: a.Order.Total,
			MessageIndex: a.Index, MemberID: a.Order.MemberID,
		})
	}
	return rows, nil
}

// WriteCSV writes the header and rows, dates in loc as "2006-01-02 15:04:05".
// Text cells that a spreadsheet would read as a formula get a leading
// apostrophe, since channel names and order ids come from outside.
func WriteCSV(w io.Writer, rows []ExportRow, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{
			safeCell(r.Platform), safeCell(r.ChannelName), r.Date.In(loc).Format(time.DateTime),
			safeCell(r.OrderID), safeCell(r.Currency), r.Total.String(), strconv.Itoa(r.MessageIndex), safeCell(r.MemberID),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell neutralises CSV formula injection.
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
