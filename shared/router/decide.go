package router

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/detect"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// readMarkWindow bounds how many of a conversation's newest messages LINE read
// marking and Meta read watermarks look at, so one event never reads a whole
// history; older outbound messages stay as they are.
const readMarkWindow = 30

// unsubscribeText is what a WhatsApp customer sends to unsubscribe (001:L624).
const unsubscribeText = "unsub"

// plan is what one event does, decided in memory from what was read.
type plan struct {
	write *dynamo.InboundWrite
	// outbox are the replies to send once the write is committed.
	outbox []*switchboard.Message
	// bot is the bot request to publish once the write is committed.
	bot *switchboard.BotRequest
	// ignored is set for an event of a blocked contact: only the claim is
	// written.
	ignored bool
	// status is the conversation's status after the event, for logs.
	status switchboard.ConversationStatus
}

// decide works out everything an event changes. It reads nothing but what
// assignment and read marking need (cached members and team, an assignment
// state, recent messages), and only when they apply.
func (r *Router) decide(ctx context.Context, e *switchboard.InboundEvent, ch *switchboard.Channel, rules *teamRules, contact *switchboard.Contact, conv *switchboard.Conversation) (*plan, error) {
	now := r.now().UTC()
	at := customerTime(e, now)
	convID := dynamo.ContactID(e.TeamID, e.ChannelID, e.CustomerID)
	w := &dynamo.InboundWrite{TeamID: e.TeamID, ChannelID: e.ChannelID, EventID: e.ID, ConversationID: convID}
	p := &plan{write: w}

	if contact != nil && contact.Blocked {
		// The "status active" switch is off: the contact's events are not
		// received (001:L1671). Claiming the event still makes a redelivery
		// cost nothing.
		p.ignored = true
		return p, nil
	}
	c := contactFor(contact, e, ch, convID, at)
	w.Contact = c
	if e.CustomerName != "" {
		c.NativeName = e.CustomerName
	}
	switch e.Type {
	case switchboard.InFollow:
		setSubscribed(c, true, at)
	case switchboard.InUnfollow:
		setSubscribed(c, false, at)
	}
	if e.Type != switchboard.InUnfollow {
		c.LastCustomerInteractionAt = at
	}

	switch e.Type {
	case switchboard.InMessage, switchboard.InPostback:
		if err := r.decideMessage(ctx, p, e, ch, rules, c, conv, convID, now); err != nil {
			return nil, err
		}
	case switchboard.InFollow:
		// A follow opens no conversation on its own; it is welcomed.
		if welcome(p, e, ch, convID, now) && conv != nil {
			c := cloneConversation(conv)
			c.OnBotMessage(now)
			w.Conversation = c
		}
	case switchboard.InReferral:
		p.bot = botRequest(e, convID, switchboard.TriggerReferral, now)
	case switchboard.InUnfollow:
	default:
		return nil, switchboard.Errorf(switchboard.EInvalid, "event %s has unknown type %q", e.ID, e.Type)
	}
	if w.Conversation == nil && conv != nil {
		// The contact changed (its native name, its subscription) without a
		// message: the conversation is written only if its search text,
		// which holds the contact's details, changes with it.
		indexed := cloneConversation(conv)
		indexed.IndexContact(c)
		if indexed.SearchText != conv.SearchText {
			w.Conversation = indexed
		}
	}
	w.Bot = p.bot
	fitTransaction(w)
	if w.Conversation != nil {
		p.status = w.Conversation.Status
	}
	return p, nil
}

// fitTransaction keeps the write within one transaction. What gives way is
// what can wait: read marks first (the customer's next message marks them),
// then the tagging log (the contact's tag counts are still written).
func fitTransaction(w *dynamo.InboundWrite) {
	over := w.ItemCount() - dynamo.MaxTransactItems
	if over <= 0 {
		return
	}
	cut := min(over, len(w.ReadMarks))
	w.ReadMarks = w.ReadMarks[:len(w.ReadMarks)-cut]
	over -= cut
	w.TagLogs = w.TagLogs[:len(w.TagLogs)-min(over, len(w.TagLogs))]
}

