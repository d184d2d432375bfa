package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// This file holds what the inbox routes (conversations.go, contacts.go) share:
// the stores they need, who the caller is as a reader of conversations, and
// who may see which conversation.

// ContactStore is what the inbox needs of contact storage: contacts and their
// tagging log.
type ContactStore interface {
	GetContact(ctx context.Context, teamID, id string) (*switchboard.Contact, error)
	GetContacts(ctx context.Context, teamID string, ids []string) (map[string]*switchboard.Contact, error)
	UpdateContact(ctx context.Context, teamID, id string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error)
	AddTagLogs(ctx context.Context, logs []*switchboard.TagLog) error
	ListTagLogs(ctx context.Context, teamID, contactID, cursor string, limit int) ([]*switchboard.TagLog, string, error)
	DeleteTagLogs(ctx context.Context, teamID, contactID, tag string) (int, error)
}

// ConversationStore is what the inbox needs of conversation storage: the
// optimistic update every action goes through, the lists, deletion, the
// collaboration entries behind a member's own list, and a member's
// conversations for its deactivation.
type ConversationStore interface {
	GetConversation(ctx context.Context, teamID, id string) (*switchboard.Conversation, error)
	UpdateConversation(ctx context.Context, teamID, id string, fn func(*switchboard.Conversation) (*switchboard.Conversation, error)) (*switchboard.Conversation, error)
	ListConversations(ctx context.Context, teamID string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error)
	DeleteConversation(ctx context.Context, teamID, id string) error
	NoteCollaborations(ctx context.Context, c *switchboard.Conversation) error
	ForgetCollaboration(ctx context.Context, teamID, memberID, conversationID string) error
	// MemberConversationIDs lists the conversations a member follows or has
	// a collaboration entry for, so that deactivating the member takes it
	// out of them; the list may include conversations that no longer
	// involve the member.
	MemberConversationIDs(ctx context.Context, teamID, memberID string) ([]string, error)
}

// MessageStore is what the inbox needs of message storage.
type MessageStore interface {
	PutMessage(ctx context.Context, m *switchboard.Message) error
	ListMessagesNewestFirst(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error)
	RecentMessages(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error)
	MarkMessageSent(ctx context.Context, m *switchboard.Message, channelID string, platformIDs []string) (bool, error)
	MarkMessageFailed(ctx context.Context, m *switchboard.Message, reason string) (bool, error)
}

// viewer is the caller as a reader of conversations: the role, and the member
// the token belongs to (nil for a token without one).
type viewer struct {
	Caller
	member *switchboard.Member

	// The team's member names, read once per request (names): a bulk
	// action posting system messages on 20 conversations lists the members
	// once, not 20 times.
	namesOnce sync.Once
	names     func(memberID string) string
	namesErr  error
}

// memberNames returns a lookup of the team's member names that falls back to
// the id for a member who is gone, reading the members on first use in the
// request.
func (h *Handler) memberNames(ctx context.Context, v *viewer) (func(string) string, error) {
	v.namesOnce.Do(func() {
		ms, err := h.members.ListMembers(ctx, v.TeamID)
		if err != nil {
			v.namesErr = err
			return
		}
		names := make(map[string]string, len(ms))
		for _, m := range ms {
			names[m.ID] = m.Name
		}
		v.names = func(id string) string {
			if n := names[id]; n != "" {
				return n
			}
			return id
		}
	})
	return v.names, v.namesErr
}

// viewer loads the caller's member, whose id, branch and activity decide what
// the caller sees and may do.
func (h *Handler) viewer(ctx context.Context, c Caller) (*viewer, error) {
	v := &viewer{Caller: c}
	if c.MemberID == "" {
		return v, nil
	}
	m, err := h.members.GetMember(ctx, c.TeamID, c.MemberID)
	if err != nil {
		return nil, err
	}
	v.member = m
	return v, nil
}

// memberID is the caller's member id, "" for a token without a member.
func (v *viewer) memberID() string {
	if v.member == nil {
		return ""
	}
	return v.member.ID
}

// actor is the member an action is taken as; a token without a member cannot
// act on conversations, because the state machine needs to know who follows.
func (v *viewer) actor(what string) (*switchboard.Member, error) {
	if v.member == nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "%s needs a token that belongs to a member", what)
	}
	return v.member, nil
}

