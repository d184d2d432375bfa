package keyword

import (
	"cmp"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits checked when a rule is saved. The Omnichat seed gives none for
// keywords; the nearest product numbers are SHOPLINE's auto-tag limits (003:
// 20 keywords, 40 characters), which we keep for the count. Keywords may be
// longer, up to 100 characters, because an exact rule often holds a whole
// sentence that a rich-menu text button or a QR code sends (001:L4057,
// 001:L4105).
const (
	MaxKeywords        = 20
	MaxKeywordLen      = 100
	MaxTags            = 10
	MaxTagLen          = 40
	MaxChannels        = 50
	MaxReplyTextLen    = 5000 // LINE's and Meta's limit for one text message
	MaxImageURLLen     = 2000
	MaxGroupNameLen    = 100
	MaxAssignMemberIDs = 100
)

// Status is the conversation status a rule's "event status" condition refers
// to (001:L4044): pending for a human, pending for the bot, in progress, or
// closed.
type Status string

// Statuses.
const (
	StatusPending    Status = "pending"
	StatusBot        Status = "bot"
	StatusInProgress Status = "in_progress"
	StatusClosed     Status = "closed"
)

// DefaultStatuses are where a rule fires unless it says otherwise: pending,
// bot and closed. In progress means a human has taken over, so a rule fires
// there only when it lists it (001:L3990-L3991).
var DefaultStatuses = []Status{StatusPending, StatusBot, StatusClosed}

// StatusOf returns the status a rule sees for conversation c when a message
// arrives, before the message changes it. No conversation yet is pending.
func StatusOf(c *switchboard.Conversation) Status {
	if c == nil {
		return StatusPending
	}
	switch c.Status {
	case switchboard.StatusInProgress:
		return StatusInProgress
	case switchboard.StatusClosed:
		return StatusClosed
	case switchboard.StatusPending:
		if c.PendingKind == switchboard.PendingBot {
			return StatusBot
		}
	}
	return StatusPending
}

func validStatus(s Status) bool {
	return s == StatusPending || s == StatusBot || s == StatusInProgress || s == StatusClosed
}

// ReplyKind is what an auto-reply sends (001:L4046).
type ReplyKind string

// Reply kinds.
const (
	ReplyText      ReplyKind = "text"
	ReplyImage     ReplyKind = "image"
	ReplyBotModule ReplyKind = "bot_module"
	// ReplyNone sends nothing: the rule only tags and counts.
	ReplyNone ReplyKind = "none"
)

// Reply is the content an auto-reply rule sends.
type Reply struct {
	Kind     ReplyKind `json:"kind"`
	Text     string    `json:"text,omitempty"`
	ImageURL string    `json:"imageUrl,omitempty"`
	BotID    string    `json:"botId,omitempty"`
	ModuleID string    `json:"moduleId,omitempty"`
}

// Group is a set of rules switched on or off together, per channel
// (001:L1314).
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Enabled lists the group's channels, each enabled (true) or paused.
	Enabled map[string]bool `json:"enabled"`
	// Invalid is set when one of the group's channels is gone (001:L4071).
	Invalid bool `json:"invalid,omitempty"`
}

// EnabledOn reports whether the group's rules may fire on channelID.
func (g *Group) EnabledOn(channelID string) bool { return g != nil && g.Enabled[channelID] }

// Validate checks the fields an operator sets on a group.
func (g *Group) Validate() error {
	if n := utf8.RuneCountInString(g.Name); n == 0 || n > MaxGroupNameLen {
		return switchboard.Errorf(switchboard.EInvalid, "group name must be 1 to %d characters", MaxGroupNameLen)
	}
	if len(g.Enabled) == 0 {
		return switchboard.Errorf(switchboard.EInvalid, "a group needs at least one channel")
	}
	if len(g.Enabled) > MaxChannels {
		return switchboard.Errorf(switchboard.EInvalid, "a group has at most %d channels", MaxChannels)
	}
	for id := range g.Enabled {
		if id == "" {
			return switchboard.Errorf(switchboard.EInvalid, "channel ids must not be empty")
		}
	}
	return nil
}

