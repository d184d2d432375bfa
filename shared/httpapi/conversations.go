package httpapi

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The inbox: conversation lists by view, search, one conversation with its
// messages, and the actions of the state machine (conversation_state.go),
// each applied inside ConversationStore.UpdateConversation so that two members
// acting at once cannot both win.

// Waiting markers (000: a customer waiting 30 minutes, 1 hour, 2 hours).
var waitingMarkers = []int{120, 60, 30}

// maxListRounds bounds the store calls one list request makes to fill a page
// after dropping what the caller may not see or did not ask for; the page then
// comes back short, with a cursor.
const maxListRounds = 5

// listParallel bounds the reads one page makes side by side (last messages).
const listParallel = 8

// contactSummary is the part of a contact a conversation list shows.
type contactSummary struct {
	ID          string                  `json:"id"`
	Name        string                  `json:"name"`
	NativeName  string                  `json:"nativeName,omitempty"`
	DisplayName string                  `json:"displayName,omitempty"`
	ChannelKind switchboard.ChannelKind `json:"channelKind"`
	Phone       string                  `json:"phone,omitempty"`
	Email       string                  `json:"email,omitempty"`
	MemberID    string                  `json:"memberId,omitempty"`
	BranchID    string                  `json:"branchId,omitempty"`
	Tags        []string                `json:"tags"`
	Subscribed  bool                    `json:"subscribed"`
	Blocked     bool                    `json:"blocked"`
}

func summarize(ct *switchboard.Contact) *contactSummary {
	if ct == nil {
		return nil
	}
	return &contactSummary{
		ID: ct.ID, Name: ct.Name(), NativeName: ct.NativeName, DisplayName: ct.DisplayName,
		ChannelKind: ct.ChannelKind, Phone: ct.Phone, Email: ct.Email, MemberID: ct.MemberID,
		BranchID: ct.BranchID, Tags: sortedTags(ct), Subscribed: ct.Subscribed, Blocked: ct.Blocked,
	}
}

// previewLen is how much of the last message a list shows, in characters.
const previewLen = 100

// messagePreview is the last message of a conversation as a list shows it.
type messagePreview struct {
	ID        string                     `json:"id"`
	Direction switchboard.Direction      `json:"direction"`
	Kind      switchboard.MessageKind    `json:"kind"`
	Text      string                     `json:"text,omitempty"`
	Status    switchboard.DeliveryStatus `json:"status,omitempty"`
	CreatedAt time.Time                  `json:"createdAt"`
}

func preview(m *switchboard.Message) *messagePreview {
	if m == nil {
		return nil
	}
	text := m.Text
	if utf8.RuneCountInString(text) > previewLen {
		text = string([]rune(text)[:previewLen]) + "…"
	}
	return &messagePreview{ID: m.ID, Direction: m.Direction, Kind: m.Kind, Text: text, Status: m.Status, CreatedAt: m.CreatedAt}
}

// conversationItem is a conversation as the inbox shows it to one caller.
type conversationItem struct {
	ID            string                         `json:"id"`
	ContactID     string                         `json:"contactId"`
	ChannelID     string                         `json:"channelId"`
	Status        switchboard.ConversationStatus `json:"status"`
	PendingKind   switchboard.PendingKind        `json:"pendingKind,omitempty"`
	View          string                         `json:"view"`
	FollowerID    string                         `json:"followerId,omitempty"`
	Collaborators []string                       `json:"collaborators"`
	FollowedAt    time.Time                      `json:"followedAt,omitzero"`
	// Waiting is true while the customer's message is the last one;
	// WaitingMinutes counts since it, and WaitingMarker is the highest of the
	// 30, 60 and 120 minute markers reached (0 for none).
	Waiting        bool                 `json:"waiting"`
	WaitingMinutes int                  `json:"waitingMinutes"`
	WaitingMarker  int                  `json:"waitingMarker"`
	Unread         int                  `json:"unread"`
	Actions        []switchboard.Action `json:"actions"`
	Contact        *contactSummary      `json:"contact"`
	LastMessage    *messagePreview      `json:"lastMessage,omitempty"`
	LastMessageAt  time.Time            `json:"lastMessageAt,omitzero"`
	LastCustomerAt time.Time            `json:"lastCustomerAt,omitzero"`
	LastStaffAt    time.Time            `json:"lastStaffAt,omitzero"`
	CreatedAt      time.Time            `json:"createdAt"`
	UpdatedAt      time.Time            `json:"updatedAt"`
	Version        int64                `json:"version"`
}

// viewOf names the stored view a conversation is listed in.
func viewOf(c *switchboard.Conversation) string {
	switch c.Status {
	case switchboard.StatusPending:
		if c.PendingKind == switchboard.PendingBot {
			return switchboard.ViewPendingBot
		}
		return switchboard.ViewPendingHuman
	case switchboard.StatusInProgress:
		return switchboard.ViewInProgress
	}
	return switchboard.ViewClosed
}

