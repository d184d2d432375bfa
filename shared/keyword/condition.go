// Package keyword holds the rules of keyword auto-reply (001:L3989) and keyword
// auto-assign (001:L4174): which rule a customer's message triggers, how rules
// are validated when saved, when a rule becomes invalid, and how the two
// features combine (Decide). It stores nothing and sends nothing: the router
// loads the rules, asks this package what to do, and does it.
//
// Matching ignores letter case but not character width (001:L3996-L4010): "ABC"
// and "abc" are the same keyword, "ＡＢＣ" (full-width) is another.
package keyword

import (
	"strings"

	"github.com/switchboard-chat/switchboard/shared/casefold"
)

// Fold returns s with letter case removed, for matching; see casefold.Fold,
// which keyword, autotag and the inbox share.
func Fold(s string) string { return casefold.Fold(s) }

// prepare trims surrounding white space and folds case (casefold.Prepare).
func prepare(s string) string { return casefold.Prepare(s) }

// Contains reports whether text contains keyword under the package's rules
// (case ignored, width kept, white space around the keyword ignored). An empty
// keyword is contained in nothing.
func Contains(text, keyword string) bool { return casefold.Contains(text, keyword) }

// Mode is how a rule's keywords are compared with a message (001:L4022-L4043).
type Mode string

// Modes.
const (
	// ContainsAny matches when the message contains at least one keyword.
	ContainsAny Mode = "contains_any"
	// ContainsAll matches when the message contains every keyword.
	ContainsAll Mode = "contains_all"
	// Exact matches when the whole message equals the one keyword, after
	// trimming surrounding white space and ignoring case.
	Exact Mode = "exact"
	// AnyContent matches any text message; it is tried only when no keyword
	// rule matched (001:L4013).
	AnyContent Mode = "any_content"
)

// Condition is the "customer message" part of a rule: a mode and its keywords.
type Condition struct {
	Mode     Mode     `json:"mode"`
	Keywords []string `json:"keywords,omitempty"`
}

// Matches reports whether text satisfies the condition on its own, without
// the ordering between rules that Match applies.
func (c Condition) Matches(text string) bool {
	t := prepare(text)
	if t == "" {
		return false
	}
	if c.Mode == AnyContent {
		return true
	}
	_, ok := c.hits(t)
	return ok
}

// hits returns the folded keywords of the condition that the prepared message
// t contains, and whether the condition matches. Any-content matches nothing
// here: it has no keywords to hit.
func (c Condition) hits(t string) ([]string, bool) {
	switch c.Mode {
	case ContainsAny, ContainsAll:
		var hit []string
		for _, k := range c.Keywords {
			k = prepare(k)
			if k == "" {
				continue
			}
			if strings.Contains(t, k) {
				hit = append(hit, k)
			} else if c.Mode == ContainsAll {
				return nil, false
			}
		}
		return hit, len(hit) > 0
	case Exact:
		// Only the first keyword counts, as for post comments (001:L5018);
		// Validate allows exactly one anyway.
		if len(c.Keywords) == 0 {
			return nil, false
		}
		k := prepare(c.Keywords[0])
		if k == "" || k != t {
			return nil, false
		}
		return []string{k}, true
	}
	return nil, false
}