// Rule is one keyword auto-reply condition (001:L4011-L4050).
type Rule struct {
	ID      string `json:"id"`
	GroupID string `json:"groupId"`
	// ChannelIDs are the channels the rule answers on; each must also be
	// enabled in the group.
	ChannelIDs []string `json:"channelIds"`
	Condition
	// Statuses are where the rule fires; empty means DefaultStatuses.
	Statuses  []Status  `json:"statuses,omitempty"`
	Reply     Reply     `json:"reply"`
	Tags      []string  `json:"tags,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// Paused is the rule's own on/off switch (001:L4015, 「停用條件」).
	Paused bool `json:"paused,omitempty"`
	// Invalid is set by MarkInvalid when the rule's bot or channel is gone; an
	// invalid rule never fires until it is edited and saved again.
	Invalid bool `json:"invalid,omitempty"`
}

// FiresIn reports whether the rule's status condition includes s.
func (r *Rule) FiresIn(s Status) bool {
	if len(r.Statuses) == 0 {
		return slices.Contains(DefaultStatuses, s)
	}
	return slices.Contains(r.Statuses, s)
}

// Validate checks a rule when it is saved, with messages an operator can act on.
func (r *Rule) Validate() error {
	if err := validateCommon(r.GroupID, r.ChannelIDs, r.Condition, r.Tags); err != nil {
		return err
	}
	for _, s := range r.Statuses {
		if !validStatus(s) {
			return switchboard.Errorf(switchboard.EInvalid, "status %q must be one of pending, bot, in_progress, closed", s)
		}
	}
	return r.Reply.validate()
}

func (p Reply) validate() error {
	switch p.Kind {
	case ReplyText:
		if n := utf8.RuneCountInString(p.Text); n == 0 || n > MaxReplyTextLen {
			return switchboard.Errorf(switchboard.EInvalid, "reply text must be 1 to %d characters", MaxReplyTextLen)
		}
	case ReplyImage:
		u, err := url.Parse(p.ImageURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(p.ImageURL) > MaxImageURLLen {
			return switchboard.Errorf(switchboard.EInvalid, "reply image must be an https URL of at most %d characters", MaxImageURLLen)
		}
	case ReplyBotModule:
		if p.BotID == "" || p.ModuleID == "" {
			return switchboard.Errorf(switchboard.EInvalid, "a bot-module reply needs a bot and a module")
		}
	case ReplyNone:
	default:
		return switchboard.Errorf(switchboard.EInvalid, "reply kind must be text, image, bot_module or none, not %q", p.Kind)
	}
	return nil
}

// validateCommon checks what auto-reply and auto-assign rules share.
func validateCommon(groupID string, channelIDs []string, c Condition, tags []string) error {
	if groupID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "a rule belongs to a group")
	}
	if len(channelIDs) == 0 || len(channelIDs) > MaxChannels {
		return switchboard.Errorf(switchboard.EInvalid, "a rule needs 1 to %d channels", MaxChannels)
	}
	for _, id := range channelIDs {
		if id == "" {
			return switchboard.Errorf(switchboard.EInvalid, "channel ids must not be empty")
		}
	}
	if err := c.validate(); err != nil {
		return err
	}
	if len(tags) > MaxTags {
		return switchboard.Errorf(switchboard.EInvalid, "a rule adds at most %d tags", MaxTags)
	}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t); n == 0 || n > MaxTagLen {
			return switchboard.Errorf(switchboard.EInvalid, "tag %q must be 1 to %d characters", t, MaxTagLen)
		}
	}
	return nil
}

func (c Condition) validate() error {
	switch c.Mode {
	case AnyContent:
		if len(c.Keywords) > 0 {
			return switchboard.Errorf(switchboard.EInvalid, "an any-content rule takes no keywords")
		}
		return nil
	case Exact:
		if len(c.Keywords) != 1 {
			return switchboard.Errorf(switchboard.EInvalid, "an exact rule takes exactly one keyword, not %d", len(c.Keywords))
		}
	case ContainsAny, ContainsAll:
		if len(c.Keywords) == 0 || len(c.Keywords) > MaxKeywords {
			return switchboard.Errorf(switchboard.EInvalid, "a %s rule takes 1 to %d keywords, not %d", c.Mode, MaxKeywords, len(c.Keywords))
		}
	default:
		return switchboard.Errorf(switchboard.EInvalid, "mode must be contains_any, contains_all, exact or any_content, not %q", c.Mode)
	}
	seen := map[string]bool{}
	for _, k := range c.Keywords {
		if !utf8.ValidString(k) {
			return switchboard.Errorf(switchboard.EInvalid, "keyword %q is not valid UTF-8", k)
		}
		p := prepare(k)
		if p == "" {
			return switchboard.Errorf(switchboard.EInvalid, "keywords must not be empty or only spaces")
		}
		if n := utf8.RuneCountInString(k); n > MaxKeywordLen {
			return switchboard.Errorf(switchboard.EInvalid, "keyword %q is %d characters, more than %d", k, n, MaxKeywordLen)
		}
		if seen[p] {
			return switchboard.Errorf(switchboard.EInvalid, "keyword %q appears twice (letter case is ignored)", k)
		}
		seen[p] = true
	}
	return nil
}

// TriggerKind says which feature a trigger counts for.
type TriggerKind string

// Trigger kinds.
const (
	TriggerReply  TriggerKind = "reply"
	TriggerAssign TriggerKind = "assign"
)

// Trigger is one firing of a rule, which the router adds to the counters per
// rule, group and channel (001:L4017-L4021).
type Trigger struct {
	Kind      TriggerKind `json:"kind"`
	RuleID    string      `json:"ruleId"`
	GroupID   string      `json:"groupId"`
	ChannelID string      `json:"channelId"`
}

// Match returns the auto-reply rule that text triggers on channelID when the
// conversation is in status, or false. Rules that are invalid, paused, in a
// group that is missing or paused on the channel, not on the channel, or not
// for the status are skipped. Keyword rules are tried in order of creation and
// the first match wins, except that when newer matching rules share a matched
// keyword with it, the newest of them wins (001:L4012, 「如關鍵字相同,則會觸發最新的
// 關鍵字」). Any-content rules are tried last, only when no keyword rule
// matched; among several the newest wins, as for duplicate keywords. Only text
// counts: an empty or blank message matches nothing, not even any content
// (001:L4043, 「收到任何文字訊息」).
func Match(rules []*Rule, groups []*Group, channelID string, status Status, text string) (*Rule, bool) {
	byID := groupIndex(groups)
	var cands []candidate[*Rule]
	for _, r := range rules {
		if r == nil || r.Invalid || r.Paused || !r.FiresIn(status) ||
			!slices.Contains(r.ChannelIDs, channelID) || !byID[r.GroupID].EnabledOn(channelID) {
			continue
		}
		cands = append(cands, candidate[*Rule]{r.Condition, r.CreatedAt, r.ID, r})
	}
	return pick(cands, text)
}

func groupIndex(groups []*Group) map[string]*Group {
	m := make(map[string]*Group, len(groups))
	for _, g := range groups {
		if g != nil {
			m[g.ID] = g
		}
	}
	return m
}

// candidate is a rule of either kind as the shared ordering sees it.
type candidate[R any] struct {
	cond    Condition
	created time.Time
	id      string
	rule    R
}

// pick applies the ordering described at Match.
func pick[R any](cands []candidate[R], text string) (R, bool) {
	var zero R
	t := prepare(text)
	if t == "" {
		return zero, false
	}
	slices.SortStableFunc(cands, func(a, b candidate[R]) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var (
		winner    *candidate[R]
		firstHits []string
		anyLast   *candidate[R]
	)
	for i := range cands {
		c := &cands[i]
		if c.cond.Mode == AnyContent {
			anyLast = c
			continue
		}
		hits, ok := c.cond.hits(t)
		if !ok {
			continue
		}
		if winner == nil {
			winner, firstHits = c, hits
			continue
		}
		for _, h := range hits {
			if slices.Contains(firstHits, h) {
				winner = c
				break
			}
		}
	}
	if winner == nil {
		winner = anyLast
	}
	if winner == nil {
		return zero, false
	}
	return winner.rule, true
}

// MarkInvalid marks the auto-reply rules whose bot was deleted or one of whose
// channels is gone (001:L4071-L4072, 001:L1316-L1320), and returns the ids of
// the rules it newly marked so the caller writes only those. It never clears
// the mark: a broken rule stays invalid until an operator edits it.
func MarkInvalid(rules []*Rule, existingBots, existingChannels map[string]bool) []string {
	var changed []string
	for _, r := range rules {
		if r == nil || r.Invalid {
			continue
		}
		broken := r.Reply.Kind == ReplyBotModule && !existingBots[r.Reply.BotID]
		for _, ch := range r.ChannelIDs {
			if !existingChannels[ch] {
				broken = true
			}
		}
		if broken {
			r.Invalid = true
			changed = append(changed, r.ID)
		}
	}
	return changed
}

// MarkGroupsInvalid marks the groups one of whose channels is gone
// (001:L4071, 「分組:任一目標渠道被解除串接」) and returns their ids.
func MarkGroupsInvalid(groups []*Group, existingChannels map[string]bool) []string {
	var changed []string
	for _, g := range groups {
		if g == nil || g.Invalid {
			continue
		}
		for ch := range g.Enabled {
			if !existingChannels[ch] {
				g.Invalid = true
				changed = append(changed, g.ID)
				break
			}
		}
	}
	return changed
}
