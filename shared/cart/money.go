package cart

import (
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Amount is a sum of money in hundredths of the currency's main unit, whatever
// the currency. Integers keep sums of revenue exact; two decimals are what shop
// catalogues and order totals carry (a JPY or KRW price simply has no cents).
type Amount int64

// maxIntegerDigits keeps a parsed amount far from int64 overflow even after
// summing many orders.
const (
	maxIntegerDigits       = 15
	maxWhole         int64 = 1_000_000_000_000_000 // 10^15
)

// String formats the amount with exactly two decimals, as in an export file:
// "1280.00", "-0.50".
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign = "-"
		v = -v
	}
	cents := v % 100
	return sign + strconv.FormatInt(v/100, 10) + "." + string(rune('0'+cents/10)) + string(rune('0'+cents%10))
}

// ParseAmount parses a decimal amount as shops send it: "1280", "1,280.5",
// "12.345" (rounded half away from zero to two decimals), with an optional sign.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" && (!hasPoint || frac == "") {
		return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
	}
	var whole int64
	digits := 0
	prevComma := true // a leading comma is as wrong as a doubled one
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		switch {
		case c == ',':
			if prevComma {
				return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
			}
			prevComma = true
		case c >= '0' && c <= '9':
			prevComma = false
			if digits > 0 || c != '0' {
				digits++
			}
			if digits > maxIntegerDigits {
				return 0, switchboard.Errorf(switchboard.EInvalid, "amount is too large")
			}
			whole = whole*10 + int64(c-'0')
		default:
			return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
		}
	}
	if prevComma && intPart != "" {
		return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
	}
	var cents int64
	if hasPoint {
		if frac == "" {
			return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
		}
		for i := 0; i < len(frac); i++ {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, switchboard.Errorf(switchboard.EInvalid, "amount is not a number")
			}
			d := int64(c - '0')
			switch i {
			case 0:
				cents += d * 10
			case 1:
				cents += d
			case 2:
				if d >= 5 {
					cents++
				}
			}
		}
	}
	v := whole*100 + cents
	if v/100 >= maxWhole {
		// Rounding carried into a sixteenth digit.
		return 0, switchboard.Errorf(switchboard.EInvalid, "amount is too large")
	}
	if neg {
		v = -v
	}
	return Amount(v), nil
}

// ParseCatalogPrice parses a catalogue price such as the sale_price field of a
// product catalogue, "1280.00 TWD" (the currency may also come first, or be
// missing). The currency decides the symbol shown to customers (001:L1281).
func ParseCatalogPrice(s string) (Amount, string, error) {
	fields := strings.Fields(s)
	var num, cur string
	switch len(fields) {
	case 1:
		num = fields[0]
	case 2:
		if isCurrencyCode(fields[1]) {
			num, cur = fields[0], fields[1]
		} else if isCurrencyCode(fields[0]) {
			cur, num = fields[0], fields[1]
		} else {
			return 0, "", switchboard.Errorf(switchboard.EInvalid, "price must be an amount and a 3-letter currency")
		}
	default:
		return 0, "", switchboard.Errorf(switchboard.EInvalid, "price must be an amount and a 3-letter currency")
	}
	a, err := ParseAmount(num)
	if err != nil {
		return 0, "", err
	}
	return a, strings.ToUpper(cur), nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20 // ASCII lower case
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// currencySymbols is the table of 001:L1284–L1293; any other currency shows "$"
// (001:L1294).
var currencySymbols = map[string]string{
	"USD": "US$",
	"HKD": "HK$",
	"MOP": "MOP$",
	"TWD": "NT$",
	"SGD": "S$",
	"MYR": "RM",
	"THB": "฿",
	"IDR": "Rp",
	"AUD": "A$",
	"JPY": "JPY¥",
	"KRW": "₩",
}

// DefaultCurrencySymbol is shown for currencies outside the table (001:L1294).
const DefaultCurrencySymbol = "$"

// CurrencySymbol returns the symbol shown before a price in the currency with
// ISO code code (any case).
func CurrencySymbol(code string) string {
	if s, ok := currencySymbols[strings.ToUpper(code)]; ok {
		return s
	}
	return DefaultCurrencySymbol
}

// FormatMoney renders an amount for a customer: the currency symbol, the whole
// part grouped by thousands, and the cents only when there are any
// ("NT$1,280", "US$12.50").
func FormatMoney(currency string, a Amount) string {
	v := int64(a)
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	whole := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	b.WriteString(sign)
	b.WriteString(CurrencySymbol(currency))
	for i := 0; i < len(whole); i++ {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	if cents := v % 100; cents != 0 {
		b.WriteByte('.')
		b.WriteByte(byte('0' + cents/10))
		b.WriteByte(byte('0' + cents%10))
	}
	return b.String()
}
