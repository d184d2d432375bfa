package switchboard

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2025, 5, 14, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
)

func member(id string, role Role) *Member {
	return &Member{ID: id, Role: role, Active: true, Status: MemberOnline}
}

var (
	mAdmin      = member("admin", RoleAdmin)
	mSupervisor = member("super", RoleSupervisor)
	mManager    = member("manager", RoleCSManager)
	mAgentA     = member("agentA", RoleCSAgent)
	mAgentB     = member("agentB", RoleCSAgent)
	mAgentC     = member("agentC", RoleCSAgent)
	mAgentD     = member("agentD", RoleCSAgent)
	mAgentE     = member("agentE", RoleCSAgent)
	mAgentF     = member("agentF", RoleCSAgent)
	mSales      = member("sales", RoleSalesperson)
	mSalesMgr   = member("salesmgr", RoleSalesManager)
	mMarketer   = member("marketer", RoleMarketer)
	mMktCS      = member("mktcs", RoleMarketingCS)
	mGone       = &Member{ID: "gone", Role: RoleCSAgent, Active: false}
)

// conv builds a conversation in a status, followed by follower (may be empty),
// with the given collaborators.
func conv(status ConversationStatus, follower string, collaborators ...string) *Conversation {
	c := &Conversation{ID: "c1", TeamID: "t1", Status: status, FollowerID: follower, CreatedAt: t0, UpdatedAt: t0}
	if status == StatusPending {
		c.PendingKind = PendingHuman
	}
	if len(collaborators) > 0 {
		c.Collaborators = slices.Clone(collaborators)
	}
	return c
}

func clone(c *Conversation) *Conversation {
	d := *c
	d.Collaborators = slices.Clone(c.Collaborators)
	d.Unread = maps.Clone(c.Unread)
	d.History = slices.Clone(c.History)
	return &d
}

func TestAllowedMatrix(t *testing.T) {
	// Rows are the seed's matrix (000, 001:L2333) for the first four actions.
	tests := []struct {
		status ConversationStatus
		want   map[Action]bool
	}{
		{StatusPending, map[Action]bool{
			ActionFollow: true, ActionClose: true, ActionReopen: false, ActionTransfer: false,
			ActionAddCollaborators: false, ActionJoin: false, ActionRemoveCollaborator: false,
			ActionLeave: false, ActionTakeover: false, ActionReply: false,
		}},
		{StatusInProgress, map[Action]bool{
			ActionFollow: false, ActionClose: true, ActionReopen: false, ActionTransfer: true,
			ActionAddCollaborators: true, ActionJoin: true, ActionRemoveCollaborator: true,
			ActionLeave: true, ActionTakeover: true, ActionReply: true,
		}},
		{StatusClosed, map[Action]bool{
			ActionFollow: false, ActionClose: false, ActionReopen: true, ActionTransfer: false,
			ActionAddCollaborators: false, ActionJoin: false, ActionRemoveCollaborator: true,
			ActionLeave: true, ActionTakeover: false, ActionReply: false,
		}},
		{"", map[Action]bool{}},
	}
	for _, tt := range tests {
		c := conv(tt.status, "agentA")
		for _, a := range AllActions {
			if got, want := c.Allowed(a), tt.want[a]; got != want {
				t.Errorf("status %q: Allowed(%s) = %v, want %v", tt.status, a, got, want)
			}
		}
	}
	if got, want := conv(StatusPending, "").Actions(), []Action{ActionFollow, ActionClose}; !slices.Equal(got, want) {
		t.Errorf("pending Actions() = %v, want %v", got, want)
	}
	if got, want := conv(StatusClosed, "agentA").Actions(), []Action{ActionReopen, ActionRemoveCollaborator, ActionLeave}; !slices.Equal(got, want) {
		t.Errorf("closed Actions() = %v, want %v", got, want)
	}
}

