package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// conv builds a conversation whose last message, the customer's unless staff
// is set, was at minute min after t0.
func conv(team, id string, status switchboard.ConversationStatus, minute int) *switchboard.Conversation {
	at := t0.Add(time.Duration(minute) * time.Minute)
	c := &switchboard.Conversation{
		ID: id, TeamID: team, ContactID: id, ChannelID: "ch1", Status: status,
		LastMessageAt: at, LastCustomerAt: at,
	}
	if status == switchboard.StatusPending {
		c.PendingKind = switchboard.PendingHuman
		c.Unread = map[string]int{switchboard.PendingReader: 1}
	}
	return c
}

// listAll reads a whole listing page by page with the given page size.
func listAll(t *testing.T, s *dynamo.Store, team string, q switchboard.ConversationQuery) []string {
	t.Helper()
	var got []string
	for range 50 {
		p, err := s.ListConversations(context.Background(), team, q)
		must(t, err)
		for _, c := range p.Items {
			got = append(got, c.ID)
		}
		if p.Next == "" {
			return got
		}
		q.Cursor = p.Next
	}
	t.Fatalf("listing did not end")
	return nil
}

func TestListConversationViews(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team, other := switchboard.NewID(), switchboard.NewID()
	c1 := conv(team, "c1", switchboard.StatusPending, 10)
	c2 := conv(team, "c2", switchboard.StatusPending, 30)
	c3 := conv(team, "c3", switchboard.StatusPending, 20)
	c3.ChannelID = "ch2"
	c4 := conv(team, "c4", switchboard.StatusPending, 5)
	c4.PendingKind = switchboard.PendingBot
	c4.LastMessageAt = c4.LastMessageAt.Add(time.Second) // the bot answered
	c5 := conv(team, "c5", switchboard.StatusInProgress, 40)
	c5.FollowerID, c5.Unread = "m1", map[string]int{"m1": 2}
	c6 := conv(team, "c6", switchboard.StatusInProgress, 50)
	c6.FollowerID, c6.Collaborators = "m2", []string{"m1"}
	c7 := conv(team, "c7", switchboard.StatusClosed, 60)
	c7.FollowerID = "m1"
	c1.IndexContact(&switchboard.Contact{DisplayName: "Amy Chen", Phone: "0912-345-678"})
	c2.IndexMessage("Where is my ORDER?")
	for _, c := range []*switchboard.Conversation{c1, c2, c3, c4, c5, c6, c7, conv(other, "x1", switchboard.StatusPending, 1)} {
		must(t, s.CreateConversation(ctx, c))
	}

	q := func(view string, edit ...func(*switchboard.ConversationQuery)) switchboard.ConversationQuery {
		q := switchboard.ConversationQuery{View: view, Limit: 2}
		for _, e := range edit {
			e(&q)
		}
		return q
	}
	newest := func(q *switchboard.ConversationQuery) { q.Newest = true }
	tests := []struct {
		name string
		q    switchboard.ConversationQuery
		want []string
	}{
		{"pending human, longest wait first", q(switchboard.ViewPendingHuman), []string{"c1", "c3", "c2"}},
		{"pending human, newest first", q(switchboard.ViewPendingHuman, newest), []string{"c2", "c3", "c1"}},
		{"pending bot", q(switchboard.ViewPendingBot), []string{"c4"}},
		{"in progress", q(switchboard.ViewInProgress, newest), []string{"c6", "c5"}},
		{"closed", q(switchboard.ViewClosed), []string{"c7"}},
		{"channel", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.ChannelID = "ch2" }), []string{"c3"}},
		{"waiting over 25 minutes at minute 45", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) {
			q.Waiting, q.WaitingSince = true, t0.Add(20*time.Minute)
		}), []string{"c1"}},
		{"waiting: a bot answer ends the wait", q(switchboard.ViewPendingBot, func(q *switchboard.ConversationQuery) {
			q.Waiting, q.WaitingSince = true, t0.Add(time.Hour)
		}), nil},
		{"unread for the pending reader", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.UnreadFor = switchboard.PendingReader }), []string{"c1", "c3", "c2"}},
		{"unread for m1", q(switchboard.ViewInProgress, func(q *switchboard.ConversationQuery) { q.UnreadFor = "m1" }), []string{"c5"}},
		{"participant m1", q(switchboard.ViewInProgress, func(q *switchboard.ConversationQuery) { q.Participant = "m1" }), []string{"c5", "c6"}},
		{"participant m2", q(switchboard.ViewInProgress, func(q *switchboard.ConversationQuery) { q.Participant = "m2" }), []string{"c6"}},
		{"search a name", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.Search = switchboard.SearchKey("amy") }), []string{"c1"}},
		{"search a phone without dashes", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.Search = "0912345678" }), []string{"c1"}},
		{"search message text", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.Search = switchboard.SearchKey("my Order") }), []string{"c2"}},
		{"search nothing", q(switchboard.ViewPendingHuman, func(q *switchboard.ConversationQuery) { q.Search = "zzz" }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listAll(t, s, team, tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Cursors are checked.
	_, err := s.ListConversations(ctx, team, switchboard.ConversationQuery{View: switchboard.ViewPendingHuman, Cursor: "bm90LWEtcG9zaXRpb24"})
	wantCode(t, err, switchboard.EInvalid)
	_, err = s.ListConversations(ctx, team, switchboard.ConversationQuery{View: "everything"})
	wantCode(t, err, switchboard.EInvalid)
}

func TestListMineMergesCollaborations(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team := switchboard.NewID()
	var all []*switchboard.Conversation
	// m1 follows f1..f4 and collaborates on k1..k3, interleaved in time;
	// m2's conversation and m1's closed one stay out.
	for i, id := range []string{"f1", "k1", "f2", "f3", "k2", "f4", "k3"} {
		c := conv(team, id, switchboard.StatusInProgress, i*10)
		c.FollowerID = "m1"
		if id[0] == 'k' {
			c.FollowerID, c.Collaborators = "m2", []string{"m1"}
		}
		all = append(all, c)
	}
	other := conv(team, "o1", switchboard.StatusInProgress, 15)
	other.FollowerID = "m2"
	closed := conv(team, "x1", switchboard.StatusClosed, 25)
	closed.FollowerID = "m1"
	all = append(all, other, closed)
	for _, c := range all {
		must(t, s.CreateConversation(ctx, c))
		must(t, s.NoteCollaborations(ctx, c))
	}
	// A stale entry: m1 left k9, which still has the entry.
	k9 := conv(team, "k9", switchboard.StatusInProgress, 5)
	k9.FollowerID, k9.Collaborators = "m2", []string{"m1"}
	must(t, s.CreateConversation(ctx, k9))
	must(t, s.NoteCollaborations(ctx, k9))
	_, err := s.UpdateConversation(ctx, team, "k9", func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
		c.Collaborators = nil
		return c, nil
	})
	must(t, err)

	for _, limit := range []int{1, 2, 3, 100} {
		for _, newest := range []bool{false, true} {
			t.Run(fmt.Sprintf("limit %d newest %v", limit, newest), func(t *testing.T) {
				want := []string{"f1", "k1", "f2", "f3", "k2", "f4", "k3"}
				if newest {
					slices.Reverse(want)
				}
				got := listAll(t, s, team, switchboard.ConversationQuery{View: switchboard.ViewMine, MemberID: "m1", Newest: newest, Limit: limit})
				if !slices.Equal(got, want) {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
	got := listAll(t, s, team, switchboard.ConversationQuery{View: switchboard.ViewMine, MemberID: "m1", Limit: 10, ChannelID: "ch1", Waiting: true, WaitingSince: t0.Add(35 * time.Minute)})
	if want := []string{"f1", "k1", "f2", "f3"}; !slices.Equal(got, want) {
		t.Errorf("waiting filter over mine: %v, want %v", got, want)
	}
	must(t, s.ForgetCollaboration(ctx, team, "m1", "k2"))
	_, err = s.UpdateConversation(ctx, team, "k2", func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
		c.Collaborators = nil
		return c, nil
	})
	must(t, err)
	got = listAll(t, s, team, switchboard.ConversationQuery{View: switchboard.ViewMine, MemberID: "m1", Limit: 10})
	if want := []string{"f1", "k1", "f2", "f3", "f4", "k3"}; !slices.Equal(got, want) {
		t.Errorf("after m1 left k2: %v, want %v", got, want)
	}
	_, err = s.ListConversations(ctx, team, switchboard.ConversationQuery{View: switchboard.ViewMine})
	wantCode(t, err, switchboard.EInvalid)
}

// TestMemberConversationIDs: the conversations a deactivated member must be
// taken out of are those they follow, in progress or closed, and those they
// have a collaboration entry for, each once, whatever the page size; a
// pending conversation, a colleague's, and the same member id in another
// team stay out.
func TestMemberConversationIDs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team, other := switchboard.NewID(), switchboard.NewID()
	followed := func(team, id string, status switchboard.ConversationStatus, follower string, collaborators ...string) *switchboard.Conversation {
		c := conv(team, id, status, len(id))
		c.FollowerID, c.Collaborators = follower, collaborators
		return c
	}
	all := []*switchboard.Conversation{
		followed(team, "f1", switchboard.StatusInProgress, "m1"),
		followed(team, "f2", switchboard.StatusClosed, "m1"),
		followed(team, "f3", switchboard.StatusInProgress, "m1", "m2", "m3"),
		followed(team, "k1", switchboard.StatusInProgress, "m2", "m1"),
		followed(team, "k2", switchboard.StatusClosed, "m3", "m2", "m1"),
		followed(team, "o1", switchboard.StatusInProgress, "m2", "m3"),
		conv(team, "p1", switchboard.StatusPending, 1),
		followed(other, "x1", switchboard.StatusInProgress, "m1"),
		followed(other, "x2", switchboard.StatusInProgress, "m2", "m1"),
	}
	for _, c := range all {
		must(t, s.CreateConversation(ctx, c))
		must(t, s.NoteCollaborations(ctx, c))
	}
	// d1: m1 collaborated, then took it over; its old entry lingers, and the
	// id still comes once.
	d1 := followed(team, "d1", switchboard.StatusInProgress, "m2", "m1")
	must(t, s.CreateConversation(ctx, d1))
	must(t, s.NoteCollaborations(ctx, d1))
	d1, err := s.UpdateConversation(ctx, team, "d1", func(c *switchboard.Conversation) (*switchboard.Conversation, error) {
		c.FollowerID, c.Collaborators = "m1", []string{"m2"}
		return c, nil
	})
	must(t, err)
	must(t, s.NoteCollaborations(ctx, d1))

	for _, page := range []int32{0, 1, 2, 100} {
		t.Run(fmt.Sprintf("page %d", page), func(t *testing.T) {
			got, err := s.MemberConversationIDsPaged(ctx, team, "m1", page)
			must(t, err)
			if want := []string{"d1", "f1", "f2", "f3", "k1", "k2"}; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
	tests := []struct {
		name, team, member string
		want               []string
	}{
		{"a collaborator and follower", team, "m2", []string{"d1", "f3", "k1", "k2", "o1"}},
		{"the same member in another team", other, "m1", []string{"x1", "x2"}},
		{"a member in nothing", team, "m9", nil},
		{"a malformed member id", team, "m#1", nil},
		{"a malformed team id", "", "m1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.MemberConversationIDs(ctx, tt.team, tt.member)
			must(t, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeleteConversationAndMessages(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team := switchboard.NewID()
	c := conv(team, "c1", switchboard.StatusInProgress, 0)
	c.FollowerID, c.Collaborators = "m1", []string{"m2"}
	must(t, s.CreateConversation(ctx, c))
	must(t, s.NoteCollaborations(ctx, c))
	keep := conv(team, "c2", switchboard.StatusPending, 0)
	must(t, s.CreateConversation(ctx, keep))
	var ids []string
	for i := range 30 {
		m := &switchboard.Message{ID: switchboard.NewID(), TeamID: team, ConversationID: "c1", Direction: switchboard.Inbound, Kind: switchboard.MsgText, Text: fmt.Sprint(i)}
		must(t, s.PutMessage(ctx, m))
		ids = append(ids, m.ID)
	}
	must(t, s.PutMessage(ctx, &switchboard.Message{ID: switchboard.NewID(), TeamID: team, ConversationID: "c2", Text: "kept"}))

	// Newest first, paged.
	var got []string
	cursor := ""
	for range 10 {
		page, next, err := s.ListMessagesNewestFirst(ctx, team, "c1", cursor, 7)
		must(t, err)
		for _, m := range page {
			got = append(got, m.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("newest first: got %d messages in the wrong order", len(got))
	}

	must(t, s.DeleteConversation(ctx, team, "c1"))
	_, err := s.GetConversation(ctx, team, "c1")
	wantCode(t, err, switchboard.ENotFound)
	msgs, _, err := s.ListMessages(ctx, team, "c1", "", 100)
	must(t, err)
	if len(msgs) != 0 {
		t.Errorf("%d messages survived the delete", len(msgs))
	}
	if got := listAll(t, s, team, switchboard.ConversationQuery{View: switchboard.ViewMine, MemberID: "m2", Limit: 10}); len(got) != 0 {
		t.Errorf("m2 still lists %v", got)
	}
	wantCode(t, s.DeleteConversation(ctx, team, "c1"), switchboard.ENotFound)
	kept, _, err := s.ListMessages(ctx, team, "c2", "", 100)
	must(t, err)
	if len(kept) != 1 {
		t.Errorf("the other conversation has %d messages, want 1", len(kept))
	}
	// Another team cannot delete it.
	wantCode(t, s.DeleteConversation(ctx, switchboard.NewID(), "c2"), switchboard.ENotFound)
}

func TestContactsAndTagLogs(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	team := switchboard.NewID()
	c, err := s.UpsertContact(ctx, team, "ch1", "U1", func(c *switchboard.Contact) (*switchboard.Contact, error) {
		c.NativeName = "Amy"
		return c, nil
	})
	must(t, err)
	_, err = s.UpdateContact(ctx, team, "ct_missing", func(c *switchboard.Contact) (*switchboard.Contact, error) { return c, nil })
	wantCode(t, err, switchboard.ENotFound)
	upd, err := s.UpdateContact(ctx, team, c.ID, func(x *switchboard.Contact) (*switchboard.Contact, error) {
		x.DisplayName = "Amy C."
		return x, nil
	})
	must(t, err)
	if upd.Version != c.Version+1 || upd.DisplayName != "Amy C." {
		t.Errorf("updated contact = %+v", upd)
	}
	found, err := s.GetContacts(ctx, team, []string{c.ID, "ct_missing"})
	must(t, err)
	if len(found) != 1 || found[c.ID].DisplayName != "Amy C." {
		t.Errorf("GetContacts = %v", found)
	}
	if other, _ := s.GetContacts(ctx, switchboard.NewID(), []string{c.ID}); len(other) != 0 {
		t.Errorf("another team reads the contact")
	}

	var logs []*switchboard.TagLog
	for _, tag := range []string{"vip", "refund", "vip"} {
		clock.Advance(time.Minute)
		logs = append(logs, &switchboard.TagLog{ID: switchboard.NewID(), TeamID: team, ContactID: c.ID, Tag: tag, ChannelID: "ch1", Source: switchboard.TagByAgent, At: clock.Now()})
	}
	must(t, s.AddTagLogs(ctx, logs))
	page, next, err := s.ListTagLogs(ctx, team, c.ID, "", 2)
	must(t, err)
	if len(page) != 2 || page[0].ID != logs[2].ID || next == "" {
		t.Fatalf("first page = %d records, next %q; want the newest two and a cursor", len(page), next)
	}
	rest, _, err := s.ListTagLogs(ctx, team, c.ID, next, 2)
	must(t, err)
	if len(rest) != 1 || rest[0].ID != logs[0].ID {
		t.Errorf("second page = %v", rest)
	}
	n, err := s.DeleteTagLogs(ctx, team, c.ID, "vip")
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d records, want 2", n)
	}
	left, _, err := s.ListTagLogs(ctx, team, c.ID, "", 10)
	must(t, err)
	if len(left) != 1 || left[0].Tag != "refund" {
		t.Errorf("left %v, want the refund record", left)
	}
	// The contact itself is untouched by its log.
	again, err := s.GetContact(ctx, team, c.ID)
	must(t, err)
	if again.Version != upd.Version {
		t.Errorf("the log changed the contact")
	}
}
