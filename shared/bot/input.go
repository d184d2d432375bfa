package bot

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Customers answer a user input card in their own words, so ParseAnswer is
// lenient about formats and strict about types: "2024/05/01" is a date,
// "about 3" is not a number.

// dateLayouts are the date formats ParseAnswer accepts.
var dateLayouts = []string{"2006-01-02", "2006/01/02", "2006.01.02", "2006-1-2", "2006/1/2"}

// dateTimeLayouts are the date-time formats without a zone; they are read in
// the team's time zone.
var dateTimeLayouts = []string{
	"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05",
	"2006/01/02 15:04", "2006/01/02 15:04:05", "2006/1/2 15:04",
}

// yes and no are the answers a yes/no (boolean) card accepts, in English and
// Chinese, lower-cased.
var (
	yes = []string{"yes", "y", "true", "1", "ok", "是", "對", "对", "好", "要", "有"}
	no  = []string{"no", "n", "false", "0", "否", "不是", "不對", "不对", "不好", "不要", "沒有", "没有"}
)

// ParseAnswer reads a customer's reply as a value of type t, returning the
// stored form of the attribute (as the contacts API stores it: numbers in
// shortest decimal form, dates YYYY-MM-DD, date-times RFC 3339 in UTC,
// booleans true/false). Text takes anything; the other types need a text
// reply of their format. ok is false for a reply of the wrong type.
func ParseAnswer(t switchboard.AttributeType, m *switchboard.InboundMessage, loc *time.Location) (string, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if m == nil {
		return "", false
	}
	text := strings.TrimSpace(m.Text)
	switch t {
	case "", switchboard.AttrText:
		switch {
		case text != "":
			return text, true
		case m.MediaURL != "":
			return m.MediaURL, true
		}
		// A sticker or a media message without a URL still answers the
		// question (001:L3828); there is simply nothing to save.
		return "", true
	case switchboard.AttrNumber:
		if m.Kind != switchboard.MsgText && m.Kind != "" {
			return "", false
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(text, " ", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "", false
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true
	case switchboard.AttrDate:
		for _, l := range dateLayouts {
			if d, err := time.Parse(l, text); err == nil {
				return d.Format(time.DateOnly), true
			}
		}
		return "", false
	case switchboard.AttrDateTime:
		if d, err := time.Parse(time.RFC3339, text); err == nil {
			return d.UTC().Format(time.RFC3339), true
		}
		for _, l := range dateTimeLayouts {
			if d, err := time.ParseInLocation(l, text, loc); err == nil {
				return d.UTC().Format(time.RFC3339), true
			}
		}
		return "", false
	case switchboard.AttrBoolean:
		lower := strings.ToLower(text)
		for _, y := range yes {
			if lower == y {
				return "true", true
			}
		}
		for _, n := range no {
			if lower == n {
				return "false", true
			}
		}
		return "", false
	}
	return "", false
}

// expected describes the format a type's answer must have, for re-prompts.
func expected(t switchboard.AttributeType) string {
	switch t {
	case switchboard.AttrNumber:
		return "a number, such as 42"
	case switchboard.AttrDate:
		return "a date, such as 2025-12-31"
	case switchboard.AttrDateTime:
		return "a date and time, such as 2025-12-31 18:30"
	case switchboard.AttrBoolean:
		return "yes or no"
	}
	return "an answer"
}

// parseInstant reads a date (YYYY-MM-DD, as midnight UTC) or an RFC 3339
// date-time.
func parseInstant(s string) (time.Time, bool) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, true
	}
	if d, err := time.Parse(time.RFC3339, s); err == nil {
		return d, true
	}
	return time.Time{}, false
}