// TestMatrixMethods runs every status × matrix action through the methods
// themselves with an admin, so only the status decides.
func TestMatrixMethods(t *testing.T) {
	type result struct {
		code     string
		status   ConversationStatus
		follower string
	}
	run := map[Action]func(c *Conversation) error{
		ActionFollow:   func(c *Conversation) error { return c.Follow(mAdmin, t1) },
		ActionClose:    func(c *Conversation) error { return c.Close(mAdmin, t1) },
		ActionReopen:   func(c *Conversation) error { return c.Reopen(mAdmin, t1) },
		ActionTransfer: func(c *Conversation) error { return c.Transfer(mAdmin, mAgentB, t1) },
	}
	tests := []struct {
		status ConversationStatus
		action Action
		want   result
	}{
		{StatusPending, ActionFollow, result{"", StatusInProgress, "admin"}},
		{StatusPending, ActionClose, result{"", StatusClosed, ""}},
		{StatusPending, ActionReopen, result{EConflict, StatusPending, ""}},
		{StatusPending, ActionTransfer, result{EConflict, StatusPending, ""}},
		{StatusInProgress, ActionFollow, result{EConflict, StatusInProgress, "agentA"}},
		{StatusInProgress, ActionClose, result{"", StatusClosed, "agentA"}},
		{StatusInProgress, ActionReopen, result{EConflict, StatusInProgress, "agentA"}},
		{StatusInProgress, ActionTransfer, result{"", StatusInProgress, "agentB"}},
		{StatusClosed, ActionFollow, result{EConflict, StatusClosed, "agentA"}},
		{StatusClosed, ActionClose, result{EConflict, StatusClosed, "agentA"}},
		{StatusClosed, ActionReopen, result{"", StatusInProgress, "admin"}},
		{StatusClosed, ActionTransfer, result{EConflict, StatusClosed, "agentA"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.status, tt.action), func(t *testing.T) {
			follower := "agentA"
			if tt.status == StatusPending {
				follower = ""
			}
			c := conv(tt.status, follower)
			before := clone(c)
			err := run[tt.action](c)
			got := result{ErrorCode(err), c.Status, c.FollowerID}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v (err %v)", got, tt.want, err)
			}
			if err != nil {
				if !reflect.DeepEqual(c, before) {
					t.Errorf("a refused action changed the conversation: %+v", c)
				}
				msg := ErrorMessage(err)
				if !strings.Contains(msg, string(tt.action)) || !strings.Contains(msg, string(tt.status)) {
					t.Errorf("message %q should name action %s and status %s", msg, tt.action, tt.status)
				}
				return
			}
			if !c.UpdatedAt.Equal(t1) {
				t.Errorf("UpdatedAt = %v, want %v", c.UpdatedAt, t1)
			}
			if c.Status != StatusPending && c.PendingKind != "" {
				t.Errorf("PendingKind = %q outside pending", c.PendingKind)
			}
		})
	}
}

func TestOnCustomerMessage(t *testing.T) {
	type state struct {
		status        ConversationStatus
		kind          PendingKind
		follower      string
		collaborators []string
		unread        map[string]int
	}
	collabClosed := conv(StatusClosed, "agentA", "agentB", "agentC")
	collabClosed.Unread = map[string]int{"agentB": 2}
	oneClosed := conv(StatusClosed, "agentA")
	oneClosed.Unread = map[string]int{"agentA": 3}
	inProgress := conv(StatusInProgress, "agentA")
	inCollab := conv(StatusInProgress, "agentA", "agentB")
	pendingBot := conv(StatusPending, "")
	pendingBot.PendingKind = PendingBot
	pendingBot.Unread = map[string]int{PendingReader: 1}
	pendingHuman := conv(StatusPending, "")

	tests := []struct {
		name       string
		start      *Conversation
		kind       MessageKind
		matchedBot bool
		wantsHuman bool
		want       state
	}{
		{"new text matched keyword goes to bot", &Conversation{}, MsgText, true, false,
			state{StatusPending, PendingBot, "", nil, map[string]int{PendingReader: 1}}},
		{"new text without keyword goes to human", &Conversation{}, MsgText, false, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"new text asking for a human", &Conversation{}, MsgText, true, true,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"new image goes to human even if a bot matched", &Conversation{}, MsgImage, true, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"new sticker", &Conversation{}, MsgSticker, false, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"new location matched bot", &Conversation{}, MsgLocation, true, false,
			state{StatusPending, PendingBot, "", nil, map[string]int{PendingReader: 1}}},
		{"closed one-on-one becomes pending and forgets the follower", oneClosed, MsgText, true, false,
			state{StatusPending, PendingBot, "", nil, map[string]int{PendingReader: 4}}},
		{"closed one-on-one with video becomes pending human", conv(StatusClosed, "agentA"), MsgVideo, false, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"closed collaboration comes back in progress to its participants", collabClosed, MsgText, true, false,
			state{StatusInProgress, "", "agentA", []string{"agentB", "agentC"}, map[string]int{"agentA": 1, "agentB": 3, "agentC": 1}}},
		{"pending bot stays bot while keywords match", pendingBot, MsgText, true, false,
			state{StatusPending, PendingBot, "", nil, map[string]int{PendingReader: 2}}},
		{"pending bot goes human when nothing matches", pendingBot, MsgText, false, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 2}}},
		{"pending bot goes human on a file", pendingBot, MsgFile, true, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 2}}},
		{"pending bot goes human when asked", pendingBot, MsgText, true, true,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 2}}},
		{"pending human stays human even when a bot matches (001:L4411)", pendingHuman, MsgText, true, false,
			state{StatusPending, PendingHuman, "", nil, map[string]int{PendingReader: 1}}},
		{"in progress never changes on a bot match (001:L4436)", inProgress, MsgText, true, false,
			state{StatusInProgress, "", "agentA", nil, map[string]int{"agentA": 1}}},
		{"in progress never changes on media", inProgress, MsgAudio, false, true,
			state{StatusInProgress, "", "agentA", nil, map[string]int{"agentA": 1}}},
		{"collaboration counts unread per participant", inCollab, MsgText, false, false,
			state{StatusInProgress, "", "agentA", []string{"agentB"}, map[string]int{"agentA": 1, "agentB": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			if err := c.OnCustomerMessage(tt.kind, tt.matchedBot, tt.wantsHuman, t1); err != nil {
				t.Fatal(err)
			}
			got := state{c.Status, c.PendingKind, c.FollowerID, c.Collaborators, c.Unread}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			for name, ts := range map[string]time.Time{"LastCustomerAt": c.LastCustomerAt, "LastMessageAt": c.LastMessageAt, "UpdatedAt": c.UpdatedAt} {
				if !ts.Equal(t1) {
					t.Errorf("%s = %v, want %v", name, ts, t1)
				}
			}
			if c.Status == StatusPending && !c.FollowedAt.IsZero() {
				t.Errorf("pending conversation keeps FollowedAt %v", c.FollowedAt)
			}
		})
	}

	fresh := &Conversation{}
	_ = fresh.OnCustomerMessage(MsgText, false, false, t1)
	if got, want := fresh.CreatedAt, t1; !got.Equal(want) {
		t.Errorf("new conversation CreatedAt = %v, want %v", got, want)
	}
	bad := &Conversation{ID: "x", Status: "archived"}
	if got, want := ErrorCode(bad.OnCustomerMessage(MsgText, false, false, t1)), EInternal; got != want {
		t.Errorf("unknown status: code %q, want %q", got, want)
	}
}

