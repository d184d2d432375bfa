package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Function-field fakes of the inbox's store interfaces, and memInbox, a
// map-backed store behind them that scopes everything by team and records
// every write in the memStore's write log, like the fakes of fakes_test.go.

type fakeContacts struct {
	getContact    func(ctx context.Context, teamID, id string) (*switchboard.Contact, error)
	getContacts   func(ctx context.Context, teamID string, ids []string) (map[string]*switchboard.Contact, error)
	updateContact func(ctx context.Context, teamID, id string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error)
	addTagLogs    func(ctx context.Context, logs []*switchboard.TagLog) error
	listTagLogs   func(ctx context.Context, teamID, contactID, cursor string, limit int) ([]*switchboard.TagLog, string, error)
	deleteTagLogs func(ctx context.Context, teamID, contactID, tag string) (int, error)
}

var _ ContactStore = (*fakeContacts)(nil)

func (f *fakeContacts) GetContact(ctx context.Context, teamID, id string) (*switchboard.Contact, error) {
	if f.getContact == nil {
		return nil, errUnexpected("GetContact")
	}
	return f.getContact(ctx, teamID, id)
}

func (f *fakeContacts) GetContacts(ctx context.Context, teamID string, ids []string) (map[string]*switchboard.Contact, error) {
	if f.getContacts == nil {
		return nil, errUnexpected("GetContacts")
	}
	return f.getContacts(ctx, teamID, ids)
}

func (f *fakeContacts) UpdateContact(ctx context.Context, teamID, id string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error) {
	if f.updateContact == nil {
		return nil, errUnexpected("UpdateContact")
	}
	return f.updateContact(ctx, teamID, id, fn)
}

func (f *fakeContacts) AddTagLogs(ctx context.Context, logs []*switchboard.TagLog) error {
	if f.addTagLogs == nil {
		return errUnexpected("AddTagLogs")
	}
	return f.addTagLogs(ctx, logs)
}

func (f *fakeContacts) ListTagLogs(ctx context.Context, teamID, contactID, cursor string, limit int) ([]*switchboard.TagLog, string, error) {
	if f.listTagLogs == nil {
		return nil, "", errUnexpected("ListTagLogs")
	}
	return f.listTagLogs(ctx, teamID, contactID, cursor, limit)
}

func (f *fakeContacts) DeleteTagLogs(ctx context.Context, teamID, contactID, tag string) (int, error) {
	if f.deleteTagLogs == nil {
		return 0, errUnexpected("DeleteTagLogs")
	}
	return f.deleteTagLogs(ctx, teamID, contactID, tag)
}

type fakeConversations struct {
	getConversation     func(ctx context.Context, teamID, id string) (*switchboard.Conversation, error)
	updateConversation  func(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error)
	listConversations   func(ctx context.Context, teamID string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error)
	deleteConversation  func(ctx context.Context, teamID, id string) error
	noteCollaborations  func(ctx context.Context, c *switchboard.Conversation) error
	forgetCollaboration func(ctx context.Context, teamID, memberID, conversationID string) error
	memberConversations func(ctx context.Context, teamID, memberID string) ([]string, error)
}

var _ ConversationStore = (*fakeConversations)(nil)

func (f *fakeConversations) GetConversation(ctx context.Context, teamID, id string) (*switchboard.Conversation, error) {
	if f.getConversation == nil {
		return nil, errUnexpected("GetConversation")
	}
	return f.getConversation(ctx, teamID, id)
}

func (f *fakeConversations) UpdateConversation(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error) {
	if f.updateConversation == nil {
		return nil, errUnexpected("UpdateConversation")
	}
	return f.updateConversation(ctx, teamID, id, fn)
}

func (f *fakeConversations) ListConversations(ctx context.Context, teamID string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error) {
	if f.listConversations == nil {
		return nil, errUnexpected("ListConversations")
	}
	return f.listConversations(ctx, teamID, q)
}

func (f *fakeConversations) DeleteConversation(ctx context.Context, teamID, id string) error {
	if f.deleteConversation == nil {
		return errUnexpected("DeleteConversation")
	}
	return f.deleteConversation(ctx, teamID, id)
}