// waitingFor returns how long the customer has waited for an answer: since
// their message, while it is the last of an open conversation.
func waitingFor(c *switchboard.Conversation, now time.Time) (bool, time.Duration) {
	if c.Status == switchboard.StatusClosed || c.LastCustomerAt.IsZero() || !c.LastCustomerAt.Equal(c.LastMessageAt) {
		return false, 0
	}
	return true, max(now.Sub(c.LastCustomerAt), 0)
}

// unreadFor is the caller's unread count: their own as follower or
// collaborator, the team's while nobody follows, otherwise none.
func unreadFor(c *switchboard.Conversation, v *viewer) int {
	if id := v.memberID(); c.IsParticipant(id) {
		return c.UnreadFor(id)
	}
	if c.FollowerID == "" {
		return c.UnreadFor(switchboard.PendingReader)
	}
	return 0
}

func (h *Handler) item(c *switchboard.Conversation, ct *switchboard.Contact, last *switchboard.Message, v *viewer, now time.Time) conversationItem {
	waiting, d := waitingFor(c, now)
	it := conversationItem{
		ID: c.ID, ContactID: c.ContactID, ChannelID: c.ChannelID, Status: c.Status, PendingKind: c.PendingKind,
		View: viewOf(c), FollowerID: c.FollowerID, Collaborators: slices.Clone(c.Collaborators), FollowedAt: c.FollowedAt,
		Waiting: waiting, WaitingMinutes: int(d / time.Minute),
		Unread: unreadFor(c, v), Actions: []switchboard.Action{},
		Contact: summarize(ct), LastMessage: preview(last),
		LastMessageAt: c.LastMessageAt, LastCustomerAt: c.LastCustomerAt, LastStaffAt: c.LastStaffAt,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
	if it.Collaborators == nil {
		it.Collaborators = []string{}
	}
	for _, m := range waitingMarkers {
		if waiting && it.WaitingMinutes >= m {
			it.WaitingMarker = m
			break
		}
	}
	if v.member != nil {
		if acts := c.ActionsFor(v.member); acts != nil {
			it.Actions = acts
		}
	}
	return it
}

// items turns conversations into list items, reading each one's last message
// side by side.
func (h *Handler) items(ctx context.Context, v *viewer, convs []*switchboard.Conversation, contacts map[string]*switchboard.Contact) ([]conversationItem, error) {
	now := h.now().UTC()
	out := make([]conversationItem, len(convs))
	err := forEach(len(convs), listParallel, func(i int) error {
		c := convs[i]
		msgs, err := h.messages.RecentMessages(ctx, v.TeamID, c.ID, 1)
		if err != nil {
			return err
		}
		var last *switchboard.Message
		if len(msgs) > 0 {
			last = msgs[0]
		}
		out[i] = h.item(c, contacts[c.ContactID], last, v, now)
		return nil
	})
	return out, err
}

// conversationList is the body of the list and search routes.
type conversationList struct {
	Items      []conversationItem `json:"items"`
	NextCursor string             `json:"nextCursor"`
}

// collect reads pages of q until it has limit conversations the viewer sees
// and keep accepts, or the store says there are no more, or rounds run out.
// It returns them with their contacts and the cursor to continue from.
func (h *Handler) collect(ctx context.Context, v *viewer, q switchboard.ConversationQuery, limit int, rounds *int, keep func(*switchboard.Conversation, *switchboard.Contact) bool) ([]*switchboard.Conversation, map[string]*switchboard.Contact, string, error) {
	var kept []*switchboard.Conversation
	contacts := map[string]*switchboard.Contact{}
	for len(kept) < limit && *rounds > 0 {
		*rounds--
		q.Limit = limit - len(kept)
		page, err := h.conversations.ListConversations(ctx, v.TeamID, q)
		if err != nil {
			return nil, nil, "", err
		}
		ids := make([]string, 0, len(page.Items))
		for _, c := range page.Items {
			ids = append(ids, c.ContactID)
		}
		cts, err := h.contacts.GetContacts(ctx, v.TeamID, ids)
		if err != nil {
			return nil, nil, "", err
		}
		for _, c := range page.Items {
			ct := cts[c.ContactID]
			if v.sees(c, ct) && (keep == nil || keep(c, ct)) {
				kept = append(kept, c)
				contacts[c.ContactID] = ct
			}
		}
		q.Cursor = page.Next
		if page.Next == "" {
			break
		}
	}
	return kept, contacts, q.Cursor, nil
}

// Inbox list names of GET /v1/conversations: the stored views plus the
// caller's own ("mine") and the team's in-progress list ("team").
const viewTeam = "team"

var listViews = []string{switchboard.ViewPendingHuman, switchboard.ViewPendingBot, switchboard.ViewMine, viewTeam, switchboard.ViewClosed}

// listQuery turns the query parameters of GET /v1/conversations into a store
// query and the filters only the API can apply (tag, on the contact). empty
// is true when the caller can see nothing in the view at all.
func (v *viewer) listQuery(q url.Values, now time.Time) (sq switchboard.ConversationQuery, tag string, empty bool, err error) {
	view := q.Get("view")
	if view == "" {
		view = switchboard.ViewPendingHuman
	}
	if !slices.Contains(listViews, view) {
		return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "view must be one of %s", strings.Join(listViews, ", "))
	}
	pending := view == switchboard.ViewPendingHuman || view == switchboard.ViewPendingBot
	sq.View = view
	switch view {
	case viewTeam:
		sq.View = switchboard.ViewInProgress
	case switchboard.ViewMine:
		if v.member == nil {
			return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "view mine needs a token that belongs to a member")
		}
		sq.MemberID = v.member.ID
	}
	// Pending lists read longest wait first, the others newest first (000).
	sq.Newest = !pending
	switch q.Get("sort") {
	case "":
	case "longest_wait":
		sq.Newest = false
	case "newest":
		sq.Newest = true
	default:
		return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "sort must be longest_wait or newest")
	}
	switch w := q.Get("waitingMinutes"); w {
	case "":
	case "30", "60", "120":
		n, _ := strconv.Atoi(w)
		sq.Waiting, sq.WaitingSince = true, now.Add(-time.Duration(n)*time.Minute)
	default:
		return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "waitingMinutes must be 30, 60 or 120")
	}
	switch q.Get("unread") {
	case "", "false":
	case "true":
		switch {
		case pending:
			sq.UnreadFor = switchboard.PendingReader
		case v.member != nil:
			sq.UnreadFor = v.member.ID
		default:
			return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "unread on this view needs a token that belongs to a member")
		}
	default:
		return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "unread must be true or false")
	}
	sq.ChannelID = q.Get("channelId")
	tag = q.Get("tag")
	if len(sq.ChannelID) > maxParamLen || utf8.RuneCountInString(tag) > switchboard.MaxTagNameLen {
		return sq, "", false, switchboard.Errorf(switchboard.EInvalid, "channelId or tag is too long")
	}
	sq.Cursor = q.Get("cursor")
	participant, empty := v.narrow(pending)
	if view != switchboard.ViewMine {
		sq.Participant = participant
	}
	return sq, tag, empty, nil
}