func TestRequestHumanAndBotMessage(t *testing.T) {
	tests := []struct {
		start    *Conversation
		wantKind PendingKind
	}{
		{func() *Conversation { c := conv(StatusPending, ""); c.PendingKind = PendingBot; return c }(), PendingHuman},
		{conv(StatusPending, ""), PendingHuman},
		{conv(StatusInProgress, "agentA"), ""},
		{conv(StatusClosed, "agentA"), ""},
	}
	for _, tt := range tests {
		c := clone(tt.start)
		c.RequestHuman(t1)
		if got := c.PendingKind; got != tt.wantKind {
			t.Errorf("%s: PendingKind = %q, want %q", tt.start.Status, got, tt.wantKind)
		}
		if got, want := c.Status, tt.start.Status; got != want {
			t.Errorf("RequestHuman changed status %s to %s", want, got)
		}
	}
	c := conv(StatusInProgress, "agentA")
	c.Unread = map[string]int{"agentA": 2}
	c.OnBotMessage(t1)
	if got, want := c.UnreadFor("agentA"), 2; got != want {
		t.Errorf("bot message cleared unread: %d, want %d", got, want)
	}
	if !c.LastMessageAt.Equal(t1) || !c.LastStaffAt.IsZero() {
		t.Errorf("bot message: LastMessageAt %v LastStaffAt %v, want %v and zero", c.LastMessageAt, c.LastStaffAt, t1)
	}
}

func TestFollow(t *testing.T) {
	tests := []struct {
		name  string
		actor *Member
		code  string
	}{
		{"agent", mAgentA, ""},
		{"salesperson", mSales, ""},
		{"marketing CS", mMktCS, ""},
		{"marketer has no inbox", mMarketer, EForbidden},
		{"deactivated", mGone, EForbidden},
		{"nobody", nil, EForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := conv(StatusPending, "")
			c.Unread = map[string]int{PendingReader: 3}
			err := c.Follow(tt.actor, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if err != nil {
				return
			}
			if got, want := c.FollowerID, tt.actor.ID; got != want {
				t.Errorf("follower %q, want %q", got, want)
			}
			if got, want := c.Unread, map[string]int{tt.actor.ID: 3}; !reflect.DeepEqual(got, want) {
				t.Errorf("unread %v, want %v", got, want)
			}
			if !c.FollowedAt.Equal(t1) {
				t.Errorf("FollowedAt %v, want %v", c.FollowedAt, t1)
			}
		})
	}
}

func TestClosePermissions(t *testing.T) {
	tests := []struct {
		name  string
		start *Conversation
		actor *Member
		code  string
	}{
		{"system closes (auto-end)", conv(StatusInProgress, "agentA"), nil, ""},
		{"system closes a collaboration", conv(StatusInProgress, "agentA", "agentB"), nil, ""},
		{"any agent closes a pending one", conv(StatusPending, ""), mAgentB, ""},
		{"follower closes", conv(StatusInProgress, "agentA"), mAgentA, ""},
		{"other agent may not", conv(StatusInProgress, "agentA"), mAgentB, EForbidden},
		{"supervisor closes a colleague's", conv(StatusInProgress, "agentA"), mSupervisor, ""},
		{"collaboration: follower closes", conv(StatusInProgress, "agentA", "super"), mAgentA, ""},
		{"collaboration: supervisor collaborator may not (001:L4684)", conv(StatusInProgress, "agentA", "super"), mSupervisor, EForbidden},
		{"collaboration: admin outside may not", conv(StatusInProgress, "agentA", "agentB"), mAdmin, EForbidden},
		{"deactivated follower", conv(StatusInProgress, "gone"), mGone, EForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			err := c.Close(tt.actor, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if err == nil {
				if c.Status != StatusClosed {
					t.Errorf("status %s, want closed", c.Status)
				}
				if !slices.Equal(c.Participants(), tt.start.Participants()) {
					t.Errorf("participants %v, want kept %v", c.Participants(), tt.start.Participants())
				}
			}
		})
	}
}

