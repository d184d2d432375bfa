package cart

import (
	"sort"
	"time"
)

// DefaultAttributionWindow is how long after a click an order still counts for
// the clicked reminder. The cart pages of the seed give no window; this is the
// 30-day revenue attribution the seed gives for broadcasts (001:L3466–L3467),
// the other place Switchboard attributes orders to clicked messages.
const DefaultAttributionWindow = 30 * 24 * time.Hour

// SendRecord is one reminder handed over for sending.
type SendRecord struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contactId"`
	Index     int       `json:"index"`
	SentAt    time.Time `json:"sentAt"`
}

// ClickRecord is one click on a link of a sent reminder.
type ClickRecord struct {
	SendID    string    `json:"sendId"`
	ContactID string    `json:"contactId"`
	Index     int       `json:"index"`
	ClickedAt time.Time `json:"clickedAt"`
}

// OrderRecord is an order reported by the shop (pixel or platform), already
// resolved to the contact who placed it.
type OrderRecord struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contactId"`
	MemberID  string    `json:"memberId,omitempty"`
	Currency  string    `json:"currency"`
	Total     Amount    `json:"total"`
	PlacedAt  time.Time `json:"placedAt"`
}

// Attribution credits an order to the reminder whose link was clicked last
// before it.
type Attribution struct {
	Order     OrderRecord `json:"order"`
	Index     int         `json:"index"`
	SendID    string      `json:"sendId"`
	ClickedAt time.Time   `json:"clickedAt"`
}

// Attribute credits each order to the last reminder click of the same contact
// at or before the order, if that click is at most window old (last click
// wins). An order id reported twice counts once. Orders without such a click are
// not cart remarketing orders and are left out. The result is ordered by order
// time, then order id.
func Attribute(clicks []ClickRecord, orders []OrderRecord, window time.Duration) []Attribution {
	byContact := map[string][]ClickRecord{}
	for _, c := range clicks {
		byContact[c.ContactID] = append(byContact[c.ContactID], c)
	}
	for _, cs := range byContact {
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].ClickedAt.Before(cs[b].ClickedAt) })
	}
	seen := map[string]bool{}
	var out []Attribution
	for _, o := range orders {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		cs := byContact[o.ContactID]
		// First click strictly after the order; the one before it is the last
		// click at or before the order.
		i := sort.Search(len(cs), func(i int) bool { return cs[i].ClickedAt.After(o.PlacedAt) })
		if i == 0 {
			continue
		}
		last := cs[i-1]
		if o.PlacedAt.Sub(last.ClickedAt) > window {
			continue
		}
		out = append(out, Attribution{Order: o, Index: last.Index, SendID: last.SendID, ClickedAt: last.ClickedAt})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Order.PlacedAt.Equal(out[b].Order.PlacedAt) {
			return out[a].Order.PlacedAt.Before(out[b].Order.PlacedAt)
		}
		return out[a].Order.ID < out[b].Order.ID
	})
	return out
}

// IndexStats are the results of one reminder message number, or of all of them
// (001:L3712, 001:L1909).
type IndexStats struct {
	// Index is the message number 1 to 4, or 0 for the total.
	Index int `json:"index"`
	Sends int `json:"sends"`
	// UniqueClicks counts sends clicked at least once, however often: one
	// delivery is clicked once at most, as for broadcasts (001:L3461).
	UniqueClicks int `json:"uniqueClicks"`
	Orders       int `json:"orders"`
	// Revenue is per currency, since amounts in different currencies do not add.
	Revenue map[string]Amount `json:"revenue"`
}

// CTR is the click-through rate, unique clicks / sends, or 0 without sends.
func (s IndexStats) CTR() float64 {
	if s.Sends == 0 {
		return 0
	}
	return float64(s.UniqueClicks) / float64(s.Sends)
}

// Conversion is orders / unique clicks (001:L3741), or 0 without clicks.
func (s IndexStats) Conversion() float64 {
	if s.UniqueClicks == 0 {
		return 0
	}
	return float64(s.Orders) / float64(s.UniqueClicks)
}

// ROAS is revenue / spend. Switchboard does not know what a reminder cost (the
// platform's message fees are billed outside it), so the caller supplies the
// spend in the same currency; without a positive spend there is no ROAS.
func ROAS(revenue, spend Amount) (float64, bool) {
	if spend <= 0 {
		return 0, false
	}
	return float64(revenue) / float64(spend), true
}

// Summary holds the results per message number and in total.
type Summary struct {
	ByIndex []IndexStats `json:"byIndex"`
	Total   IndexStats   `json:"total"`
}

// Summarize counts, for the period [from, to), the sends sent, the sends
// clicked and the attributed orders placed in it, per message number. A click
// that names no send counts once per contact and message number. Records with a
// message number outside 1 to 4 are ignored.
func Summarize(sends []SendRecord, clicks []ClickRecord, atts []Attribution, from, to time.Time) Summary {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	s := Summary{ByIndex: make([]IndexStats, MaxMessages), Total: IndexStats{Revenue: map[string]Amount{}}}
	for i := range s.ByIndex {
		s.ByIndex[i] = IndexStats{Index: i + 1, Revenue: map[string]Amount{}}
	}
	valid := func(i int) bool { return i >= 1 && i <= MaxMessages }
	for _, r := range sends {
		if valid(r.Index) && in(r.SentAt) {
			s.ByIndex[r.Index-1].Sends++
			s.Total.Sends++
		}
	}
	clicked := map[string]bool{}
	for _, c := range clicks {
		if !valid(c.Index) || !in(c.ClickedAt) {
			continue
		}
		key := c.SendID
		if key == "" {
			key = c.ContactID + "\x00" + string(rune('0'+c.Index))
		}
		if clicked[key] {
			continue
		}
		clicked[key] = true
		s.ByIndex[c.Index-1].UniqueClicks++
		s.Total.UniqueClicks++
	}
	for _, a := range atts {
		if !valid(a.Index) || !in(a.Order.PlacedAt) {
			continue
		}
		st := &s.ByIndex[a.Index-1]
		st.Orders++
		st.Revenue[a.Order.Currency] += a.Order.Total
		s.Total.Orders++
		s.Total.Revenue[a.Order.Currency] += a.Order.Total
	}
	return s
}
