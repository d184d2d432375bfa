package switchboard

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file holds what the inbox (the operators' conversation lists) needs of
// the domain beyond the state machine: the query of a conversation list, the
// bounded search text kept on each conversation, and the tag log of contacts.

// Inbox views a conversation list can show. The first four are the stored
// views of ConversationView (dynamo); ViewMine is the caller's own.
const (
	ViewPendingHuman = "pending_human"
	ViewPendingBot   = "pending_bot"
	ViewInProgress   = "in_progress"
	ViewClosed       = "closed"
	// ViewMine is the in-progress conversations a member follows or
	// collaborates on.
	ViewMine = "mine"
)

// ConversationQuery selects one page of one conversation list. The store
// applies every field; visibility by role is the caller's business, because
// it needs the member and, for sales roles, the contact.
type ConversationQuery struct {
	// View is one of the View constants.
	View string
	// MemberID is the member whose conversations ViewMine lists.
	MemberID string
	// Newest reads the list newest last message first; otherwise oldest first,
	// which for a pending list is longest wait first.
	Newest bool
	// Waiting keeps only conversations whose last message is the customer's,
	// sent before WaitingSince: customers who have had no answer since then.
	Waiting      bool
	WaitingSince time.Time
	// ChannelID keeps only the conversations of one channel.
	ChannelID string
	// UnreadFor keeps only conversations in which this reader (a member id, or
	// PendingReader) has unread messages.
	UnreadFor string
	// Participant keeps only conversations this member follows or
	// collaborates on.
	Participant string
	// Search keeps only conversations whose SearchText contains it; pass it
	// through SearchKey first.
	Search string
	// Cursor continues a previous page; Limit bounds the items returned.
	Cursor string
	Limit  int
}

// ConversationPage is one page of a conversation list. A page may hold fewer
// items than asked, even none, while Next is set: the store stops reading
// after a bounded amount of work, so keep reading until Next is empty.
type ConversationPage struct {
	Items []*Conversation
	Next  string
}

// Bounds of the search text kept on a conversation (SearchText): the contact's
// details, then the texts of its last SearchMessages messages, each cut to
// SearchMessageBytes, all of it at most SearchTextBytes. The bound keeps the
// conversation item small, so listing a view stays cheap.
const (
	SearchTextBytes    = 4096
	SearchContactBytes = 1536
	SearchMessageBytes = 512
	SearchMessages     = 10
)

// SearchKey normalises text for the search text and for queries alike: lower
// case, white space (line breaks included) collapsed to single spaces, trimmed.
func SearchKey(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cutBytes cuts s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// searchLines splits SearchText into its contact line and message lines.
func (c *Conversation) searchLines() (string, []string) {
	if c.SearchText == "" {
		return "", nil
	}
	lines := strings.Split(c.SearchText, "\n")
	return lines[0], lines[1:]
}

// setSearch rebuilds SearchText from a contact line and message lines,
// dropping the oldest messages until it fits SearchTextBytes.
func (c *Conversation) setSearch(contact string, msgs []string) {
	if len(msgs) > SearchMessages {
		msgs = msgs[len(msgs)-SearchMessages:]
	}
	size := len(contact)
	for _, m := range msgs {
		size += 1 + len(m)
	}
	for size > SearchTextBytes && len(msgs) > 0 {
		size -= 1 + len(msgs[0])
		msgs = msgs[1:]
	}
	c.SearchText = strings.Join(append([]string{contact}, msgs...), "\n")
}

// IndexContact puts the contact's searchable details into the conversation's
// SearchText: native and display name, phone (also as digits only, so
// "0912-345-678" is found by "0912345678"), e-mail, member id, note and tag
// names. Call it whenever a change of the contact is written, with the
// conversation of the same id.
func (c *Conversation) IndexContact(ct *Contact) {
	if ct == nil {
		return
	}
	parts := []string{ct.NativeName, ct.DisplayName, ct.Phone, digitsOnly(ct.Phone), ct.Email, ct.MemberID, ct.Note}
	parts = append(parts, slices.Sorted(maps.Keys(ct.Tags))...)
	var kept []string
	for _, p := range parts {
		if p = SearchKey(p); p != "" {
			kept = append(kept, p)
		}
	}
	_, msgs := c.searchLines()
	c.setSearch(cutBytes(strings.Join(kept, " "), SearchContactBytes), msgs)
}

// IndexMessage adds a message's text to the conversation's SearchText,
// forgetting the oldest beyond SearchMessages. Call it for every text message
// written to the conversation, in either direction.
func (c *Conversation) IndexMessage(text string) {
	t := cutBytes(SearchKey(text), SearchMessageBytes)
	if t == "" {
		return
	}
	contact, msgs := c.searchLines()
	c.setSearch(contact, append(msgs, t))
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() == len(s) {
		return "" // nothing to add: already digits only
	}
	return b.String()
}

// TagSource says how a tag came onto a contact, for the tagging log (004).
type TagSource string

// Tag sources.
const (
	TagByAgent   TagSource = "agent"
	TagByKeyword TagSource = "keyword"
	TagByBulk    TagSource = "bulk"
)

// Tag names are at most MaxTagNameLen characters, the longest the product
// allows anywhere (keyword rules and auto-tag, 003 §14); a contact holds at
// most MaxContactTags of them.
const (
	MaxTagNameLen  = 40
	MaxContactTags = 200
)

// ValidTagName checks a tag name an operator typed. A slash is refused because
// the API names a tag in a URL path segment.
func ValidTagName(name string) error {
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxTagNameLen || !utf8.ValidString(name) {
		return Errorf(EInvalid, "tag %q must be 1 to %d characters", name, MaxTagNameLen)
	}
	if strings.TrimSpace(name) != name {
		return Errorf(EInvalid, "tag %q must not start or end with spaces", name)
	}
	for _, r := range name {
		if r == '/' || unicode.IsControl(r) {
			return Errorf(EInvalid, "tag %q must not contain a slash or control characters", name)
		}
	}
	return nil
}

// AddTag applies a tag to the contact: a new tag starts at count 1, an
// existing one counts one more (004: tagging again increments). It refuses a
// new tag beyond MaxContactTags.
func (c *Contact) AddTag(name string, now time.Time) error {
	tc, ok := c.Tags[name]
	if !ok && len(c.Tags) >= MaxContactTags {
		return Errorf(EInvalid, "a contact has at most %d tags", MaxContactTags)
	}
	if c.Tags == nil {
		c.Tags = map[string]TagCount{}
	}
	tc.Count++
	tc.LastTaggedAt = now
	c.Tags[name] = tc
	return nil
}

// RemoveTag takes a tag off the contact and reports whether it had it.
func (c *Contact) RemoveTag(name string) bool {
	if _, ok := c.Tags[name]; !ok {
		return false
	}
	delete(c.Tags, name)
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	return true
}

// TagLog is one application of a tag to a contact: when, on which channel and
// how (004, 「貼標逐筆紀錄」). Removing the tag removes its log records.
type TagLog struct {
	ID        string    `json:"id"`
	TeamID    string    `json:"teamId"`
	ContactID string    `json:"contactId"`
	Tag       string    `json:"tag"`
	ChannelID string    `json:"channelId"`
	Source    TagSource `json:"source"`
	// MemberID is the member who tagged, for agent and bulk tagging.
	MemberID string    `json:"memberId,omitempty"`
	At       time.Time `json:"at"`
}
