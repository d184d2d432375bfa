package cart

import (
	"sort"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// CarouselSize is how many unpurchased products the "unpurchased items" card
// shows: the 10 added last (001:L4971).
const CarouselSize = 10

// Card is one product of the unpurchased-items card.
type Card struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	ImageURL  string `json:"imageUrl,omitempty"`
	URL       string `json:"url,omitempty"`
	Price     Amount `json:"price"`
	Currency  string `json:"currency,omitempty"`
	// PriceText is the price as shown, with the symbol of the catalogue's
	// currency (001:L1281).
	PriceText string `json:"priceText"`
}

// Content is what one reminder message sends. On LINE and Messenger the channel
// renders the bot module, whose unpurchased-items card becomes a carousel of
// Cards; on WhatsApp it fills the cart template (product name, price, the custom
// message, unsubscribe and "view product", 001:L4973–L4979) with the one Card.
type Content struct {
	ChannelKind      switchboard.ChannelKind `json:"channelKind"`
	Index            int                     `json:"index"`
	BotModuleID      string                  `json:"botModuleId,omitempty"`
	CustomMessage    string                  `json:"customMessage,omitempty"`
	TemplateLanguage string                  `json:"templateLanguage,omitempty"`
	Cards            []Card                  `json:"cards"`
}

// RecentItems returns at most n items, newest first, one per product: when the
// same product appears twice, its latest addition counts. Items added at the
// same instant keep their order of arrival (later first).
func RecentItems(items []Item, n int) []Item {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := items[idx[a]], items[idx[b]]
		if !ia.AddedAt.Equal(ib.AddedAt) {
			return ia.AddedAt.After(ib.AddedAt)
		}
		return idx[a] > idx[b]
	})
	seen := make(map[string]bool, len(items))
	var out []Item
	for _, i := range idx {
		if len(out) >= n {
			break
		}
		it := items[i]
		if seen[it.ProductID] {
			continue
		}
		seen[it.ProductID] = true
		out = append(out, it)
	}
	return out
}

// BuildContent assembles reminder message number index from its configuration
// and the cart's items: the 10 newest products on LINE and Messenger, and only
// the last one added on WhatsApp (001:L4974).
func BuildContent(kind switchboard.ChannelKind, index int, m MessageConfig, items []Item) Content {
	n := CarouselSize
	c := Content{ChannelKind: kind, Index: index}
	if kind == switchboard.KindWhatsApp {
		n = 1
		c.CustomMessage, c.TemplateLanguage = m.CustomMessage, m.TemplateLanguage
	} else {
		c.BotModuleID = m.BotModuleID
	}
	for _, it := range RecentItems(items, n) {
		c.Cards = append(c.Cards, Card{
			ProductID: it.ProductID, Name: it.Name, ImageURL: it.ImageURL, URL: it.URL,
			Price: it.Price, Currency: it.Currency, PriceText: FormatMoney(it.Currency, it.Price),
		})
	}
	return c
}