func (f *fakeConversations) NoteCollaborations(ctx context.Context, c *switchboard.Conversation) error {
	if f.noteCollaborations == nil {
		return errUnexpected("NoteCollaborations")
	}
	return f.noteCollaborations(ctx, c)
}

func (f *fakeConversations) ForgetCollaboration(ctx context.Context, teamID, memberID, conversationID string) error {
	if f.forgetCollaboration == nil {
		return errUnexpected("ForgetCollaboration")
	}
	return f.forgetCollaboration(ctx, teamID, memberID, conversationID)
}

func (f *fakeConversations) MemberConversationIDs(ctx context.Context, teamID, memberID string) ([]string, error) {
	if f.memberConversations == nil {
		return nil, errUnexpected("MemberConversationIDs")
	}
	return f.memberConversations(ctx, teamID, memberID)
}

type fakeMessages struct {
	putMessage              func(ctx context.Context, m *switchboard.Message) error
	listMessagesNewestFirst func(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error)
	recentMessages          func(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error)
	markMessageSent         func(ctx context.Context, m *switchboard.Message, channelID string, platformIDs []string) (bool, error)
	markMessageFailed       func(ctx context.Context, m *switchboard.Message, reason string) (bool, error)
}

var _ MessageStore = (*fakeMessages)(nil)

func (f *fakeMessages) PutMessage(ctx context.Context, m *switchboard.Message) error {
	if f.putMessage == nil {
		return errUnexpected("PutMessage")
	}
	return f.putMessage(ctx, m)
}

func (f *fakeMessages) ListMessagesNewestFirst(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error) {
	if f.listMessagesNewestFirst == nil {
		return nil, "", errUnexpected("ListMessagesNewestFirst")
	}
	return f.listMessagesNewestFirst(ctx, teamID, conversationID, cursor, limit)
}

func (f *fakeMessages) RecentMessages(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error) {
	if f.recentMessages == nil {
		return nil, errUnexpected("RecentMessages")
	}
	return f.recentMessages(ctx, teamID, conversationID, limit)
}

func (f *fakeMessages) MarkMessageSent(ctx context.Context, m *switchboard.Message, channelID string, platformIDs []string) (bool, error) {
	if f.markMessageSent == nil {
		return false, errUnexpected("MarkMessageSent")
	}
	return f.markMessageSent(ctx, m, channelID, platformIDs)
}

func (f *fakeMessages) MarkMessageFailed(ctx context.Context, m *switchboard.Message, reason string) (bool, error) {
	if f.markMessageFailed == nil {
		return false, errUnexpected("MarkMessageFailed")
	}
	return f.markMessageFailed(ctx, m, reason)
}

type fakeRules struct {
	getRuleSet       func(ctx context.Context, teamID string) (*keyword.RuleSet, error)
	putReplyRule     func(ctx context.Context, teamID string, r *keyword.Rule) error
	updateReplyRule  func(ctx context.Context, teamID, id string, fn func(*keyword.Rule) (*keyword.Rule, error)) (*keyword.Rule, error)
	deleteReplyRule  func(ctx context.Context, teamID, id string) error
	putAssignRule    func(ctx context.Context, teamID string, r *keyword.AssignRule) error
	updateAssignRule func(ctx context.Context, teamID, id string, fn func(*keyword.AssignRule) (*keyword.AssignRule, error)) (*keyword.AssignRule, error)
	deleteAssignRule func(ctx context.Context, teamID, id string) error
	putRuleGroup     func(ctx context.Context, teamID string, g *keyword.Group) error
	updateRuleGroup  func(ctx context.Context, teamID, id string, fn func(*keyword.Group) (*keyword.Group, error)) (*keyword.Group, error)
	deleteRuleGroup  func(ctx context.Context, teamID, id string) error
	putAutoTagConfig func(ctx context.Context, teamID string, cfg autotag.Config) error
	markChannelGone  func(ctx context.Context, teamID, channelID string) error
}