// sees reports whether the viewer may see conversation c, whose contact is ct
// (001:L1011). Whoever follows or collaborates always sees it. Beyond that a
// CS agent sees only conversations nobody follows yet (pending ones, so that
// agents can pick up work; the seed's first column gives CS agents 「所有」),
// not colleagues' conversations; sales roles see only customers bound to their
// own branch; every other role sees the whole team. What the viewer may not
// see answers 404, exactly like another team's conversation.
func (v *viewer) sees(c *switchboard.Conversation, ct *switchboard.Contact) bool {
	if c.IsParticipant(v.memberID()) {
		return true
	}
	switch {
	case v.Role == switchboard.RoleCSAgent:
		return c.Status == switchboard.StatusPending && c.FollowerID == ""
	case v.Role.IsSales():
		return v.member != nil && v.member.BranchID != "" && ct != nil && ct.BranchID == v.member.BranchID
	}
	return true
}

// seesContact reports whether the viewer may see a contact; a contact is seen
// with its conversation (they share the id), and a contact without one only
// by the roles that see the whole team, or a sales role of its branch.
func (v *viewer) seesContact(ct *switchboard.Contact, c *switchboard.Conversation) bool {
	if c != nil {
		return v.sees(c, ct)
	}
	switch {
	case v.Role == switchboard.RoleCSAgent:
		return false
	case v.Role.IsSales():
		return v.member != nil && v.member.BranchID != "" && ct.BranchID == v.member.BranchID
	}
	return true
}

// errNoConversation is what an invisible conversation answers.
func errNoConversation() error {
	return switchboard.Errorf(switchboard.ENotFound, "conversation not found")
}

// loadConversation reads a conversation and its contact and checks that the
// viewer sees them. The contact may be missing (nil) for a conversation whose
// contact was never written.
func (h *Handler) loadConversation(ctx context.Context, v *viewer, id string) (*switchboard.Conversation, *switchboard.Contact, error) {
	c, err := h.conversations.GetConversation(ctx, v.TeamID, id)
	if err != nil {
		return nil, nil, err
	}
	ct, err := h.contactOf(ctx, v.TeamID, c.ContactID)
	if err != nil {
		return nil, nil, err
	}
	if !v.sees(c, ct) {
		return nil, nil, errNoConversation()
	}
	return c, ct, nil
}

// routeConversation loads the conversation a route's {id} names, for the
// caller who must see it (404 otherwise, as if it did not exist).
func (h *Handler) routeConversation(ctx context.Context, r *request) (*viewer, *switchboard.Conversation, *switchboard.Contact, error) {
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return nil, nil, nil, err
	}
	c, ct, err := h.loadConversation(ctx, v, r.param("id"))
	if err != nil {
		return nil, nil, nil, err
	}
	return v, c, ct, nil
}

// contactOf reads a contact, nil when it does not exist.
func (h *Handler) contactOf(ctx context.Context, teamID, id string) (*switchboard.Contact, error) {
	if id == "" {
		return nil, nil
	}
	ct, err := h.contacts.GetContact(ctx, teamID, id)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return nil, nil
	}
	return ct, err
}

// query returns the request's query parameters.
func (r *request) query() url.Values {
	if r.raw.RawQueryString != "" {
		if q, err := url.ParseQuery(r.raw.RawQueryString); err == nil {
			return q
		}
	}
	q := url.Values{}
	for k, v := range r.raw.QueryStringParameters {
		q.Set(k, v)
	}
	return q
}

// Page sizes of the inbox's lists.
const (
	defaultInboxPage = 20
	maxInboxPage     = 100
)

// limitParam reads the limit query parameter.
func limitParam(q url.Values) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return defaultInboxPage, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxInboxPage {
		return 0, switchboard.Errorf(switchboard.EInvalid, "limit must be a whole number from 1 to %d", maxInboxPage)
	}
	return n, nil
}

// forEach runs f for every index below n with at most parallel calls at a
// time and returns the first error; it is how a page's per-item reads and a
// bulk action's items run side by side.
func forEach(n, parallel int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs = make([]error, n)
		sem  = make(chan struct{}, max(parallel, 1))
	)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			var err error
			defer func() {
				// A panic here would escape Handle's recover, which only
				// covers the request's own goroutine.
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				}
				mu.Lock()
				errs[i] = err
				mu.Unlock()
				<-sem
				wg.Done()
			}()
			err = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sortedTags returns a contact's tag names in order.
func sortedTags(ct *switchboard.Contact) []string {
	names := make([]string, 0, len(ct.Tags))
	for n := range ct.Tags {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