func TestReopen(t *testing.T) {
	tests := []struct {
		name          string
		start         *Conversation
		actor         *Member
		code          string
		follower      string
		collaborators []string
	}{
		{"agent reopens and follows", conv(StatusClosed, "agentA"), mAgentB, "", "agentB", nil},
		{"follower reopens own", conv(StatusClosed, "agentA"), mAgentA, "", "agentA", nil},
		{"closed while pending, reopened", conv(StatusClosed, ""), mAgentB, "", "agentB", nil},
		{"collaborator reopens, follower unchanged (001:L4694)", conv(StatusClosed, "agentA", "agentB"), mAgentB, "", "agentA", []string{"agentB"}},
		{"supervisor reopens a collaboration without following", conv(StatusClosed, "agentA", "agentB"), mSupervisor, "", "agentA", []string{"agentB"}},
		{"outsider agent may not reopen a collaboration", conv(StatusClosed, "agentA", "agentB"), mAgentC, EForbidden, "agentA", []string{"agentB"}},
		{"marketer may not", conv(StatusClosed, "agentA"), mMarketer, EForbidden, "agentA", nil},
		{"the system may not", conv(StatusClosed, "agentA"), nil, EForbidden, "agentA", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			err := c.Reopen(tt.actor, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got, want := c.FollowerID, tt.follower; got != want {
				t.Errorf("follower %q, want %q", got, want)
			}
			if got, want := c.Collaborators, tt.collaborators; !slices.Equal(got, want) {
				t.Errorf("collaborators %v, want %v", got, want)
			}
			if err == nil && c.Status != StatusInProgress {
				t.Errorf("status %s, want in_progress", c.Status)
			}
		})
	}
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		name          string
		start         *Conversation
		actor, to     *Member
		code          string
		follower      string
		collaborators []string
	}{
		{"follower agent transfers", conv(StatusInProgress, "agentA"), mAgentA, mAgentB, "", "agentB", nil},
		{"follower CS manager transfers own", conv(StatusInProgress, "manager"), mManager, mAgentB, "", "agentB", nil},
		{"admin transfers a colleague's", conv(StatusInProgress, "agentA"), mAdmin, mAgentB, "", "agentB", nil},
		{"supervisor transfers to sales", conv(StatusInProgress, "agentA"), mSupervisor, mSales, "", "sales", nil},
		{"sales manager transfers a colleague's", conv(StatusInProgress, "sales"), mSalesMgr, mAgentB, "", "agentB", nil},
		{"agent may not transfer another's (001:L2333)", conv(StatusInProgress, "agentA"), mAgentB, mAgentC, EForbidden, "agentA", nil},
		{"CS manager may not transfer another's (not in 001:L2333)", conv(StatusInProgress, "agentA"), mManager, mAgentC, EForbidden, "agentA", nil},
		{"target deactivated", conv(StatusInProgress, "agentA"), mAgentA, mGone, EInvalid, "agentA", nil},
		{"target marketer", conv(StatusInProgress, "agentA"), mAgentA, mMarketer, EInvalid, "agentA", nil},
		{"target is the follower", conv(StatusInProgress, "agentA"), mAdmin, mAgentA, EInvalid, "agentA", nil},
		{"no target", conv(StatusInProgress, "agentA"), mAgentA, nil, EInvalid, "agentA", nil},
		{"collaboration to a collaborator: old follower collaborates (001:L4678)", conv(StatusInProgress, "agentA", "agentB", "agentC"), mAgentA, mAgentC, "", "agentC", []string{"agentB", "agentA"}},
		{"collaboration to an outsider", conv(StatusInProgress, "agentA", "agentB"), mAgentA, mAgentC, EInvalid, "agentA", []string{"agentB"}},
		{"collaborator may not transfer (001:L4677)", conv(StatusInProgress, "agentA", "agentB"), mAgentB, mAgentA, EForbidden, "agentA", []string{"agentB"}},
		{"admin outside may not transfer a collaboration", conv(StatusInProgress, "agentA", "agentB"), mAdmin, mAgentB, EForbidden, "agentA", []string{"agentB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			c.Unread = map[string]int{"agentA": 2, "agentB": 1}
			err := c.Transfer(tt.actor, tt.to, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got, want := c.FollowerID, tt.follower; got != want {
				t.Errorf("follower %q, want %q", got, want)
			}
			if got, want := c.Collaborators, tt.collaborators; !slices.Equal(got, want) {
				t.Errorf("collaborators %v, want %v", got, want)
			}
			if err == nil && !c.FollowedAt.Equal(t1) {
				t.Errorf("FollowedAt %v, want %v", c.FollowedAt, t1)
			}
		})
	}

	// A one-on-one transfer hands the old follower's unread count over.
	c := conv(StatusInProgress, "agentA")
	c.Unread = map[string]int{"agentA": 2}
	if err := c.Transfer(mAgentA, mAgentB, t1); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Unread, map[string]int{"agentB": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("unread after transfer %v, want %v", got, want)
	}
}

