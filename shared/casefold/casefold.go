// Package casefold is how Switchboard compares a customer's text with an
// operator's keyword: letter case is ignored, character width is not
// (001:L3996-L4010: "ABC" and "abc" are the same keyword, full-width "ＡＢＣ"
// is another), and white space around a keyword does not count. Keyword
// auto-reply, auto-assign (package keyword) and auto-tag (package autotag)
// all compare through it, so a team sees one behaviour everywhere; it is its
// own package so that keyword can hold a rule set that includes autotag's
// configuration without an import cycle.
package casefold

import (
	"strings"
	"unicode"
)

// Fold returns s with letter case removed, for matching. It applies Unicode
// simple case folding rune by rune, the folding strings.EqualFold uses, so
// "ABC", "abc" and "aBc" fold alike, as do Greek or Cyrillic pairs. It does not
// normalise width or compatibility forms (no NFKC): full-width "ＡＢＣ" folds
// to "ａｂｃ", never to "abc", because the product treats full-width and
// half-width characters as different (001:L3996-L4010). Invalid UTF-8 bytes
// become U+FFFD.
func Fold(s string) string {
	return strings.Map(foldRune, s)
}

// foldRune maps r to one representative of its case-folding orbit (the smallest
// rune in it), so two runes fold equal exactly when strings.EqualFold says so.
func foldRune(r rune) rune {
	if r < 0x80 {
		// The upper-case letter is the smallest of every ASCII orbit (the
		// Kelvin sign and the long s fold onto 'K' and 'S', above them).
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// Prepare trims surrounding white space and folds case: what both the
// customer's message and a keyword go through before they are compared. White
// space around a message (a trailing newline from a phone keyboard, a space
// after a QR-code keyword) never decides whether it matches; white space
// inside it does.
func Prepare(s string) string {
	return Fold(strings.TrimSpace(s))
}

// Contains reports whether text contains keyword under these rules (case
// ignored, width kept, white space around the keyword ignored). An empty
// keyword is contained in nothing.
func Contains(text, keyword string) bool {
	k := Prepare(keyword)
	return k != "" && strings.Contains(Fold(text), k)
}
