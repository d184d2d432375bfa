// Package detect finds phone numbers, e-mail addresses and Taiwanese postal
// addresses in a customer's message, so the inbox can flag the message and
// offer them when the team fills in the customer's profile (SHOPLINE, 003 §3
// 「系統自動識別包含電話號碼的顧客訊息」, §16 「系統自動識別包含地址的顧客訊息」, and
// the phone / e-mail recognition of 「支援合併帳號的引導提示」).
//
// The rules lean towards missing an unusual number rather than flagging a
// date or an order number as a phone: see Phone rules at Find.
package detect

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Match is one thing found in a message.
type Match struct {
	// Text is the substring of the message as the customer wrote it.
	Text string `json:"text"`
	// Value is Text normalised: a phone as its digits (with "+" when
	// international, full-width digits made ASCII), an e-mail with its domain in
	// lower case, an address without the spaces, commas and line breaks the
	// customer split it with.
	Value string `json:"value"`
	// Start and End are byte offsets of Text in the message.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Findings is everything found in one message, each kind in message order.
type Findings struct {
	Phones    []Match `json:"phones,omitempty"`
	Emails    []Match `json:"emails,omitempty"`
	Addresses []Match `json:"addresses,omitempty"`
}

// Flagged reports whether the message carries contact details, which the
// inbox marks with an icon and lets the team filter on (003 §3).
func (f Findings) Flagged() bool {
	return len(f.Phones) > 0 || len(f.Emails) > 0 || len(f.Addresses) > 0
}

// Find returns the phones, e-mails and addresses in text.
//
// Phone rules. Digits (ASCII or full-width) may be split by a space, a dot or
// a dash (003 §3 「支援電話號碼數字間包含「空格」、「 . 」、「 - 」符號」), or their
// full-width forms, and an area code may sit in brackets: 0912-345-678,
// 0912 345 678, 02.2345.6789, (02)2345-6789, +886 912 345 678. Without the
// separators the number must be plausible for Taiwan or international:
//   - national: a mobile 09 + 8 digits (10 in all), or a landline 0[2-8] with
//     9 or 10 digits in all;
//   - international: "+" and 8 to 15 digits not starting with 0 (E.164); after
//     +886 the rest must be a Taiwanese mobile or landline without its 0.
//
// So dates (2024-01-01, 01-01-2024), prices, order numbers that do not start
// with 0, and numbers glued to letters, to "/", "_", "#" or "@" (URLs, ids,
// e-mails) are not phones; a number that runs on with more dash- or
// dot-joined digits (0912-345-678-9) is not one either. Local numbers without
// an area code (2345-6789) are ambiguous with dates and counts and are left
// out.
//
// Address rules: a Taiwanese address from its county or city (台北市 / 臺北市,
// 新竹縣, ...) to its number (號), with an optional postal code before it, an
// optional district (區/鄉/鎮/市), village (村/里) and neighbourhood (鄰), a road
// (路/街/大道) with an optional section (段), lane (巷), alley (弄), and an
// optional floor (樓/F) and room (室) after the number. Its parts may be
// separated by spaces, commas or line breaks (003 §16). Addresses elsewhere are
// not recognised.
func Find(text string) Findings {
	return Findings{
		Phones:    findPhones(text),
		Emails:    findEmails(text),
		Addresses: findAddresses(text),
	}
}

// KeepLatest merges the addresses found in a newer message into the list kept
// for a customer, newest first, and keeps at most n (SHOPLINE keeps the
// latest 3, 003 §16). Within fresh, in message order, a later address is
// newer. An address already kept moves to the front instead of appearing
// twice; two spellings are the same address when they differ only in spaces,
// commas and line breaks, or in 台/臺.
func KeepLatest(addresses []string, fresh []string, n int) []string {
	if n <= 0 {
		return nil
	}
	out := make([]string, 0, n)
	seen := map[string]bool{}
	add := func(a string) {
		k := addressKey(a)
		if k == "" || seen[k] || len(out) >= n {
			return
		}
		seen[k] = true
		out = append(out, a)
	}
	for _, a := range slices.Backward(fresh) {
		add(a)
	}
	for _, a := range addresses {
		add(a)
	}
	return out
}

func addressKey(a string) string {
	return strings.ReplaceAll(stripSeparators(a), "臺", "台")
}

// --- phones ---

func digitValue(r rune) (byte, bool) {
	switch {
	case '0' <= r && r <= '9':
		return byte(r), true
	case '０' <= r && r <= '９':
		return byte(r-'０') + '0', true
	}
	return 0, false
}

// tightSeparator reports a dash or dot: digits joined by one belong to one
// token, unlike digits separated by a space.
func tightSeparator(r rune) bool {
	return r == '-' || r == '.' || r == '－' || r == '．' || r == '‐' || r == '–'
}

func spaceSeparator(r rune) bool { return r == ' ' || r == '\u3000' }

// gluedBefore reports runes that, right before a number, make it part of a
// larger token: a word, a URL or path, an id, an e-mail.
func gluedBefore(r rune) bool {
	if r < utf8.RuneSelf {
		return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || strings.ContainsRune("_/\\#@&=%", r)
	}
	return r == '＠' || r == '＃'
}

func gluedAfter(r rune) bool {
	if _, ok := digitValue(r); ok {
		return true
	}
	return gluedBefore(r)
}

// groupEnd is the end of one group of digits within a candidate number.
type groupEnd struct {
	pos    int  // byte offset just after the group
	digits int  // digits read up to here
	tight  bool // the group is followed by a dash or dot and more digits
}

const maxPhoneDigits = 15

func findPhones(text string) []Match {
	var out []Match
	for i := 0; i < len(text); {
		m, next, ok := phoneAt(text, i)
		if ok {
			out = append(out, m)
		}
		i = next
	}
	return out
}

// phoneAt tries to read a phone number starting at byte i. It returns the
// number if one starts there and, either way, where to look next.
func phoneAt(text string, i int) (Match, int, bool) {
	r, w := utf8.DecodeRuneInString(text[i:])
	skip := i + w
	if _, isDigit := digitValue(r); !isDigit && r != '+' && r != '＋' && r != '(' && r != '（' {
		return Match{}, skip, false
	}
	if i > 0 {
		prev, pw := utf8.DecodeLastRuneInString(text[:i])
		if _, d := digitValue(prev); d || gluedBefore(prev) || prev == '+' || prev == '＋' {
			return Match{}, skip, false
		}
		// A dash or dot right after a digit joins this number to the one
		// before it (…12-0912…).
		if tightSeparator(prev) && i-pw > 0 {
			if pp, _ := utf8.DecodeLastRuneInString(text[:i-pw]); isDigitRune(pp) {
				return Match{}, skip, false
			}
		}
	}

	pos := i
	plus := false
	var digits []byte
	if r == '+' || r == '＋' {
		plus = true
		pos += w
	} else if r == '(' || r == '（' {
		// (02) or （02）: an area code in brackets, then optionally one space.
		p := pos + w
		var area []byte
		for p < len(text) {
			c, cw := utf8.DecodeRuneInString(text[p:])
			d, ok := digitValue(c)
			if !ok {
				break
			}
			area = append(area, d)
			p += cw
		}
		c, cw := utf8.DecodeRuneInString(text[p:])
		if len(area) < 2 || len(area) > 4 || area[0] != '0' || (c != ')' && c != '）') {
			return Match{}, skip, false
		}
		p += cw
		if c, cw := utf8.DecodeRuneInString(text[p:]); spaceSeparator(c) {
			p += cw
		}
		digits = area
		pos = p
	}
	if !isDigitRune(firstRune(text[pos:])) {
		return Match{}, skip, false
	}

	var ends []groupEnd
	firstGroupEnd := -1
	for {
		start := len(digits)
		for pos < len(text) {
			c, cw := utf8.DecodeRuneInString(text[pos:])
			d, ok := digitValue(c)
			if !ok {
				break
			}
			digits = append(digits, d)
			pos += cw
		}
		if firstGroupEnd < 0 {
			firstGroupEnd = pos
		}
		if len(digits) > maxPhoneDigits || len(digits) == start {
			break
		}
		ends = append(ends, groupEnd{pos: pos, digits: len(digits)})
		// A separator: one space, one dash or dot, or a dash or dot with a
		// space on either side ("0912 - 345 - 678").
		p := pos
		sp := false
		if c, cw := utf8.DecodeRuneInString(text[p:]); spaceSeparator(c) {
			p += cw
			sp = true
		}
		tight := false
		if c, cw := utf8.DecodeRuneInString(text[p:]); tightSeparator(c) {
			p += cw
			tight = true
			if c, cw := utf8.DecodeRuneInString(text[p:]); spaceSeparator(c) {
				p += cw
			}
		}
		if (!sp && !tight) || !isDigitRune(firstRune(text[p:])) {
			break
		}
		ends[len(ends)-1].tight = tight
		pos = p
	}

	// The longest prefix, ending after a group, that is a plausible number and
	// does not run on into more digits.
	for k := len(ends) - 1; k >= 0; k-- {
		e := ends[k]
		if e.tight {
			continue
		}
		if next, _ := utf8.DecodeRuneInString(text[e.pos:]); e.pos < len(text) && gluedAfter(next) {
			continue
		}
		value := string(digits[:e.digits])
		if !plausiblePhone(value, plus) {
			continue
		}
		if plus {
			value = "+" + value
		}
		return Match{Text: text[i:e.pos], Value: value, Start: i, End: e.pos}, e.pos, true
	}
	// Nothing here: look again after the first group of digits, where a
	// space-separated number may begin.
	return Match{}, max(firstGroupEnd, skip), false
}

func isDigitRune(r rune) bool {
	_, ok := digitValue(r)
	return ok
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// plausiblePhone applies the length and prefix rules described at Find.
func plausiblePhone(d string, international bool) bool {
	if international {
		if len(d) < 8 || len(d) > maxPhoneDigits || d[0] == '0' {
			return false
		}
		if rest, ok := strings.CutPrefix(d, "886"); ok {
			return taiwanNational("0" + rest)
		}
		return true
	}
	return taiwanNational(d)
}

func taiwanNational(d string) bool {
	if len(d) < 2 || d[0] != '0' {
		return false
	}
	switch {
	case d[1] == '9':
		return len(d) == 10
	case '2' <= d[1] && d[1] <= '8':
		return len(d) == 9 || len(d) == 10
	}
	return false
}

// --- e-mail ---

var emailRE = regexp.MustCompile(`[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}`)

func findEmails(text string) []Match {
	var out []Match
	for _, loc := range emailRE.FindAllStringIndex(text, -1) {
		s, e := loc[0], loc[1]
		// A TLD glued to more letters or digits is not the end of a domain.
		if e < len(text) {
			if r := firstRune(text[e:]); r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				continue
			}
		}
		t := text[s:e]
		at := strings.LastIndexByte(t, '@')
		out = append(out, Match{Text: t, Value: t[:at+1] + strings.ToLower(t[at+1:]), Start: s, End: e})
	}
	return out
}

// --- addresses ---

// cities are Taiwan's counties and cities, with both 台 and 臺, and the names
// before the 2010 mergers, still in customers' habits. Each is three runes
// ending in 市 or 縣.
var cities = map[string]bool{
	"臺北市": true, "台北市": true, "新北市": true, "桃園市": true, "臺中市": true, "台中市": true,
	"臺南市": true, "台南市": true, "高雄市": true, "基隆市": true, "新竹市": true, "嘉義市": true,
	"新竹縣": true, "苗栗縣": true, "彰化縣": true, "南投縣": true, "雲林縣": true, "嘉義縣": true,
	"屏東縣": true, "宜蘭縣": true, "花蓮縣": true, "臺東縣": true, "台東縣": true, "澎湖縣": true,
	"金門縣": true, "連江縣": true, "桃園縣": true, "臺北縣": true, "台北縣": true,
}

// addressTailRE matches the rest of an address right after its county or
// city. It is anchored and applied only where a county or city name occurs,
// which keeps Find linear and fast on long messages.
var addressTailRE = regexp.MustCompile(addressTailPattern())

func addressTailPattern() string {
	const (
		sep  = `[ \t\r\n,，、\x{3000}]*`
		num  = `[0-9０-９]+`
		cnum = `[0-9０-９一二三四五六七八九十百]+`
	)
	return `^` + sep +
		`(?:\p{Han}{1,3}?[區鄉鎮市]` + sep + `)?` +
		`(?:\p{Han}{1,3}?[村里]` + sep + `)?` +
		`(?:` + num + `鄰` + sep + `)?` +
		`[\p{Han}0-9０-９]{1,10}?(?:路|街|大道)` +
		`(?:` + sep + `[東西南北]?` + cnum + `段)?` +
		`(?:` + sep + num + `巷)?` +
		`(?:` + sep + num + `弄)?` +
		`(?:` + sep + num + `衖)?` +
		sep + num + `(?:[之\-－]` + num + `)?號` +
		`(?:之` + num + `)?` +
		`(?:` + sep + cnum + `(?:樓|層|[FfＦ])(?:之` + num + `)?)?` +
		`(?:` + sep + num + `室)?`
}

// maxAddressTail bounds how far after the city an address may run, in bytes.
const maxAddressTail = 300

func findAddresses(text string) []Match {
	var out []Match
	end := 0
	for i, r := range text {
		if (r != '市' && r != '縣') || i < end {
			continue
		}
		cityEnd := i + utf8.RuneLen(r)
		cityStart := i
		for range 2 {
			_, w := utf8.DecodeLastRuneInString(text[:cityStart])
			cityStart -= w
		}
		if cityStart < end || !cities[text[cityStart:cityEnd]] {
			continue
		}
		tail := text[cityEnd:min(len(text), cityEnd+maxAddressTail)]
		loc := addressTailRE.FindStringIndex(tail)
		if loc == nil {
			continue
		}
		start := postalCodeStart(text[end:cityStart]) + end
		end = cityEnd + loc[1]
		t := text[start:end]
		out = append(out, Match{Text: t, Value: stripSeparators(t), Start: start, End: end})
	}
	return out
}

// postalCodeStart returns where a postal code (3, 5 or 6 digits, then maybe
// separators) ends before, at the end of s, or len(s) when there is none.
// Digits that belong to a longer number (a phone, an order number) are not a
// postal code.
func postalCodeStart(s string) int {
	j := len(s)
	for j > 0 {
		r, w := utf8.DecodeLastRuneInString(s[:j])
		if !isAddressSeparator(r) {
			break
		}
		j -= w
	}
	k := j
	for k > 0 && '0' <= s[k-1] && s[k-1] <= '9' {
		k--
	}
	if n := j - k; n != 3 && n != 5 && n != 6 {
		return len(s)
	}
	if k > 0 && isDigitRune(lastRune(s[:k])) {
		return len(s)
	}
	return k
}

func isAddressSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', ',', '，', '、', '\u3000':
		return true
	}
	return false
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if isAddressSeparator(r) {
			return -1
		}
		return r
	}, s)
}