var _ RuleStore = (*fakeRules)(nil)

func (f *fakeRules) GetRuleSet(ctx context.Context, teamID string) (*keyword.RuleSet, error) {
	if f.getRuleSet == nil {
		return nil, errUnexpected("GetRuleSet")
	}
	return f.getRuleSet(ctx, teamID)
}

func (f *fakeRules) PutReplyRule(ctx context.Context, teamID string, r *keyword.Rule) error {
	if f.putReplyRule == nil {
		return errUnexpected("PutReplyRule")
	}
	return f.putReplyRule(ctx, teamID, r)
}

func (f *fakeRules) UpdateReplyRule(ctx context.Context, teamID, id string, fn func(*keyword.Rule) (*keyword.Rule, error)) (*keyword.Rule, error) {
	if f.updateReplyRule == nil {
		return nil, errUnexpected("UpdateReplyRule")
	}
	return f.updateReplyRule(ctx, teamID, id, fn)
}

func (f *fakeRules) DeleteReplyRule(ctx context.Context, teamID, id string) error {
	if f.deleteReplyRule == nil {
		return errUnexpected("DeleteReplyRule")
	}
	return f.deleteReplyRule(ctx, teamID, id)
}

func (f *fakeRules) PutAssignRule(ctx context.Context, teamID string, r *keyword.AssignRule) error {
	if f.putAssignRule == nil {
		return errUnexpected("PutAssignRule")
	}
	return f.putAssignRule(ctx, teamID, r)
}

func (f *fakeRules) UpdateAssignRule(ctx context.Context, teamID, id string, fn func(*keyword.AssignRule) (*keyword.AssignRule, error)) (*keyword.AssignRule, error) {
	if f.updateAssignRule == nil {
		return nil, errUnexpected("UpdateAssignRule")
	}
	return f.updateAssignRule(ctx, teamID, id, fn)
}

func (f *fakeRules) DeleteAssignRule(ctx context.Context, teamID, id string) error {
	if f.deleteAssignRule == nil {
		return errUnexpected("DeleteAssignRule")
	}
	return f.deleteAssignRule(ctx, teamID, id)
}

func (f *fakeRules) PutRuleGroup(ctx context.Context, teamID string, g *keyword.Group) error {
	if f.putRuleGroup == nil {
		return errUnexpected("PutRuleGroup")
	}
	return f.putRuleGroup(ctx, teamID, g)
}

func (f *fakeRules) UpdateRuleGroup(ctx context.Context, teamID, id string, fn func(*keyword.Group) (*keyword.Group, error)) (*keyword.Group, error) {
	if f.updateRuleGroup == nil {
		return nil, errUnexpected("UpdateRuleGroup")
	}
	return f.updateRuleGroup(ctx, teamID, id, fn)
}

func (f *fakeRules) DeleteRuleGroup(ctx context.Context, teamID, id string) error {
	if f.deleteRuleGroup == nil {
		return errUnexpected("DeleteRuleGroup")
	}
	return f.deleteRuleGroup(ctx, teamID, id)
}

func (f *fakeRules) PutAutoTagConfig(ctx context.Context, teamID string, cfg autotag.Config) error {
	if f.putAutoTagConfig == nil {
		return errUnexpected("PutAutoTagConfig")
	}
	return f.putAutoTagConfig(ctx, teamID, cfg)
}

func (f *fakeRules) MarkChannelGone(ctx context.Context, teamID, channelID string) error {
	if f.markChannelGone == nil {
		return errUnexpected("MarkChannelGone")
	}
	return f.markChannelGone(ctx, teamID, channelID)
}

// fakeSender is a switchboard.Sender of function fields.
type fakeSender struct {
	send func(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error)
}

var _ switchboard.Sender = (*fakeSender)(nil)

func (f *fakeSender) Send(ctx context.Context, req switchboard.SendRequest) (switchboard.SendResult, error) {
	if f.send == nil {
		return switchboard.SendResult{}, errUnexpected("Send")
	}
	return f.send(ctx, req)
}