func TestAddCollaborators(t *testing.T) {
	five := []string{"agentB", "agentC", "agentD", "agentE", "agentF"}
	tests := []struct {
		name    string
		start   *Conversation
		actor   *Member
		add     []*Member
		code    string
		wantCol []string
	}{
		{"follower adds two", conv(StatusInProgress, "agentA"), mAgentA, []*Member{mAgentB, mSupervisor}, "", []string{"agentB", "super"}},
		{"duplicates and participants are skipped", conv(StatusInProgress, "agentA", "agentB"), mAgentA, []*Member{mAgentB, mAgentA, mAgentC, mAgentC}, "", []string{"agentB", "agentC"}},
		{"up to five", conv(StatusInProgress, "agentA", "agentB", "agentC"), mAgentA, []*Member{mAgentD, mAgentE, mAgentF}, "", five},
		{"six is too many", conv(StatusInProgress, "agentA", five...), mAgentA, []*Member{mAdmin}, EInvalid, five},
		{"six at once is too many", conv(StatusInProgress, "admin"), mAdmin, []*Member{mAgentA, mAgentB, mAgentC, mAgentD, mAgentE, mAgentF}, EInvalid, nil},
		{"supervisor collaborator adds", conv(StatusInProgress, "agentA", "super"), mSupervisor, []*Member{mAgentB}, "", []string{"super", "agentB"}},
		{"marketing-CS collaborator adds", conv(StatusInProgress, "agentA", "mktcs"), mMktCS, []*Member{mAgentB}, "", []string{"mktcs", "agentB"}},
		{"agent collaborator may not add", conv(StatusInProgress, "agentA", "agentB"), mAgentB, []*Member{mAgentC}, EForbidden, []string{"agentB"}},
		{"admin outside must join first", conv(StatusInProgress, "agentA"), mAdmin, []*Member{mAgentC}, EForbidden, nil},
		{"deactivated member refused", conv(StatusInProgress, "agentA"), mAgentA, []*Member{mAgentB, mGone}, EInvalid, nil},
		{"marketer refused", conv(StatusInProgress, "agentA"), mAgentA, []*Member{mMarketer}, EInvalid, nil},
		{"not while pending", conv(StatusPending, ""), mAgentA, []*Member{mAgentB}, EConflict, nil},
		{"not while closed", conv(StatusClosed, "agentA"), mAgentA, []*Member{mAgentB}, EConflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			err := c.AddCollaborators(tt.actor, tt.add, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got := c.Collaborators; !slices.Equal(got, tt.wantCol) {
				t.Errorf("collaborators %v, want %v", got, tt.wantCol)
			}
		})
	}
}

func TestJoinAsCollaborator(t *testing.T) {
	tests := []struct {
		name  string
		start *Conversation
		actor *Member
		code  string
	}{
		{"admin joins a one-on-one", conv(StatusInProgress, "agentA"), mAdmin, ""},
		{"supervisor joins", conv(StatusInProgress, "agentA", "agentB"), mSupervisor, ""},
		{"CS manager joins", conv(StatusInProgress, "agentA"), mManager, ""},
		{"marketing-CS may not join on its own (001:L4643)", conv(StatusInProgress, "agentA"), mMktCS, EForbidden},
		{"agent may not join", conv(StatusInProgress, "agentA"), mAgentB, EForbidden},
		{"already a collaborator", conv(StatusInProgress, "agentA", "admin"), mAdmin, EConflict},
		{"the follower", conv(StatusInProgress, "admin"), mAdmin, EConflict},
		{"full", conv(StatusInProgress, "agentA", "agentB", "agentC", "agentD", "agentE", "agentF"), mAdmin, EInvalid},
		{"pending", conv(StatusPending, ""), mAdmin, EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			err := c.JoinAsCollaborator(tt.actor, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got, want := c.IsCollaborator(tt.actor.ID), err == nil || tt.code == EConflict && tt.start.IsCollaborator(tt.actor.ID); got != want {
				t.Errorf("IsCollaborator = %v, want %v", got, want)
			}
		})
	}
}