// decideMessage applies a customer's message or button tap to the
// conversation: state machine, keyword rules, assignment, replies, tags,
// detection and, on LINE, read marking.
func (r *Router) decideMessage(ctx context.Context, p *plan, e *switchboard.InboundEvent, ch *switchboard.Channel, rules *teamRules, c *switchboard.Contact, conv *switchboard.Conversation, convID string, now time.Time) error {
	w := p.write
	existed := conv != nil
	if existed {
		conv = cloneConversation(conv)
	} else {
		conv = &switchboard.Conversation{ID: convID, TeamID: e.TeamID, ContactID: convID, ChannelID: e.ChannelID}
	}
	w.Conversation = conv

	in := &switchboard.Message{
		ID: InboundMessageID(e), TeamID: e.TeamID, ConversationID: convID, ContactID: convID,
		Direction: switchboard.Inbound, CreatedAt: customerTime(e, now),
	}
	var (
		payload    string
		text       string // what keywords, auto-tag and detection read
		wantsHuman bool
		trigger    switchboard.BotTrigger
	)
	switch e.Type {
	case switchboard.InMessage:
		m := e.Message
		if m == nil {
			m = &switchboard.InboundMessage{Kind: switchboard.MsgOther}
		}
		in.Kind, in.Text, in.MediaURL, in.PlatformMessageID = m.Kind, m.Text, m.MediaURL, m.ID
		if in.Kind == "" {
			in.Kind = switchboard.MsgOther
		}
		if in.Kind == switchboard.MsgText {
			text = m.Text
		}
		payload, trigger = m.QuickReplyPayload, switchboard.TriggerQuickReply
	case switchboard.InPostback:
		pb := e.Postback
		if pb == nil {
			return switchboard.Errorf(switchboard.EInvalid, "postback event %s has no postback", e.ID)
		}
		in.Kind, in.Text = switchboard.MsgOther, pb.Title
		if pb.Title != "" {
			in.Kind = switchboard.MsgText
		}
		payload, trigger = pb.Payload, switchboard.TriggerPostback
		if pb.Referral != nil {
			trigger = switchboard.TriggerReferral
		}
		if payload == "" && pb.Referral == nil {
			return switchboard.Errorf(switchboard.EInvalid, "postback event %s carries no payload", e.ID)
		}
	}
	w.Messages = append(w.Messages, in)

	if ch.Kind == switchboard.KindWhatsApp {
		if strings.EqualFold(strings.TrimSpace(text), unsubscribeText) {
			setSubscribed(c, false, customerTime(e, now))
		}
	}

	// LINE has no read receipts: the customer writing means they read what we
	// sent before (001:L1338). Only conversations with something sent since
	// the customer last wrote are looked at.
	if existed && ch.Kind == switchboard.KindLINE && conv.HasUnreadOutbound() {
		recent, err := r.store.RecentMessages(ctx, e.TeamID, convID, readMarkWindow)
		if err != nil {
			return err
		}
		for _, m := range recent {
			if m.Direction == switchboard.Outbound && (m.Status == switchboard.DeliverySent || m.Status == switchboard.DeliveryReceived) {
				w.ReadMarks = append(w.ReadMarks, dynamo.MessageRef{TeamID: m.TeamID, ConversationID: m.ConversationID, MessageID: m.ID})
			}
		}
	}

	var (
		outcome    keyword.Outcome
		matchedBot bool
		assignSt   *dynamo.AssignState
	)
	switch {
	case payload == switchboard.HumanPayload:
		wantsHuman = true
	case payload == switchboard.GetStartedPayload && e.Type == switchboard.InPostback && e.Postback.Referral == nil:
		// Messenger's and Instagram's "Get Started": a welcome, like a
		// LINE follow, but a message in the conversation too. Through an
		// m.me ref link it is the ref's, below.
		matchedBot = true
		if welcome(p, e, ch, convID, now) {
			conv.OnBotMessage(now)
		}
	case payload != "" || e.Type == switchboard.InPostback:
		// A button of a bot card: the bot step answers it, and the keyword
		// rules do not read the button's label as if the customer typed it.
		matchedBot = true
		p.bot = botRequest(e, convID, trigger, now)
	case existed && conv.BotInputUntil.After(now):
		// The customer answers a bot's question (a user input card): the
		// answer is the bot step's, whatever it says.
		matchedBot = true
		p.bot = botRequest(e, convID, switchboard.TriggerInput, now)
	default:
		d := keyword.Decide(keyword.Input{
			ChannelID: e.ChannelID, Status: keyword.StatusOf(nilIfNew(conv, existed)),
			Kind: in.Kind, Text: text,
			ReplyRules: rules.reply, AssignRules: rules.assign, Groups: rules.groups,
		})
		var assignee *switchboard.Member
		if d.Assign != nil {
			m, st, err := r.keywordAssignee(ctx, e.TeamID, d.Assign, now)
			if err != nil {
				return err
			}
			assignee, assignSt = m, st
		}
		outcome = d.Resolve(assignee)
		matchedBot = outcome.MatchedBot()
	}

	waitedForHuman := existed && waitsForHuman(conv)
	if err := conv.OnCustomerMessage(in.Kind, matchedBot, wantsHuman, now); err != nil {
		return err
	}
	conv.IndexMessage(in.Text)
	if !waitedForHuman && waitsForHuman(conv) {
		// The message starts a wait for a human: the instant or offline
		// message tells the customer what to expect, once per wait.
		text, err := r.waitText(ctx, e.TeamID, ch, now)
		if err != nil {
			return err
		}
		if text != "" {
			out := textReply(e, convID, len(p.outbox), text, now)
			w.Messages = append(w.Messages, out)
			p.outbox = append(p.outbox, out)
			conv.OnBotMessage(now)
		}
	}

	assignee := outcome.Assignee
	if assignee == nil && rules.workingHours && conv.Status == switchboard.StatusPending && conv.PendingKind == switchboard.PendingHuman {
		m, st, err := r.workingHoursAssignee(ctx, e.TeamID, now)
		if err != nil {
			return err
		}
		assignee, assignSt = m, st
	}
	if assignee != nil {
		// Assign refuses a conversation that is not pending (a closed
		// collaboration comes back in progress to its participants): then
		// nobody is assigned and the rotation does not advance.
		if err := conv.Assign(assignee, now); err == nil {
			// The member came from a cached list: the write checks that
			// they are still active and online.
			w.Assignee = assignee.ID
			if assignSt != nil {
				w.AssignStates = append(w.AssignStates, assignSt)
			}
		}
	}

	if rule := outcome.Reply; rule != nil {
		switch rule.Reply.Kind {
		case keyword.ReplyText, keyword.ReplyImage:
			out := replyMessage(e, convID, 0, rule.Reply, now)
			w.Messages = append(w.Messages, out)
			p.outbox = append(p.outbox, out)
			conv.OnBotMessage(now)
			conv.IndexMessage(out.Text)
		case keyword.ReplyBotModule:
			p.bot = botRequest(e, convID, switchboard.TriggerKeyword, now)
			p.bot.BotID, p.bot.ModuleID = rule.Reply.BotID, rule.Reply.ModuleID
		}
	}

	tags := slices.Clone(outcome.Tags)
	for _, t := range autotag.Tags(rules.autoTag, text) {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	for _, t := range tags {
		if len(w.TagLogs) >= maxTagsPerEvent {
			break
		}
		if err := c.AddTag(t, now); err != nil {
			// The contact holds the most tags it may: a new one is left
			// off rather than failing the customer's message.
			r.log.WarnContext(ctx, "tag not added", "tag", t, "error", err.Error())
			continue
		}
		w.TagLogs = append(w.TagLogs, &switchboard.TagLog{
			ID: TagLogID(e, len(w.TagLogs)), TeamID: e.TeamID, ContactID: c.ID, Tag: t,
			ChannelID: e.ChannelID, Source: switchboard.TagByKeyword, At: now,
		})
	}
	found := detect.Find(text)
	in.Flags = flags(found)
	if len(found.Addresses) > 0 {
		fresh := make([]string, len(found.Addresses))
		for i, a := range found.Addresses {
			fresh[i] = a.Value
		}
		c.Addresses = detect.KeepLatest(c.Addresses, fresh, switchboard.MaxContactAddresses)
	}
	conv.IndexContact(c)
	w.Triggers = outcome.Triggers
	return nil
}

// keywordAssignee picks the member a keyword auto-assign rule assigns to, and
// the rule's state to store when the order keeps one (sequential).
func (r *Router) keywordAssignee(ctx context.Context, teamID string, rule *keyword.AssignRule, now time.Time) (*switchboard.Member, *dynamo.AssignState, error) {
	members, err := r.members.Get(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	cands := rule.Candidates(members)
	if !anyEligible(cands, func(*switchboard.Member) bool { return true }) {
		return nil, nil, nil
	}
	st := &dynamo.AssignState{Scope: dynamo.AssignScopeRule(rule.ID)}
	if rule.Order == assign.Sequential {
		if st, err = r.store.GetAssignState(ctx, teamID, st.Scope); err != nil {
			return nil, nil, err
		}
	}
	m, next, err := assign.Pick(cands, rule.Order, st.State, r.rnd, now, time.UTC)
	if err != nil {
		// A rule with an unknown order was refused when saved; one that slips
		// through assigns nobody rather than failing every message.
		r.log.WarnContext(ctx, "auto-assign rule cannot pick", "ruleId", rule.ID, "error", err.Error())
		return nil, nil, nil
	}
	if m == nil {
		return nil, nil, nil
	}
	if rule.Order != assign.Sequential {
		return m, nil, nil
	}
	st.State = next
	return m, st, nil
}

// workingHoursAssignee picks the member automatic assignment by working hours
// gives a conversation to (SHOPLINE 003), or nobody when no member is working.
// Sales roles are left out: they see only customers bound to their branch
// (001:L1011).
func (r *Router) workingHoursAssignee(ctx context.Context, teamID string, now time.Time) (*switchboard.Member, *dynamo.AssignState, error) {
	members, err := r.members.Get(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	team, err := r.teams.Get(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	loc := team.Location()
	var cands []*switchboard.Member
	for _, m := range members {
		if m != nil && m.Role.HandlesConversations() && !m.Role.IsSales() {
			cands = append(cands, m)
		}
	}
	if !anyEligible(cands, func(m *switchboard.Member) bool { return m.WithinWorkingHours(now.In(loc)) }) {
		return nil, nil, nil
	}
	st, err := r.store.GetAssignState(ctx, teamID, dynamo.AssignScopeWorkingHours)
	if err != nil {
		return nil, nil, err
	}
	m, next, err := assign.Pick(cands, assign.WorkingHours, st.State, r.rnd, now, loc)
	if err != nil || m == nil {
		return nil, nil, err
	}
	st.State = next
	return m, st, nil
}

// anyEligible reports whether some candidate could be picked at all, so the
// assignment state is read only when a pick can happen.
func anyEligible(cands []*switchboard.Member, ok func(*switchboard.Member) bool) bool {
	for _, m := range cands {
		if m != nil && m.Active && m.Status != switchboard.MemberOffline && ok(m) {
			return true
		}
	}
	return false
}

// contactFor returns a copy of the stored contact to change, or a new one.
func contactFor(stored *switchboard.Contact, e *switchboard.InboundEvent, ch *switchboard.Channel, id string, at time.Time) *switchboard.Contact {
	if stored != nil {
		c := *stored
		c.Tags = maps.Clone(stored.Tags)
		return &c
	}
	return &switchboard.Contact{
		ID: id, TeamID: e.TeamID, ChannelID: e.ChannelID, ChannelKind: ch.Kind,
		PlatformUserID: e.CustomerID,
		// A customer who reaches the team is subscribed from then on, until
		// they block the account or ask to unsubscribe.
		Subscribed: true, SubscriptionChangedAt: at,
	}
}

func cloneConversation(c *switchboard.Conversation) *switchboard.Conversation {
	out := *c
	out.Unread = maps.Clone(c.Unread)
	out.Collaborators = slices.Clone(c.Collaborators)
	return &out
}

// nilIfNew gives keyword.StatusOf no conversation for one that did not exist.
func nilIfNew(c *switchboard.Conversation, existed bool) *switchboard.Conversation {
	if !existed {
		return nil
	}
	return c
}

// setSubscribed changes the subscription and when it changed, if it changes.
func setSubscribed(c *switchboard.Contact, on bool, at time.Time) {
	if c.Subscribed != on || c.SubscriptionChangedAt.IsZero() {
		c.Subscribed, c.SubscriptionChangedAt = on, at
	}
}

// flags names the contact details detect found in a message.
func flags(f detect.Findings) []string {
	var out []string
	if len(f.Phones) > 0 {
		out = append(out, switchboard.FlagPhone)
	}
	if len(f.Emails) > 0 {
		out = append(out, switchboard.FlagEmail)
	}
	if len(f.Addresses) > 0 {
		out = append(out, switchboard.FlagAddress)
	}
	return out
}

// replyMessage is the i-th reply to an event, stored as sending.
func replyMessage(e *switchboard.InboundEvent, convID string, i int, reply keyword.Reply, now time.Time) *switchboard.Message {
	m := &switchboard.Message{
		ID: ReplyMessageID(e, i), TeamID: e.TeamID, ConversationID: convID, ContactID: convID,
		Direction: switchboard.Outbound, Status: switchboard.DeliverySending, CreatedAt: now,
	}
	switch reply.Kind {
	case keyword.ReplyImage:
		m.Kind, m.MediaURL = switchboard.MsgImage, reply.ImageURL
	default:
		m.Kind, m.Text = switchboard.MsgText, reply.Text
	}
	return m
}

// textReply is the i-th automatic text reply to an event.
func textReply(e *switchboard.InboundEvent, convID string, i int, text string, now time.Time) *switchboard.Message {
	return replyMessage(e, convID, i, keyword.Reply{Kind: keyword.ReplyText, Text: text}, now)
}

// welcome answers a follow or a "Get Started" tap with the channel's welcome
// message and reports whether it did; when the channel has none, it hands the
// event to the bot step, which runs the module a bot welcomes with on the
// channel (001:L462).
func welcome(p *plan, e *switchboard.InboundEvent, ch *switchboard.Channel, convID string, now time.Time) bool {
	wm := ch.CommonMessages.Welcome
	if !wm.Enabled {
		p.bot = botRequest(e, convID, switchboard.TriggerFollow, now)
		return false
	}
	out := textReply(e, convID, len(p.outbox), wm.Text, now)
	p.write.Messages = append(p.write.Messages, out)
	p.outbox = append(p.outbox, out)
	return true
}

// waitsForHuman reports whether the conversation waits for a human to follow
// it.
func waitsForHuman(c *switchboard.Conversation) bool {
	return c.Status == switchboard.StatusPending && c.PendingKind == switchboard.PendingHuman
}

// waitText is the instant or offline message of the channel for now, or ""
// when the one that applies is off. Members and team are read (from the
// caches) only when the channel has one of them on.
func (r *Router) waitText(ctx context.Context, teamID string, ch *switchboard.Channel, now time.Time) (string, error) {
	cm := ch.CommonMessages
	if !cm.Instant.Enabled && !cm.Offline.Enabled {
		return "", nil
	}
	members, err := r.members.Get(ctx, teamID)
	if err != nil {
		return "", err
	}
	team, err := r.teams.Get(ctx, teamID)
	if err != nil {
		return "", err
	}
	return cm.WaitText(switchboard.TeamOnline(members, now.In(team.Location()))), nil
}

// botRequest is the bot request an event produces.
func botRequest(e *switchboard.InboundEvent, convID string, trigger switchboard.BotTrigger, now time.Time) *switchboard.BotRequest {
	return &switchboard.BotRequest{
		ID: BotRequestID(e), TeamID: e.TeamID, ChannelID: e.ChannelID,
		ContactID: convID, ConversationID: convID, Trigger: trigger,
		Event: *e, ReplyToken: e.ReplyToken, RequestedAt: now,
	}
}