// narrow says how a list the viewer reads must be narrowed in the store, by
// the rules of viewer.sees: a CS agent sees no colleague's conversation, so
// outside the pending lists only their own; a sales role without a branch
// sees only their own. empty is true when the viewer sees nothing at all.
func (v *viewer) narrow(pending bool) (participant string, empty bool) {
	own := (v.Role == switchboard.RoleCSAgent && !pending) ||
		(v.Role.IsSales() && (v.member == nil || v.member.BranchID == ""))
	if !own {
		return "", false
	}
	if v.member == nil {
		return "", true
	}
	return v.member.ID, false
}

func hasTag(tag string) func(*switchboard.Conversation, *switchboard.Contact) bool {
	if tag == "" {
		return nil
	}
	return func(_ *switchboard.Conversation, ct *switchboard.Contact) bool {
		if ct == nil {
			return false
		}
		_, ok := ct.Tags[tag]
		return ok
	}
}

func (h *Handler) listConversations(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	q := r.query()
	limit, err := limitParam(q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	sq, tag, empty, err := v.listQuery(q, h.now().UTC())
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out := conversationList{Items: []conversationItem{}}
	if empty {
		return apigw.JSON(http.StatusOK, out), nil
	}
	rounds := maxListRounds
	convs, contacts, next, err := h.collect(ctx, v, sq, limit, &rounds, hasTag(tag))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if out.Items, err = h.items(ctx, v, convs, contacts); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out.NextCursor = next
	return apigw.JSON(http.StatusOK, out), nil
}

// searchViews are the lists a search reads, in this order, newest first in
// each; the two pending lists come first (searchConversations relies on it).
var searchViews = []string{switchboard.ViewPendingHuman, switchboard.ViewPendingBot, switchboard.ViewInProgress, switchboard.ViewClosed}

// maxSearchLen bounds a search query, in characters.
const maxSearchLen = 100

func (h *Handler) searchConversations(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	q := r.query()
	limit, err := limitParam(q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	text := switchboard.SearchKey(q.Get("q"))
	if n := utf8.RuneCountInString(text); n == 0 || n > maxSearchLen {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "q must be 1 to %d characters", maxSearchLen)
	}
	view, cursor, err := parseSearchCursor(q.Get("cursor"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var (
		convs    []*switchboard.Conversation
		contacts = map[string]*switchboard.Contact{}
		rounds   = maxListRounds
		next     string
	)
	for view < len(searchViews) {
		if len(convs) >= limit || rounds == 0 {
			next = strconv.Itoa(view) + "." + cursor
			break
		}
		sq := switchboard.ConversationQuery{View: searchViews[view], Newest: true, Search: text, Cursor: cursor}
		participant, empty := v.narrow(view < 2)
		sq.Participant = participant
		if !empty {
			got, cts, more, err := h.collect(ctx, v, sq, limit-len(convs), &rounds, nil)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			convs = append(convs, got...)
			maps.Copy(contacts, cts)
			if more != "" {
				cursor = more
				continue
			}
		}
		view, cursor = view+1, ""
	}
	out := conversationList{NextCursor: next}
	if out.Items, err = h.items(ctx, v, convs, contacts); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, out), nil
}

// parseSearchCursor splits a search cursor: the index of the view it is in,
// a dot, and the store's cursor within that view.
func parseSearchCursor(s string) (int, string, error) {
	if s == "" {
		return 0, "", nil
	}
	i, rest, ok := strings.Cut(s, ".")
	n, err := strconv.Atoi(i)
	if !ok || err != nil || n < 0 || n >= len(searchViews) {
		return 0, "", switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
	}
	return n, rest, nil
}

// Message pages of a conversation.
const defaultMessagePage = 30

// messageList is a page of a conversation's messages, newest first.
type messageList struct {
	Items      []*switchboard.Message `json:"items"`
	NextCursor string                 `json:"nextCursor"`
}

func (h *Handler) messagePage(ctx context.Context, teamID, id string, q url.Values) (messageList, error) {
	limit := defaultMessagePage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxInboxPage {
			return messageList{}, switchboard.Errorf(switchboard.EInvalid, "limit must be a whole number from 1 to %d", maxInboxPage)
		}
		limit = n
	}
	msgs, next, err := h.messages.ListMessagesNewestFirst(ctx, teamID, id, q.Get("cursor"), limit)
	if err != nil {
		return messageList{}, err
	}
	if msgs == nil {
		msgs = []*switchboard.Message{}
	}
	return messageList{Items: msgs, NextCursor: next}, nil
}

// conversationDetail is the body of GET /v1/conversations/{id}.
type conversationDetail struct {
	Conversation conversationItem `json:"conversation"`
	Messages     messageList      `json:"messages"`
}

func (h *Handler) getConversation(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, c, ct, err := h.routeConversation(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	page, err := h.messagePage(ctx, v.TeamID, c.ID, r.query())
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Opening one's own conversation reads it (001:L4730): the caller's
	// unread count clears, nobody else's does.
	if id := v.memberID(); c.IsParticipant(id) && c.UnreadFor(id) > 0 {
		read, err := h.conversations.UpdateConversation(ctx, v.TeamID, c.ID, func(cur *switchboard.Conversation) (*switchboard.Conversation, error) {
			cur.MarkRead(id)
			return cur, nil
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		c = read
	}
	var last *switchboard.Message
	if len(page.Items) > 0 && r.query().Get("cursor") == "" {
		last = page.Items[0]
	}
	return apigw.JSON(http.StatusOK, conversationDetail{
		Conversation: h.item(c, ct, last, v, h.now().UTC()),
		Messages:     page,
	}), nil
}

func (h *Handler) listConversationMessages(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, c, _, err := h.routeConversation(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	page, err := h.messagePage(ctx, v.TeamID, c.ID, r.query())
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, page), nil
}

// applyFunc changes a conversation for one action by actor.
type applyFunc func(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error

// act applies an action to a conversation the viewer sees, inside the
// optimistic update, so that of two members acting at once one wins and the
// other meets the new status (409) or their lost permission (403). The
// contact's details are refreshed in the search text on the way. It then
// keeps the collaboration entries in step.
func (h *Handler) act(ctx context.Context, v *viewer, id, what string, apply applyFunc) (*switchboard.Conversation, *switchboard.Contact, error) {
	_, ct, err := h.loadConversation(ctx, v, id)
	if err != nil {
		return nil, nil, err
	}
	actor, err := v.actor(what)
	if err != nil {
		return nil, nil, err
	}
	now := h.now().UTC()
	var before []string
	var recorded int64
	c, err := h.conversations.UpdateConversation(ctx, v.TeamID, id, func(cur *switchboard.Conversation) (*switchboard.Conversation, error) {
		if !v.sees(cur, ct) {
			// Seen a moment ago, so it changed meanwhile (a colleague
			// followed it first): the state machine says how, when it can.
			if err := apply(cur, actor, now); err != nil {
				return nil, err
			}
			return nil, switchboard.Errorf(switchboard.EConflict, "the conversation changed meanwhile; read it again")
		}
		before, recorded = slices.Clone(cur.Collaborators), cur.HistoryTotal
		if err := apply(cur, actor, now); err != nil {
			return nil, err
		}
		cur.IndexContact(ct)
		return cur, nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := h.syncCollaborations(ctx, c, before); err != nil {
		return nil, nil, err
	}
	h.postSystemMessages(ctx, v, c, c.HistorySince(recorded))
	return c, ct, nil
}

// postSystemMessages adds to the conversation the system messages of what a
// change recorded ("Jess 加入了協作對話。"). The change is committed by then, so
// a failure is logged and the change stands: its status record has it.
func (h *Handler) postSystemMessages(ctx context.Context, v *viewer, c *switchboard.Conversation, entries []switchboard.HistoryEntry) {
	for _, e := range entries {
		if !e.HasSystemMessage() {
			continue
		}
		name, err := h.memberNames(ctx, v)
		if err != nil {
			h.systemMessageFailed(ctx, c, err)
			return
		}
		m := &switchboard.Message{
			ID: h.newID(), TeamID: c.TeamID, ConversationID: c.ID, ContactID: c.ContactID,
			Direction: switchboard.System, Kind: switchboard.MsgText, Text: e.SystemMessage(name),
			SenderMemberID: e.ActorID, CreatedAt: e.At,
		}
		if err := h.messages.PutMessage(ctx, m); err != nil {
			h.systemMessageFailed(ctx, c, err)
			return
		}
	}
}

func (h *Handler) systemMessageFailed(ctx context.Context, c *switchboard.Conversation, err error) {
	h.log.WarnContext(ctx, "system message not added to the conversation",
		slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID),
		slog.String("conversationId", c.ID), slog.String("error", err.Error()))
}

// syncCollaborations writes the entries of the conversation's collaborators
// and drops those of members who left.
func (h *Handler) syncCollaborations(ctx context.Context, c *switchboard.Conversation, before []string) error {
	if len(c.Collaborators) > 0 {
		if err := h.conversations.NoteCollaborations(ctx, c); err != nil {
			return err
		}
	}
	for _, m := range before {
		if !slices.Contains(c.Collaborators, m) {
			if err := h.conversations.ForgetCollaboration(ctx, c.TeamID, m, c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// actionHandler serves a conversation action whose request needs no body.
func (h *Handler) actionHandler(what string, apply applyFunc) func(context.Context, *request) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
		v, err := h.viewer(ctx, r.caller)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		c, ct, err := h.act(ctx, v, r.param("id"), what, apply)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return h.answerConversation(ctx, v, c, ct)
	}
}

// answerConversation answers an action with the conversation as it is now.
func (h *Handler) answerConversation(ctx context.Context, v *viewer, c *switchboard.Conversation, ct *switchboard.Contact) (events.APIGatewayV2HTTPResponse, error) {
	items, err := h.items(ctx, v, []*switchboard.Conversation{c}, map[string]*switchboard.Contact{c.ContactID: ct})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, items[0]), nil
}

func follow(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
	return c.Follow(actor, now)
}

func closeConversation(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
	return c.Close(actor, now)
}

func reopen(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
	return c.Reopen(actor, now)
}

func join(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
	return c.JoinAsCollaborator(actor, now)
}

func takeover(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
	return c.Takeover(actor, now)
}

// target reads a member an action names (a transfer's receiver, a new
// collaborator). A member of another team does not exist here.
func (h *Handler) target(ctx context.Context, teamID, id string) (*switchboard.Member, error) {
	if id == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "a member id is required")
	}
	m, err := h.members.GetMember(ctx, teamID, id)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return nil, switchboard.Errorf(switchboard.EInvalid, "member %q does not exist", id)
	}
	return m, err
}

// transferInput is the body of POST /v1/conversations/{id}/transfer.
type transferInput struct {
	To string `json:"to"`
}

func (h *Handler) transferConversation(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in transferInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	to, err := h.target(ctx, v.TeamID, in.To)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c, ct, err := h.act(ctx, v, r.param("id"), "transfer", func(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
		return c.Transfer(actor, to, now)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return h.answerConversation(ctx, v, c, ct)
}

// collaboratorsInput is the body of POST /v1/conversations/{id}/collaborators.
type collaboratorsInput struct {
	MemberIDs []string `json:"memberIds"`
}

func (h *Handler) addCollaborators(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in collaboratorsInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if len(in.MemberIDs) == 0 || len(in.MemberIDs) > switchboard.MaxCollaborators {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "memberIds must list 1 to %d members", switchboard.MaxCollaborators)
	}
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	members := make([]*switchboard.Member, 0, len(in.MemberIDs))
	for _, id := range in.MemberIDs {
		m, err := h.target(ctx, v.TeamID, id)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		members = append(members, m)
	}
	c, ct, err := h.act(ctx, v, r.param("id"), "adding collaborators", func(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
		return c.AddCollaborators(actor, members, now)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return h.answerConversation(ctx, v, c, ct)
}

func (h *Handler) removeCollaborator(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	memberID := r.param("memberId")
	c, ct, err := h.act(ctx, v, r.param("id"), "removing a collaborator", func(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
		return c.RemoveCollaborator(actor, memberID, now)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return h.answerConversation(ctx, v, c, ct)
}

// Bulk limits (001:L2333, 004): 20 conversations per follow, close, reopen
// or transfer; 40 per delete or blacklist.
const (
	maxBulkActions = 20
	maxBulkDeletes = 40
	bulkParallel   = 8
)

// bulkInput is the body of POST /v1/conversations/bulk.
type bulkInput struct {
	Action string   `json:"action"`
	IDs    []string `json:"ids"`
	To     string   `json:"to"`
	// SendSurvey asks for the survey on a close when the team's survey mode
	// is ask.
	SendSurvey bool `json:"sendSurvey"`
}

// bulkResult is the outcome for one conversation of a bulk action.
type bulkResult struct {
	ID    string             `json:"id"`
	OK    bool               `json:"ok"`
	Error *apigw.ErrorDetail `json:"error,omitempty"`
}

// bulkOutcome is the body of the bulk action's answer: counts for the
// operator's notice (001:L2333: 「移轉者會提示成功以及失敗筆數」) and each result.
type bulkOutcome struct {
	Succeeded int          `json:"succeeded"`
	Failed    int          `json:"failed"`
	Results   []bulkResult `json:"results"`
}

var bulkActions = []string{"follow", "close", "reopen", "transfer", "delete", "blacklist"}

func (h *Handler) bulkConversations(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in bulkInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if !slices.Contains(bulkActions, in.Action) {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "action must be one of %s", strings.Join(bulkActions, ", "))
	}
	destructive := in.Action == "delete" || in.Action == "blacklist"
	limit := maxBulkActions
	if destructive {
		limit = maxBulkDeletes
	}
	var ids []string
	for _, id := range in.IDs {
		if id == "" || len(id) > maxParamLen {
			return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "ids must be non-empty conversation ids")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) > limit {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "%s takes 1 to %d conversations at a time, not %d", in.Action, limit, len(ids))
	}
	if (in.To != "") != (in.Action == "transfer") {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "to is required for transfer and only for transfer")
	}
	if in.SendSurvey && in.Action != "close" {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "sendSurvey applies to close only")
	}
	if destructive && !r.caller.Role.Can(switchboard.PermDeleteConversations) {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EForbidden, "role %s may not %s conversations", r.caller.Role, in.Action)
	}
	v, err := h.viewer(ctx, r.caller)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var apply applyFunc
	survey := &switchboard.AutoEnd{}
	switch in.Action {
	case "follow":
		apply = follow
	case "close":
		apply = closeConversation
		if survey, err = h.surveySetting(ctx, v.TeamID, in.SendSurvey); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	case "reopen":
		apply = reopen
	case "transfer":
		to, err := h.target(ctx, v.TeamID, in.To)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		apply = func(c *switchboard.Conversation, actor *switchboard.Member, now time.Time) error {
			// The target of a collaboration's transfer must be one of its
			// collaborators, so it has no bulk transfer (001:L4679).
			if c.IsCollaboration() {
				return switchboard.Errorf(switchboard.EInvalid, "a collaboration cannot be transferred in bulk")
			}
			return c.Transfer(actor, to, now)
		}
	}
	if apply != nil {
		if _, err := v.actor(in.Action); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	out := bulkOutcome{Results: make([]bulkResult, len(ids))}
	err = forEach(len(ids), bulkParallel, func(i int) error {
		var err error
		switch in.Action {
		case "delete":
			err = h.deleteConversation(ctx, v, ids[i])
		case "blacklist":
			err = h.blacklist(ctx, v, ids[i])
		default:
			var c *switchboard.Conversation
			var ct *switchboard.Contact
			c, ct, err = h.act(ctx, v, ids[i], in.Action, apply)
			if err == nil && in.Action == "close" && survey.SurveyOnAgentClose(in.SendSurvey) {
				h.sendSurvey(ctx, c, ct, survey.SurveyText)
			}
		}
		out.Results[i] = bulkResult{ID: ids[i], OK: err == nil}
		if err != nil {
			code := switchboard.ErrorCode(err)
			if apigw.Status(code) >= 500 {
				// A fault, not an outcome: logged with its cause, reported
				// without it, and the other conversations still go ahead.
				h.log.ErrorContext(ctx, "bulk action failed", "requestId", apigw.RequestIDFromContext(ctx),
					"teamId", v.TeamID, "action", in.Action, "conversationId", ids[i], "error", err.Error())
			}
			out.Results[i].Error = &apigw.ErrorDetail{Code: code, Message: switchboard.ErrorMessage(err)}
		}
		return nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	for _, res := range out.Results {
		if res.OK {
			out.Succeeded++
		} else {
			out.Failed++
		}
	}
	return apigw.JSON(http.StatusOK, out), nil
}

// deleteConversation deletes a conversation the viewer sees, with its
// history; the contact stays.
func (h *Handler) deleteConversation(ctx context.Context, v *viewer, id string) error {
	if _, _, err := h.loadConversation(ctx, v, id); err != nil {
		return err
	}
	return h.conversations.DeleteConversation(ctx, v.TeamID, id)
}

// blacklist blocks the contact (its messages are no longer received,
// 001:L1671), unsubscribes it and deletes its conversation history (001:L2339).
// The conversation id is the contact id, so a contact whose conversation is
// already gone can still be blacklisted.
func (h *Handler) blacklist(ctx context.Context, v *viewer, id string) error {
	c, err := h.conversations.GetConversation(ctx, v.TeamID, id)
	if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
		return err
	}
	contactID := id
	if c != nil {
		contactID = c.ContactID
	}
	ct, err := h.contactOf(ctx, v.TeamID, contactID)
	if err != nil {
		return err
	}
	switch {
	case ct == nil && c == nil:
		return errNoConversation()
	case ct == nil:
		return switchboard.Errorf(switchboard.EConflict, "the conversation has no contact to blacklist")
	case c != nil && !v.sees(c, ct), c == nil && !v.seesContact(ct, nil):
		return errNoConversation()
	}
	now := h.now().UTC()
	if _, err := h.contacts.UpdateContact(ctx, v.TeamID, ct.ID, func(cur *switchboard.Contact) (*switchboard.Contact, error) {
		cur.Blocked = true
		if cur.Subscribed {
			cur.Subscribed, cur.SubscriptionChangedAt = false, now
		}
		cur.UpdatedAt = now
		return cur, nil
	}); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	err = h.conversations.DeleteConversation(ctx, v.TeamID, c.ID)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return nil
	}
	return err
}

// Limits of an agent's message.
const (
	maxAgentText      = 5000 // LINE's and Meta's limit for one text message
	maxMediaURL       = 2000
	maxIdempotencyKey = 200
)

// sendInput is the body of POST /v1/conversations/{id}/messages.
type sendInput struct {
	Kind     switchboard.MessageKind `json:"kind"`
	Text     string                  `json:"text"`
	MediaURL string                  `json:"mediaUrl"`
}

// outbound checks the body and returns the message to send.
func (in *sendInput) outbound() (switchboard.OutboundMessage, error) {
	kind := in.Kind
	if kind == "" {
		kind = switchboard.MsgText
		if in.MediaURL != "" {
			return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "kind is required with mediaUrl: image, video, audio or file")
		}
	}
	switch kind {
	case switchboard.MsgText:
		if n := utf8.RuneCountInString(in.Text); n == 0 || n > maxAgentText || strings.TrimSpace(in.Text) == "" {
			return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "text must be 1 to %d characters", maxAgentText)
		}
		if in.MediaURL != "" {
			return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "a text message takes no mediaUrl")
		}
	case switchboard.MsgImage, switchboard.MsgVideo, switchboard.MsgAudio, switchboard.MsgFile:
		u, err := url.Parse(in.MediaURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(in.MediaURL) > maxMediaURL {
			return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "mediaUrl must be an https URL of at most %d characters", maxMediaURL)
		}
		if in.Text != "" {
			return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "a %s message takes no text; send the text as its own message", kind)
		}
	default:
		return switchboard.OutboundMessage{}, switchboard.Errorf(switchboard.EInvalid, "kind must be text, image, video, audio or file")
	}
	return switchboard.OutboundMessage{Kind: kind, Text: in.Text, MediaURL: in.MediaURL}, nil
}

// sendMessage sends an agent's message (PurposeAgent) through the channel's
// sender, which enforces the platform's window (001:L3616, 001:L4350). The
// message is stored first as sending, then as sent with the platform's id or
// as failed with the reason, which the request also answers with (a closed
// window is 403). Only who may reply (Conversation.CanReply) may send.
// channelSender returns a conversation's channel and the sender of its kind,
// refusing a channel that is gone or disabled.
func (h *Handler) channelSender(ctx context.Context, teamID, channelID string) (*switchboard.Channel, switchboard.Sender, error) {
	ch, err := h.channels.GetChannel(ctx, teamID, channelID)
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return nil, nil, switchboard.Errorf(switchboard.EConflict, "the conversation's channel no longer exists")
	}
	if err != nil {
		return nil, nil, err
	}
	if !ch.Enabled {
		return nil, nil, switchboard.Errorf(switchboard.EForbidden, "channel %s is disabled", ch.Name)
	}
	sender := h.senders[ch.Kind]
	if sender == nil {
		return nil, nil, switchboard.Errorf(switchboard.EUnavailable, "sending on %s channels is not available", ch.Kind)
	}
	return ch, sender, nil
}