func TestRemoveCollaborator(t *testing.T) {
	tests := []struct {
		name    string
		start   *Conversation
		actor   *Member
		remove  string
		code    string
		wantCol []string
	}{
		{"follower removes", conv(StatusInProgress, "agentA", "agentB", "agentC"), mAgentA, "agentB", "", []string{"agentC"}},
		{"collaborator leaves", conv(StatusInProgress, "agentA", "agentB", "agentC"), mAgentB, "agentB", "", []string{"agentC"}},
		{"collaborator leaves a closed collaboration", conv(StatusClosed, "agentA", "agentB"), mAgentB, "agentB", "", nil},
		{"admin outside removes (001:L4650)", conv(StatusInProgress, "agentA", "agentB"), mAdmin, "agentB", "", nil},
		{"marketing-CS removes", conv(StatusInProgress, "agentA", "agentB"), mMktCS, "agentB", "", nil},
		{"agent collaborator may not remove another", conv(StatusInProgress, "agentA", "agentB", "agentC"), mAgentB, "agentC", EForbidden, []string{"agentB", "agentC"}},
		{"not a collaborator", conv(StatusInProgress, "agentA", "agentB"), mAgentA, "agentC", EInvalid, []string{"agentB"}},
		{"the follower is not a collaborator", conv(StatusInProgress, "agentA", "agentB"), mAdmin, "agentA", EInvalid, []string{"agentB"}},
		{"no collaborators at all", conv(StatusInProgress, "agentA"), mAgentA, "agentB", EConflict, nil},
		{"pending", conv(StatusPending, ""), mAdmin, "agentB", EConflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			c.Unread = map[string]int{"agentA": 1, "agentB": 1, "agentC": 1}
			err := c.RemoveCollaborator(tt.actor, tt.remove, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got := c.Collaborators; !slices.Equal(got, tt.wantCol) {
				t.Errorf("collaborators %v, want %v", got, tt.wantCol)
			}
			if err == nil {
				if _, ok := c.Unread[tt.remove]; ok {
					t.Errorf("removed collaborator keeps an unread count")
				}
				if len(tt.wantCol) == 0 && c.IsCollaboration() {
					t.Errorf("without collaborators the conversation should be one-on-one")
				}
			}
		})
	}
}

func TestTakeover(t *testing.T) {
	tests := []struct {
		name          string
		start         *Conversation
		actor         *Member
		code          string
		follower      string
		collaborators []string
		unread        map[string]int
	}{
		{"admin collaborator takes over; follower collaborates", conv(StatusInProgress, "agentA", "agentB", "admin"), mAdmin, "",
			"admin", []string{"agentB", "agentA"}, map[string]int{"agentA": 2, "agentB": 1}},
		{"marketing-CS collaborator takes over", conv(StatusInProgress, "agentA", "mktcs"), mMktCS, "",
			"mktcs", []string{"agentA"}, map[string]int{"agentA": 2, "agentB": 1}},
		{"agent collaborator may not", conv(StatusInProgress, "agentA", "agentB"), mAgentB, EForbidden,
			"agentA", []string{"agentB"}, map[string]int{"agentA": 2, "agentB": 1}},
		{"admin outside a collaboration must join first", conv(StatusInProgress, "agentA", "agentB"), mAdmin, EForbidden,
			"agentA", []string{"agentB"}, map[string]int{"agentA": 2, "agentB": 1}},
		{"supervisor takes a colleague's one-on-one (001:L2351)", conv(StatusInProgress, "agentA"), mSupervisor, "",
			"super", nil, map[string]int{"super": 2, "agentB": 1}},
		{"agent may not take a colleague's one-on-one", conv(StatusInProgress, "agentA"), mAgentB, EForbidden,
			"agentA", nil, map[string]int{"agentA": 2, "agentB": 1}},
		{"follower cannot take over own", conv(StatusInProgress, "admin"), mAdmin, EConflict,
			"admin", nil, map[string]int{"agentA": 2, "agentB": 1}},
		{"not while closed", conv(StatusClosed, "agentA"), mAdmin, EConflict,
			"agentA", nil, map[string]int{"agentA": 2, "agentB": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			c.Unread = map[string]int{"agentA": 2, "agentB": 1}
			err := c.Takeover(tt.actor, t1)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("code %q, want %q (%v)", got, tt.code, err)
			}
			if got, want := c.FollowerID, tt.follower; got != want {
				t.Errorf("follower %q, want %q", got, want)
			}
			if got, want := c.Collaborators, tt.collaborators; !slices.Equal(got, want) {
				t.Errorf("collaborators %v, want %v", got, want)
			}
			if got, want := c.Unread, tt.unread; !reflect.DeepEqual(got, want) {
				t.Errorf("unread %v, want %v", got, want)
			}
		})
	}
}