// memInbox keeps contacts, conversations, messages, tag logs, collaboration
// entries and rule sets in maps under the memStore's lock.
type memInbox struct {
	mem           *memStore
	contacts      map[string]*switchboard.Contact // by team + "/" + id
	conversations map[string]*switchboard.Conversation
	messages      map[string][]*switchboard.Message // by team + "/" + conversation id, oldest first
	tagLogs       map[string][]*switchboard.TagLog  // by team + "/" + contact id, oldest first
	collabs       map[string]bool                   // team/member/conversation
	rules         map[string]*keyword.RuleSet
	// sent records every SendRequest the fake sender received.
	sent []switchboard.SendRequest
}

func newMemInbox(mem *memStore) *memInbox {
	return &memInbox{
		mem:           mem,
		contacts:      map[string]*switchboard.Contact{},
		conversations: map[string]*switchboard.Conversation{},
		messages:      map[string][]*switchboard.Message{},
		tagLogs:       map[string][]*switchboard.TagLog{},
		collabs:       map[string]bool{},
		rules:         map[string]*keyword.RuleSet{},
	}
}

func tk(teamID, id string) string { return teamID + "/" + id }

// clone deep-copies a record through JSON, so callers never share maps or
// slices with the store.
func clone[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// cloneConv keeps SearchText, which JSON leaves out.
func cloneConv(c *switchboard.Conversation) *switchboard.Conversation {
	out := clone(c)
	out.SearchText = c.SearchText
	return out
}

// position orders conversations in a list like the store: last message
// time, then id.
func position(c *switchboard.Conversation) string {
	return c.LastMessageAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + c.ID
}

// inView reports whether c belongs to list q.
func inView(c *switchboard.Conversation, q switchboard.ConversationQuery) bool {
	switch q.View {
	case switchboard.ViewMine:
		return c.Status == switchboard.StatusInProgress && c.IsParticipant(q.MemberID)
	case switchboard.ViewPendingHuman:
		return c.Status == switchboard.StatusPending && c.PendingKind != switchboard.PendingBot
	case switchboard.ViewPendingBot:
		return c.Status == switchboard.StatusPending && c.PendingKind == switchboard.PendingBot
	}
	return string(c.Status) == q.View
}

func matches(c *switchboard.Conversation, q switchboard.ConversationQuery) bool {
	switch {
	case q.ChannelID != "" && c.ChannelID != q.ChannelID,
		q.Waiting && (c.LastCustomerAt.IsZero() || !c.LastCustomerAt.Equal(c.LastMessageAt) || !c.LastMessageAt.Before(q.WaitingSince)),
		q.UnreadFor != "" && c.Unread[q.UnreadFor] <= 0,
		q.Participant != "" && !c.IsParticipant(q.Participant),
		q.Search != "" && !strings.Contains(c.SearchText, q.Search):
		return false
	}
	return true
}

func (m *memInbox) fakes() (*fakeContacts, *fakeConversations, *fakeMessages, *fakeRules) {
	mu := &m.mem.mu
	contacts := &fakeContacts{
		getContact: func(_ context.Context, teamID, id string) (*switchboard.Contact, error) {
			mu.Lock()
			defer mu.Unlock()
			c, ok := m.contacts[tk(teamID, id)]
			if !ok {
				return nil, notFound("contact")
			}
			return clone(c), nil
		},
		getContacts: func(_ context.Context, teamID string, ids []string) (map[string]*switchboard.Contact, error) {
			mu.Lock()
			defer mu.Unlock()
			out := map[string]*switchboard.Contact{}
			for _, id := range ids {
				if c, ok := m.contacts[tk(teamID, id)]; ok {
					out[id] = clone(c)
				}
			}
			return out, nil
		},
		updateContact: func(_ context.Context, teamID, id string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error) {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("UpdateContact", teamID, id)
			c, ok := m.contacts[tk(teamID, id)]
			if !ok {
				return nil, notFound("contact")
			}
			next, err := fn(clone(c))
			if err != nil {
				return nil, err
			}
			next.Version = c.Version + 1
			m.contacts[tk(teamID, id)] = clone(next)
			return next, nil
		},
		addTagLogs: func(_ context.Context, logs []*switchboard.TagLog) error {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range logs {
				m.mem.record("AddTagLog", l.TeamID, l.ID)
				k := tk(l.TeamID, l.ContactID)
				m.tagLogs[k] = append(m.tagLogs[k], clone(l))
			}
			return nil
		},
		listTagLogs: func(_ context.Context, teamID, contactID, cursor string, limit int) ([]*switchboard.TagLog, string, error) {
			mu.Lock()
			defer mu.Unlock()
			logs := slices.Clone(m.tagLogs[tk(teamID, contactID)])
			slices.Reverse(logs)
			start := 0
			if cursor != "" {
				i := slices.IndexFunc(logs, func(l *switchboard.TagLog) bool { return l.ID == cursor })
				if i < 0 {
					return nil, "", switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
				}
				start = i + 1
			}
			end := min(start+limit, len(logs))
			next := ""
			if end < len(logs) {
				next = logs[end-1].ID
			}
			return logs[start:end], next, nil
		},
		deleteTagLogs: func(_ context.Context, teamID, contactID, tag string) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("DeleteTagLogs", teamID, contactID)
			k := tk(teamID, contactID)
			before := len(m.tagLogs[k])
			m.tagLogs[k] = slices.DeleteFunc(m.tagLogs[k], func(l *switchboard.TagLog) bool { return l.Tag == tag })
			return before - len(m.tagLogs[k]), nil
		},
	}
	conversations := &fakeConversations{
		getConversation: func(_ context.Context, teamID, id string) (*switchboard.Conversation, error) {
			mu.Lock()
			defer mu.Unlock()
			c, ok := m.conversations[tk(teamID, id)]
			if !ok {
				return nil, notFound("conversation")
			}
			return cloneConv(c), nil
		},
		updateConversation: func(_ context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error) {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("UpdateConversation", teamID, id)
			c, ok := m.conversations[tk(teamID, id)]
			if !ok {
				return nil, notFound("conversation")
			}
			next, err := fn(cloneConv(c))
			if err != nil {
				return nil, err
			}
			next.Version = c.Version + 1
			m.conversations[tk(teamID, id)] = cloneConv(next)
			return next, nil
		},
		listConversations: func(_ context.Context, teamID string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error) {
			mu.Lock()
			defer mu.Unlock()
			var all []*switchboard.Conversation
			for _, c := range m.conversations {
				if c.TeamID == teamID && inView(c, q) && matches(c, q) {
					all = append(all, cloneConv(c))
				}
			}
			slices.SortFunc(all, func(a, b *switchboard.Conversation) int {
				c := cmp.Compare(position(a), position(b))
				if q.Newest {
					return -c
				}
				return c
			})
			if q.Cursor != "" {
				i := slices.IndexFunc(all, func(c *switchboard.Conversation) bool {
					if q.Newest {
						return position(c) < q.Cursor
					}
					return position(c) > q.Cursor
				})
				if i < 0 {
					i = len(all)
				}
				all = all[i:]
			}
			page := &switchboard.ConversationPage{Items: all}
			if q.Limit > 0 && len(all) > q.Limit {
				page.Items = all[:q.Limit]
				page.Next = position(page.Items[q.Limit-1])
			}
			return page, nil
		},
		deleteConversation: func(_ context.Context, teamID, id string) error {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("DeleteConversation", teamID, id)
			if _, ok := m.conversations[tk(teamID, id)]; !ok {
				return notFound("conversation")
			}
			delete(m.conversations, tk(teamID, id))
			delete(m.messages, tk(teamID, id))
			return nil
		},
		noteCollaborations: func(_ context.Context, c *switchboard.Conversation) error {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range c.Collaborators {
				m.mem.record("NoteCollaboration", c.TeamID, id)
				m.collabs[c.TeamID+"/"+id+"/"+c.ID] = true
			}
			return nil
		},
		forgetCollaboration: func(_ context.Context, teamID, memberID, conversationID string) error {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("ForgetCollaboration", teamID, memberID)
			delete(m.collabs, teamID+"/"+memberID+"/"+conversationID)
			return nil
		},
		// Like the store: the conversations the member follows, in any
		// status, and its collaboration entries, stale or not, each once.
		memberConversations: func(_ context.Context, teamID, memberID string) ([]string, error) {
			mu.Lock()
			defer mu.Unlock()
			if memberID == "" {
				return nil, nil
			}
			var ids []string
			for _, c := range m.conversations {
				if c.TeamID == teamID && c.FollowerID == memberID {
					ids = append(ids, c.ID)
				}
			}
			for k := range m.collabs {
				if id, ok := strings.CutPrefix(k, teamID+"/"+memberID+"/"); ok {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			return slices.Compact(ids), nil
		},
	}
	messages := &fakeMessages{
		putMessage: func(_ context.Context, x *switchboard.Message) error {
			mu.Lock()
			defer mu.Unlock()
			m.mem.record("PutMessage", x.TeamID, x.ID)
			k := tk(x.TeamID, x.ConversationID)
			m.messages[k] = append(m.messages[k], clone(x))
			return nil
		},
		listMessagesNewestFirst: func(_ context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error) {
			mu.Lock()
			defer mu.Unlock()
			msgs := slices.Clone(m.messages[tk(teamID, conversationID)])
			slices.Reverse(msgs)
			start := 0
			if cursor != "" {
				i := slices.IndexFunc(msgs, func(x *switchboard.Message) bool { return x.ID == cursor })
				if i < 0 {
					return nil, "", switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
				}
				start = i + 1
			}
			end := min(start+limit, len(msgs))
			next := ""
			if end < len(msgs) {
				next = msgs[end-1].ID
			}
			out := make([]*switchboard.Message, 0, end-start)
			for _, x := range msgs[start:end] {
				out = append(out, clone(x))
			}
			return out, next, nil
		},
		recentMessages: func(_ context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error) {
			mu.Lock()
			defer mu.Unlock()
			msgs := m.messages[tk(teamID, conversationID)]
			var out []*switchboard.Message
			for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
				out = append(out, clone(msgs[i]))
			}
			return out, nil
		},
		markMessageSent: func(_ context.Context, x *switchboard.Message, channelID string, ids []string) (bool, error) {
			return m.setStatus(x, func(s *switchboard.Message) {
				s.Status = switchboard.DeliverySent
				if len(ids) > 0 {
					s.PlatformMessageID = ids[0]
				}
			}), nil
		},
		markMessageFailed: func(_ context.Context, x *switchboard.Message, reason string) (bool, error) {
			return m.setStatus(x, func(s *switchboard.Message) {
				s.Status, s.FailureReason = switchboard.DeliveryFailed, reason
			}), nil
		},
	}
	return contacts, conversations, messages, m.ruleFakes()
}

// setStatus applies f to the stored message x if it is still sending.
func (m *memInbox) setStatus(x *switchboard.Message, f func(*switchboard.Message)) bool {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	m.mem.record("MarkMessage", x.TeamID, x.ID)
	for _, s := range m.messages[tk(x.TeamID, x.ConversationID)] {
		if s.ID == x.ID && s.Status == switchboard.DeliverySending {
			f(s)
			return true
		}
	}
	return false
}

// ruleFakes keeps rule sets per team, checked with the keyword package's
// functions as the DynamoDB store does.
func (m *memInbox) ruleFakes() *fakeRules {
	mu := &m.mem.mu
	set := func(teamID string) *keyword.RuleSet {
		rs, ok := m.rules[teamID]
		if !ok {
			rs = &keyword.RuleSet{}
			m.rules[teamID] = rs
		}
		return rs
	}
	// write runs f on the team's set under the lock and bumps its version.
	write := func(op, teamID, id string, f func(rs *keyword.RuleSet) error) error {
		mu.Lock()
		defer mu.Unlock()
		m.mem.record(op, teamID, id)
		rs := clone(set(teamID))
		if err := f(rs); err != nil {
			return err
		}
		rs.Version++
		rs.Sort()
		m.rules[teamID] = rs
		return nil
	}
	return &fakeRules{
		getRuleSet: func(_ context.Context, teamID string) (*keyword.RuleSet, error) {
			mu.Lock()
			defer mu.Unlock()
			return clone(set(teamID)), nil
		},
		putReplyRule: func(_ context.Context, teamID string, r *keyword.Rule) error {
			return write("PutReplyRule", teamID, r.ID, func(rs *keyword.RuleSet) error {
				if err := rs.CheckReply(r, nil); err != nil {
					return err
				}
				if old := rs.Reply(r.ID); old != nil {
					r.CreatedAt = old.CreatedAt
					*old = *r
					return nil
				}
				r.CreatedAt = testNow
				rs.Replies = append(rs.Replies, *r)
				return nil
			})
		},
		updateReplyRule: func(_ context.Context, teamID, id string, fn func(*keyword.Rule) (*keyword.Rule, error)) (*keyword.Rule, error) {
			var out *keyword.Rule
			err := write("UpdateReplyRule", teamID, id, func(rs *keyword.RuleSet) error {
				old := rs.Reply(id)
				if old == nil {
					return notFound("auto-reply rule")
				}
				next, err := fn(clone(old))
				if err != nil {
					return err
				}
				next.ID, next.CreatedAt = id, old.CreatedAt
				*old, out = *next, next
				return nil
			})
			return out, err
		},
		deleteReplyRule: func(_ context.Context, teamID, id string) error {
			return write("DeleteReplyRule", teamID, id, func(rs *keyword.RuleSet) error {
				i := slices.IndexFunc(rs.Replies, func(r keyword.Rule) bool { return r.ID == id })
				if i < 0 {
					return notFound("auto-reply rule")
				}
				rs.Replies = slices.Delete(rs.Replies, i, i+1)
				return nil
			})
		},
		putAssignRule: func(_ context.Context, teamID string, r *keyword.AssignRule) error {
			return write("PutAssignRule", teamID, r.ID, func(rs *keyword.RuleSet) error {
				if err := rs.CheckAssign(r, nil, nil); err != nil {
					return err
				}
				if old := rs.AssignRule(r.ID); old != nil {
					r.CreatedAt = old.CreatedAt
					*old = *r
					return nil
				}
				r.CreatedAt = testNow
				rs.Assign = append(rs.Assign, *r)
				return nil
			})
		},
		updateAssignRule: func(_ context.Context, teamID, id string, fn func(*keyword.AssignRule) (*keyword.AssignRule, error)) (*keyword.AssignRule, error) {
			var out *keyword.AssignRule
			err := write("UpdateAssignRule", teamID, id, func(rs *keyword.RuleSet) error {
				old := rs.AssignRule(id)
				if old == nil {
					return notFound("auto-assign rule")
				}
				next, err := fn(clone(old))
				if err != nil {
					return err
				}
				next.ID, next.CreatedAt = id, old.CreatedAt
				*old, out = *next, next
				return nil
			})
			return out, err
		},
		deleteAssignRule: func(_ context.Context, teamID, id string) error {
			return write("DeleteAssignRule", teamID, id, func(rs *keyword.RuleSet) error {
				i := slices.IndexFunc(rs.Assign, func(r keyword.AssignRule) bool { return r.ID == id })
				if i < 0 {
					return notFound("auto-assign rule")
				}
				rs.Assign = slices.Delete(rs.Assign, i, i+1)
				return nil
			})
		},
		putRuleGroup: func(_ context.Context, teamID string, g *keyword.Group) error {
			return write("PutRuleGroup", teamID, g.ID, func(rs *keyword.RuleSet) error {
				if err := rs.CheckGroup(g, nil); err != nil {
					return err
				}
				if old := rs.Group(g.ID); old != nil {
					*old = *g
					return nil
				}
				rs.Groups = append(rs.Groups, *g)
				return nil
			})
		},
		updateRuleGroup: func(_ context.Context, teamID, id string, fn func(*keyword.Group) (*keyword.Group, error)) (*keyword.Group, error) {
			var out *keyword.Group
			err := write("UpdateRuleGroup", teamID, id, func(rs *keyword.RuleSet) error {
				old := rs.Group(id)
				if old == nil {
					return notFound("rule group")
				}
				next, err := fn(clone(old))
				if err != nil {
					return err
				}
				next.ID = id
				*old, out = *next, next
				return nil
			})
			return out, err
		},
		deleteRuleGroup: func(_ context.Context, teamID, id string) error {
			return write("DeleteRuleGroup", teamID, id, func(rs *keyword.RuleSet) error {
				i := slices.IndexFunc(rs.Groups, func(g keyword.Group) bool { return g.ID == id })
				if i < 0 {
					return notFound("rule group")
				}
				rs.Groups = slices.Delete(rs.Groups, i, i+1)
				rs.Replies = slices.DeleteFunc(rs.Replies, func(r keyword.Rule) bool { return r.GroupID == id })
				rs.Assign = slices.DeleteFunc(rs.Assign, func(r keyword.AssignRule) bool { return r.GroupID == id })
				return nil
			})
		},
		putAutoTagConfig: func(_ context.Context, teamID string, cfg autotag.Config) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			return write("PutAutoTagConfig", teamID, "autotag", func(rs *keyword.RuleSet) error {
				rs.AutoTag = cfg
				return nil
			})
		},
		markChannelGone: func(_ context.Context, teamID, channelID string) error {
			return write("MarkChannelGone", teamID, channelID, func(rs *keyword.RuleSet) error {
				rs.ChannelGone(channelID)
				return nil
			})
		},
	}
}

