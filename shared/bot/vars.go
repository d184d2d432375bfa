package bot

import (
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Variables a card's text may hold (SPEC §3, 001:L3852-L3856):
//
//	{{system:customer_name}}       the contact's name (the team's, else the
//	                               platform's); empty when unknown. The
//	                               misspelling {{system:cutomer_name}}, which
//	                               the product once shipped, works too.
//	{{system:member_id}}           the contact's member id
//	{{system:email}}               the contact's e-mail
//	{{system:phone}}               the contact's phone
//	{{custom:<key>}}               the contact's custom attribute <key>
//	{{system:loyaltyPoint:balance}} the contact's points: the custom attribute
//	                               loyalty_points (LoyaltyPointsAttribute),
//	                               empty when the contact has none
//
// Unknown variables render empty. Rendering is one pass of substitution: a
// value that itself looks like a variable (a customer who names themself
// "{{system:email}}") is copied as it is, never expanded, so customer data
// cannot inject template syntax.

// LoyaltyPointsAttribute is the custom attribute that holds a contact's loyalty
// points: the balance variable and points conditions read it. Switchboard
// keeps no points ledger of its own; a team's shop writes the balance there
// through the contacts API.
const LoyaltyPointsAttribute = "loyalty_points"

// MaxTemplate bounds what Render reads: a card's text is at most a few
// thousand characters, so anything longer is not a card.
const MaxTemplate = 64 << 10

// Render substitutes the variables of tpl with the contact's values.
func Render(tpl string, c *switchboard.Contact) string {
	return RenderEscaped(tpl, c, nil)
}

// RenderEscaped is Render with each substituted value passed through escape
// first (nil leaves values as they are), for templates whose values land in
// JSON, a URL or a header, where an unescaped value could change the
// structure around it.
func RenderEscaped(tpl string, c *switchboard.Contact, escape func(string) string) string {
	if len(tpl) > MaxTemplate {
		tpl = tpl[:MaxTemplate]
	}
	if !strings.Contains(tpl, "{{") {
		return tpl
	}
	var b strings.Builder
	b.Grow(len(tpl))
	rest := tpl
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:open])
		name := strings.TrimSpace(rest[open+2 : open+2+end])
		val := lookup(name, c)
		if escape != nil {
			val = escape(val)
		}
		b.WriteString(val)
		rest = rest[open+2+end+2:]
	}
	return b.String()
}

// lookup returns a variable's value; unknown names and a missing contact
// give "".
func lookup(name string, c *switchboard.Contact) string {
	if c == nil {
		return ""
	}
	if key, ok := strings.CutPrefix(name, "custom:"); ok {
		return c.Attributes[key].Value
	}
	switch name {
	case "system:customer_name", "system:cutomer_name":
		return c.Name()
	case "system:member_id":
		return c.MemberID
	case "system:email":
		return c.Email
	case "system:phone":
		return c.Phone
	case "system:loyaltyPoint:balance":
		return c.Attributes[LoyaltyPointsAttribute].Value
	}
	return ""
}