func TestOnMemberDeactivated(t *testing.T) {
	tests := []struct {
		name          string
		start         *Conversation
		id            string
		changed       bool
		status        ConversationStatus
		follower      string
		collaborators []string
	}{
		{"follower replaced by the first collaborator (001:L4756)", conv(StatusInProgress, "agentA", "agentC", "agentB"), "agentA", true,
			StatusInProgress, "agentC", []string{"agentB"}},
		{"last collaborator promoted: one-on-one", conv(StatusInProgress, "agentA", "agentB"), "agentA", true,
			StatusInProgress, "agentB", nil},
		{"collaborator removed", conv(StatusInProgress, "agentA", "agentB", "agentC"), "agentB", true,
			StatusInProgress, "agentA", []string{"agentC"}},
		{"only collaborator removed: one-on-one", conv(StatusInProgress, "agentA", "agentB"), "agentB", true,
			StatusInProgress, "agentA", nil},
		{"closed collaboration follower replaced", conv(StatusClosed, "agentA", "agentB"), "agentA", true,
			StatusClosed, "agentB", nil},
		{"one-on-one follower: back to pending", conv(StatusInProgress, "agentA"), "agentA", true,
			StatusPending, "", nil},
		{"closed one-on-one keeps the record", conv(StatusClosed, "agentA"), "agentA", false,
			StatusClosed, "agentA", nil},
		{"someone else", conv(StatusInProgress, "agentA", "agentB"), "agentC", false,
			StatusInProgress, "agentA", []string{"agentB"}},
		{"empty id", conv(StatusInProgress, "agentA"), "", false,
			StatusInProgress, "agentA", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			c.Unread = map[string]int{"agentA": 2}
			if got := c.OnMemberDeactivated(tt.id, t1); got != tt.changed {
				t.Errorf("changed = %v, want %v", got, tt.changed)
			}
			if got, want := c.Status, tt.status; got != want {
				t.Errorf("status %s, want %s", got, want)
			}
			if got, want := c.FollowerID, tt.follower; got != want {
				t.Errorf("follower %q, want %q", got, want)
			}
			if got, want := c.Collaborators, tt.collaborators; !slices.Equal(got, want) {
				t.Errorf("collaborators %v, want %v", got, want)
			}
			if tt.changed && c.Unread[tt.id] != 0 {
				t.Errorf("deactivated member keeps unread %d", c.Unread[tt.id])
			}
		})
	}
	c := conv(StatusInProgress, "agentA")
	c.Unread = map[string]int{"agentA": 2}
	c.OnMemberDeactivated("agentA", t1)
	if got, want := c.Unread, map[string]int{PendingReader: 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("unread back to the team: %v, want %v", got, want)
	}
	if got, want := c.PendingKind, PendingHuman; got != want {
		t.Errorf("pending kind %q, want %q", got, want)
	}
}

func TestCanReply(t *testing.T) {
	tests := []struct {
		name  string
		start *Conversation
		who   string
		want  bool
	}{
		{"follower of a one-on-one", conv(StatusInProgress, "agentA"), "agentA", true},
		{"colleague of a one-on-one", conv(StatusInProgress, "agentA"), "admin", false},
		{"collaborator", conv(StatusInProgress, "agentA", "agentB"), "agentB", true},
		{"follower of a collaboration", conv(StatusInProgress, "agentA", "agentB"), "agentA", true},
		{"admin not yet collaborating (001:L4642)", conv(StatusInProgress, "agentA", "agentB"), "admin", false},
		{"pending: follow first", conv(StatusPending, ""), "agentA", false},
		{"closed: reopen first", conv(StatusClosed, "agentA"), "agentA", false},
		{"empty id", conv(StatusInProgress, "agentA"), "", false},
	}
	for _, tt := range tests {
		if got := tt.start.CanReply(tt.who); got != tt.want {
			t.Errorf("%s: CanReply(%q) = %v, want %v", tt.name, tt.who, got, tt.want)
		}
	}
}