// deliver stores msg as sending, sends out, and records the outcome on the
// stored message and on msg. A refused or failed send is recorded on the
// message, with the reason, and returned.
func (h *Handler) deliver(ctx context.Context, ch *switchboard.Channel, sender switchboard.Sender, to switchboard.Recipient, msg *switchboard.Message, out switchboard.OutboundMessage, purpose switchboard.SendPurpose, key string) error {
	if err := h.messages.PutMessage(ctx, msg); err != nil {
		return err
	}
	res, sendErr := sender.Send(ctx, switchboard.SendRequest{
		Channel:        ch,
		To:             to,
		Messages:       []switchboard.OutboundMessage{out},
		Purpose:        purpose,
		IdempotencyKey: key,
	})
	if sendErr != nil {
		reason := switchboard.ErrorMessage(sendErr)
		if _, err := h.messages.MarkMessageFailed(ctx, msg, reason); err != nil {
			return err
		}
		msg.Status, msg.FailureReason = switchboard.DeliveryFailed, reason
		return sendErr
	}
	if _, err := h.messages.MarkMessageSent(ctx, msg, ch.ID, res.PlatformMessageIDs); err != nil {
		return err
	}
	msg.Status = switchboard.DeliverySent
	if len(res.PlatformMessageIDs) > 0 {
		msg.PlatformMessageID = res.PlatformMessageIDs[0]
	}
	return nil
}

