package bot

import (
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// PhoneBindingKinds are the binding kinds that count as a phone binding for a
// condition card: the contact was bound to a member account by its phone
// number ("phone") or through the shop's member login ("member").
var PhoneBindingKinds = []string{"phone", "member"}

// Met reports whether the contact meets the condition. A missing field meets
// only "not_exists" (and "none" for tags): a contact without points neither
// has more nor fewer than 100.
func Met(c *Condition, ct *switchboard.Contact) bool {
	if c == nil || ct == nil {
		return false
	}
	switch c.Field {
	case FieldTag:
		n := 0
		for _, t := range c.Tags {
			if _, ok := ct.Tags[t]; ok {
				n++
			}
		}
		switch c.Operator {
		case OpAny:
			return n > 0
		case OpAll:
			return n == len(c.Tags)
		case OpNone:
			return n == 0
		}
		return false
	case FieldMemberID:
		return compareText(c.Operator, ct.MemberID, c.Value, false)
	case FieldEmail:
		return compareText(c.Operator, ct.Email, c.Value, true)
	case FieldPhone:
		return compareText(c.Operator, digits(ct.Phone), digits(c.Value), false)
	case FieldPhoneBinding:
		bound := false
		for _, b := range ct.Bindings {
			for _, k := range PhoneBindingKinds {
				bound = bound || b.Kind == k
			}
		}
		if c.Operator == OpExists {
			return bound
		}
		return !bound
	case FieldPoints:
		av, ok := ct.Attributes[LoyaltyPointsAttribute]
		if !ok || av.Value == "" {
			return false
		}
		return compareOrdered(c.Operator, av.Value, c.Value)
	case FieldAttribute:
		av, ok := ct.Attributes[c.Attribute]
		if !ok || av.Value == "" {
			return c.Operator == OpNotExists
		}
		switch c.Operator {
		case OpExists:
			return true
		case OpNotExists:
			return false
		case OpContains:
			return strings.Contains(strings.ToLower(av.Value), strings.ToLower(c.Value))
		case OpEquals, OpNotEquals:
			eq := equalTyped(av, c.Value)
			return eq == (c.Operator == OpEquals)
		}
		return compareOrdered(c.Operator, av.Value, c.Value)
	}
	return false
}

// compareText compares a text field; fold ignores letter case (e-mail).
func compareText(op Operator, have, want string, fold bool) bool {
	if fold {
		have, want = strings.ToLower(have), strings.ToLower(want)
	}
	switch op {
	case OpExists:
		return have != ""
	case OpNotExists:
		return have == ""
	case OpEquals:
		return have != "" && have == want
	case OpNotEquals:
		return have != "" && have != want
	case OpContains:
		return have != "" && strings.Contains(have, want)
	}
	return false
}

// equalTyped compares an attribute with a condition's value by the
// attribute's type: numerically, as instants, as booleans, or exactly.
func equalTyped(av switchboard.AttributeValue, want string) bool {
	switch av.Type {
	case switchboard.AttrNumber:
		a, errA := strconv.ParseFloat(av.Value, 64)
		b, errB := strconv.ParseFloat(want, 64)
		return errA == nil && errB == nil && a == b
	case switchboard.AttrDate, switchboard.AttrDateTime:
		a, okA := parseInstant(av.Value)
		b, okB := parseInstant(want)
		return okA && okB && a.Equal(b)
	case switchboard.AttrBoolean:
		a, errA := strconv.ParseBool(av.Value)
		b, errB := strconv.ParseBool(want)
		return errA == nil && errB == nil && a == b
	}
	return av.Value == want
}

// compareOrdered applies gt/gte/lt/lte (and equals/not_equals, for points) to
// two numbers, or failing that two instants; values of neither kind never
// compare.
func compareOrdered(op Operator, have, want string) bool {
	var cmp int
	a, errA := strconv.ParseFloat(have, 64)
	b, errB := strconv.ParseFloat(want, 64)
	switch {
	case errA == nil && errB == nil:
		switch {
		case a < b:
			cmp = -1
		case a > b:
			cmp = 1
		}
	default:
		ta, okA := parseInstant(have)
		tb, okB := parseInstant(want)
		if !okA || !okB {
			return false
		}
		cmp = ta.Compare(tb)
	}
	switch op {
	case OpEquals:
		return cmp == 0
	case OpNotEquals:
		return cmp != 0
	case OpGT:
		return cmp > 0
	case OpGTE:
		return cmp >= 0
	case OpLT:
		return cmp < 0
	case OpLTE:
		return cmp <= 0
	}
	return false
}

// digits keeps the digits of a phone number, so 0912-345-678 equals
// 0912 345 678 (SPEC §2, detection).
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