func TestUnreadPerParticipant(t *testing.T) {
	c := conv(StatusInProgress, "agentA", "agentB")
	for range 3 {
		if err := c.OnCustomerMessage(MsgText, false, false, t1); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		do     func() error
		unread map[string]int
	}{
		{"three messages", func() error { return nil }, map[string]int{"agentA": 3, "agentB": 3}},
		{"admin reads from the team view", func() error { c.MarkRead("admin"); return nil }, map[string]int{"agentA": 3, "agentB": 3}},
		{"collaborator reads", func() error { c.MarkRead("agentB"); return nil }, map[string]int{"agentA": 3}},
		{"admin may not reply", func() error {
			if got, want := ErrorCode(c.OnStaffReply(mAdmin, t1)), EForbidden; got != want {
				return fmt.Errorf("code %q, want %q", got, want)
			}
			return nil
		}, map[string]int{"agentA": 3}},
		{"another message", func() error { return c.OnCustomerMessage(MsgText, false, false, t1) }, map[string]int{"agentA": 4, "agentB": 1}},
		{"follower replies: clears own only", func() error { return c.OnStaffReply(mAgentA, t1) }, map[string]int{"agentB": 1}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := maps.Clone(c.Unread)
		if got == nil {
			got = map[string]int{}
		}
		if !reflect.DeepEqual(got, s.unread) {
			t.Fatalf("%s: unread %v, want %v", s.name, got, s.unread)
		}
	}
	if !c.LastStaffAt.Equal(t1) {
		t.Errorf("LastStaffAt %v, want %v", c.LastStaffAt, t1)
	}
	if got, want := c.MarkRead("agentA"), false; got != want {
		t.Errorf("MarkRead with nothing unread = %v, want %v", got, want)
	}
	if got, want := c.MarkRead("agentB"), true; got != want {
		t.Errorf("MarkRead with unread = %v, want %v", got, want)
	}
}

func TestActionsFor(t *testing.T) {
	tests := []struct {
		name  string
		start *Conversation
		m     *Member
		want  []Action
	}{
		{"agent on pending", conv(StatusPending, ""), mAgentA, []Action{ActionFollow, ActionClose}},
		{"marketer on pending", conv(StatusPending, ""), mMarketer, nil},
		{"follower of a one-on-one", conv(StatusInProgress, "agentA"), mAgentA,
			[]Action{ActionClose, ActionTransfer, ActionAddCollaborators, ActionReply}},
		{"admin on a colleague's one-on-one", conv(StatusInProgress, "agentA"), mAdmin,
			[]Action{ActionClose, ActionTransfer, ActionJoin, ActionTakeover}},
		{"agent on a colleague's one-on-one", conv(StatusInProgress, "agentA"), mAgentB, nil},
		{"agent collaborator", conv(StatusInProgress, "agentA", "agentB"), mAgentB, []Action{ActionLeave, ActionReply}},
		{"supervisor collaborator", conv(StatusInProgress, "agentA", "super"), mSupervisor,
			[]Action{ActionAddCollaborators, ActionRemoveCollaborator, ActionLeave, ActionTakeover, ActionReply}},
		{"follower of a collaboration", conv(StatusInProgress, "agentA", "agentB"), mAgentA,
			[]Action{ActionClose, ActionTransfer, ActionAddCollaborators, ActionRemoveCollaborator, ActionReply}},
		{"collaborator of a closed collaboration", conv(StatusClosed, "agentA", "agentB"), mAgentB, []Action{ActionReopen, ActionLeave}},
		{"deactivated", conv(StatusInProgress, "gone"), mGone, nil},
	}
	for _, tt := range tests {
		if got := tt.start.ActionsFor(tt.m); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ActionsFor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCollaborationLifecycle walks one collaboration through the seed's story
// (001:L4613-L4700): add, reply, close, customer writes again, transfer,
// deactivation.
func TestCollaborationLifecycle(t *testing.T) {
	c := &Conversation{ID: "c1"}
	steps := []struct {
		name          string
		do            func() error
		status        ConversationStatus
		follower      string
		collaborators []string
	}{
		{"customer writes", func() error { return c.OnCustomerMessage(MsgText, false, false, t0) }, StatusPending, "", nil},
		{"agent A follows", func() error { return c.Follow(mAgentA, t0) }, StatusInProgress, "agentA", nil},
		{"A adds B and the supervisor", func() error { return c.AddCollaborators(mAgentA, []*Member{mAgentB, mSupervisor}, t0) },
			StatusInProgress, "agentA", []string{"agentB", "super"}},
		{"B replies", func() error { return c.OnStaffReply(mAgentB, t0) }, StatusInProgress, "agentA", []string{"agentB", "super"}},
		{"supervisor cannot close", func() error {
			if ErrorCode(c.Close(mSupervisor, t0)) != EForbidden {
				return fmt.Errorf("supervisor closed a collaboration")
			}
			return nil
		}, StatusInProgress, "agentA", []string{"agentB", "super"}},
		{"A closes", func() error { return c.Close(mAgentA, t0) }, StatusClosed, "agentA", []string{"agentB", "super"}},
		{"customer writes again: in progress, never pending", func() error { return c.OnCustomerMessage(MsgImage, false, true, t1) },
			StatusInProgress, "agentA", []string{"agentB", "super"}},
		{"A transfers to B", func() error { return c.Transfer(mAgentA, mAgentB, t1) }, StatusInProgress, "agentB", []string{"agentA", "super"}},
		{"supervisor takes over", func() error { return c.Takeover(mSupervisor, t1) }, StatusInProgress, "super", []string{"agentA", "agentB"}},
		{"supervisor deactivated: A promoted", func() error { c.OnMemberDeactivated("super", t1); return nil }, StatusInProgress, "agentA", []string{"agentB"}},
		{"B leaves: one-on-one", func() error { return c.RemoveCollaborator(mAgentB, "agentB", t1) }, StatusInProgress, "agentA", nil},
		{"A closes", func() error { return c.Close(mAgentA, t1) }, StatusClosed, "agentA", nil},
		{"customer writes: pending again", func() error { return c.OnCustomerMessage(MsgText, true, false, t1) }, StatusPending, "", nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if c.Status != s.status || c.FollowerID != s.follower || !slices.Equal(c.Collaborators, s.collaborators) {
			t.Fatalf("%s: got %s/%q/%v, want %s/%q/%v", s.name, c.Status, c.FollowerID, c.Collaborators, s.status, s.follower, s.collaborators)
		}
	}
}

func TestHandlesConversations(t *testing.T) {
	for _, r := range Roles {
		if got, want := r.HandlesConversations(), r != RoleMarketer; got != want {
			t.Errorf("%s.HandlesConversations() = %v, want %v", r, got, want)
		}
	}
	if Role("janitor").HandlesConversations() {
		t.Error("unknown role handles conversations")
	}
}