func (h *Handler) sendMessage(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	var in sendInput
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	out, err := in.outbound()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	key := r.headers["idempotency-key"]
	if len(key) > maxIdempotencyKey {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "Idempotency-Key must be at most %d characters", maxIdempotencyKey)
	}
	v, c, ct, err := h.routeConversation(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	actor, err := v.actor("sending a message")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	now := h.now().UTC()
	// The state machine's own check, on a copy, for its reason.
	probe := *c
	probe.Unread = maps.Clone(c.Unread)
	if err := probe.OnStaffReply(actor, now); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if ct == nil || ct.PlatformUserID == "" {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EConflict, "the conversation has no contact to send to")
	}
	if ct.Blocked {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EForbidden, "the customer is blocked; turn their conversation status back on to reply")
	}
	ch, sender, err := h.channelSender(ctx, v.TeamID, c.ChannelID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if key == "" {
		key = h.newID()
	}
	msg := &switchboard.Message{
		ID: h.newID(), TeamID: v.TeamID, ConversationID: c.ID, ContactID: ct.ID,
		Direction: switchboard.Outbound, Kind: out.Kind, Text: out.Text, MediaURL: out.MediaURL,
		SenderMemberID: actor.ID, Status: switchboard.DeliverySending, CreatedAt: now,
	}
	to := switchboard.Recipient{PlatformUserID: ct.PlatformUserID, LastCustomerAt: c.LastCustomerAt}
	if err := h.deliver(ctx, ch, sender, to, msg, out, switchboard.PurposeAgent, "agent#"+v.TeamID+"#"+c.ID+"#"+key); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// The message is out: record the reply on the conversation and the
	// contact. A conversation that changed meanwhile so that the member may no
	// longer reply still gets the message's time, without the reply's effects.
	updated, err := h.conversations.UpdateConversation(ctx, v.TeamID, c.ID, func(cur *switchboard.Conversation) (*switchboard.Conversation, error) {
		if err := cur.OnStaffReply(actor, now); err != nil {
			cur.OnBotMessage(now)
		}
		cur.IndexMessage(out.Text)
		return cur, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if updated != nil && updated.LastStaffAt.Equal(now) {
		h.armAutoEnd(ctx, updated, ch, ct)
	}
	if _, err := h.contacts.UpdateContact(ctx, v.TeamID, ct.ID, func(cur *switchboard.Contact) (*switchboard.Contact, error) {
		cur.LastTeamInteractionAt = now
		return cur, nil
	}); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, msg), nil
}