// addContact stores a contact.
func (m *memInbox) addContact(c switchboard.Contact) {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	if c.CreatedAt.IsZero() {
		c.CreatedAt, c.UpdatedAt = testNow, testNow
	}
	if c.Version == 0 {
		c.Version = 1
	}
	m.contacts[tk(c.TeamID, c.ID)] = &c
}

// addConversation stores a conversation.
func (m *memInbox) addConversation(c switchboard.Conversation) {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	if c.CreatedAt.IsZero() {
		c.CreatedAt, c.UpdatedAt = testNow, testNow
	}
	if c.Version == 0 {
		c.Version = 1
	}
	if c.ContactID == "" {
		c.ContactID = c.ID
	}
	m.conversations[tk(c.TeamID, c.ID)] = &c
}

// conversation returns the stored conversation.
func (m *memInbox) conversation(teamID, id string) *switchboard.Conversation {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	c, ok := m.conversations[tk(teamID, id)]
	if !ok {
		return nil
	}
	return cloneConv(c)
}

// contact returns the stored contact.
func (m *memInbox) contact(teamID, id string) *switchboard.Contact {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	c, ok := m.contacts[tk(teamID, id)]
	if !ok {
		return nil
	}
	return clone(c)
}

// messagesOf returns a conversation's stored messages, oldest first.
func (m *memInbox) messagesOf(teamID, id string) []*switchboard.Message {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	return slices.Clone(m.messages[tk(teamID, id)])
}

// snapshotTeam serialises everything of the team the inbox holds.
func (m *memInbox) snapshotTeam(teamID string) string {
	m.mem.mu.Lock()
	defer m.mem.mu.Unlock()
	var parts []string
	add := func(k string, v any) {
		if strings.HasPrefix(k, teamID+"/") {
			b, _ := json.Marshal(v)
			parts = append(parts, k+"="+string(b))
		}
	}
	for k, v := range m.contacts {
		add(k, v)
	}
	for k, v := range m.conversations {
		add(k, v)
		add(k+"#search", v.SearchText)
	}
	for k, v := range m.messages {
		add(k, v)
	}
	for k, v := range m.tagLogs {
		add(k, v)
	}
	for k := range m.collabs {
		add(k, true)
	}
	if rs, ok := m.rules[teamID]; ok {
		add(teamID+"/rules", rs)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}
