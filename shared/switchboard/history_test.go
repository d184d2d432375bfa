package switchboard

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestHistoryRecordsEveryChange runs each change of the state machine and
// checks the one entry it adds to the status record.
func TestHistoryRecordsEveryChange(t *testing.T) {
	tests := []struct {
		name   string
		start  *Conversation
		change func(c *Conversation) error
		want   HistoryEntry
	}{
		{"first message opens", &Conversation{ID: "c1"},
			func(c *Conversation) error { return c.OnCustomerMessage(MsgText, false, false, t1) },
			HistoryEntry{At: t1, Kind: HistoryOpened}},
		{"a message after a close waits again", conv(StatusClosed, "agentA"),
			func(c *Conversation) error { return c.OnCustomerMessage(MsgText, false, false, t1) },
			HistoryEntry{At: t1, Kind: HistoryPending}},
		{"a message after a closed collaboration resumes it", conv(StatusClosed, "agentA", "agentB"),
			func(c *Conversation) error { return c.OnCustomerMessage(MsgText, false, false, t1) },
			HistoryEntry{At: t1, Kind: HistoryResumed}},
		{"follow", conv(StatusPending, ""),
			func(c *Conversation) error { return c.Follow(mAgentA, t1) },
			HistoryEntry{At: t1, Kind: HistoryFollowed, ActorID: "agentA"}},
		{"automatic assignment", conv(StatusPending, ""),
			func(c *Conversation) error { return c.Assign(mAgentA, t1) },
			HistoryEntry{At: t1, Kind: HistoryAssigned, Members: []string{"agentA"}}},
		{"close", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { return c.Close(mAgentA, t1) },
			HistoryEntry{At: t1, Kind: HistoryClosed, ActorID: "agentA"}},
		{"auto-end", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { return c.Close(nil, t1) },
			HistoryEntry{At: t1, Kind: HistoryAutoEnded}},
		{"reopen", conv(StatusClosed, "agentA"),
			func(c *Conversation) error { return c.Reopen(mAgentA, t1) },
			HistoryEntry{At: t1, Kind: HistoryReopened, ActorID: "agentA"}},
		{"transfer", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { return c.Transfer(mAgentA, mAgentB, t1) },
			HistoryEntry{At: t1, Kind: HistoryTransferred, ActorID: "agentA", Members: []string{"agentB"}}},
		{"add collaborators, skipping one already in", conv(StatusInProgress, "agentA", "agentB"),
			func(c *Conversation) error {
				return c.AddCollaborators(mAgentA, []*Member{mAgentB, mAgentC, mAgentD}, t1)
			},
			HistoryEntry{At: t1, Kind: HistoryCollaboratorsAdded, ActorID: "agentA", Members: []string{"agentC", "agentD"}}},
		{"join", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { return c.JoinAsCollaborator(mSupervisor, t1) },
			HistoryEntry{At: t1, Kind: HistoryJoined, ActorID: "super"}},
		{"remove a collaborator", conv(StatusInProgress, "agentA", "agentB"),
			func(c *Conversation) error { return c.RemoveCollaborator(mAgentA, "agentB", t1) },
			HistoryEntry{At: t1, Kind: HistoryCollaboratorRemoved, ActorID: "agentA", Members: []string{"agentB"}}},
		{"leave", conv(StatusInProgress, "agentA", "agentB"),
			func(c *Conversation) error { return c.RemoveCollaborator(mAgentB, "agentB", t1) },
			HistoryEntry{At: t1, Kind: HistoryLeft, ActorID: "agentB"}},
		{"take over", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { return c.Takeover(mSupervisor, t1) },
			HistoryEntry{At: t1, Kind: HistoryTakenOver, ActorID: "super", Members: []string{"agentA"}}},
		{"deactivated follower, collaborator promoted", conv(StatusInProgress, "agentA", "agentB"),
			func(c *Conversation) error { c.OnMemberDeactivated("agentA", t1); return nil },
			HistoryEntry{At: t1, Kind: HistoryMemberDeactivated, Members: []string{"agentA", "agentB"}}},
		{"deactivated follower, back to pending", conv(StatusInProgress, "agentA"),
			func(c *Conversation) error { c.OnMemberDeactivated("agentA", t1); return nil },
			HistoryEntry{At: t1, Kind: HistoryMemberDeactivated, Members: []string{"agentA"}}},
		{"deactivated collaborator", conv(StatusInProgress, "agentA", "agentB"),
			func(c *Conversation) error { c.OnMemberDeactivated("agentB", t1); return nil },
			HistoryEntry{At: t1, Kind: HistoryMemberDeactivated, Members: []string{"agentB"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			if err := tt.change(c); err != nil {
				t.Fatal(err)
			}
			if got, want := c.History, []HistoryEntry{tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("history = %+v, want %+v", got, want)
			}
		})
	}
}

// TestHistoryRecordsNothingElse: refused actions and changes that are not a
// change of status or of who handles the conversation add nothing.
func TestHistoryRecordsNothingElse(t *testing.T) {
	tests := []struct {
		name   string
		start  *Conversation
		change func(c *Conversation)
	}{
		{"a refused follow", conv(StatusInProgress, "agentA"), func(c *Conversation) { _ = c.Follow(mAgentB, t1) }},
		{"a refused close", conv(StatusInProgress, "agentA", "agentB"), func(c *Conversation) { _ = c.Close(mAgentB, t1) }},
		{"a refused transfer", conv(StatusInProgress, "agentA"), func(c *Conversation) { _ = c.Transfer(mAgentA, mGone, t1) }},
		{"adding only members already in", conv(StatusInProgress, "agentA", "agentB"), func(c *Conversation) { _ = c.AddCollaborators(mAgentA, []*Member{mAgentB}, t1) }},
		{"adding too many", conv(StatusInProgress, "agentA", "agentB", "agentC", "agentD", "agentE", "agentF"), func(c *Conversation) { _ = c.AddCollaborators(mAgentA, []*Member{mManager}, t1) }},
		{"a message while pending", conv(StatusPending, ""), func(c *Conversation) { _ = c.OnCustomerMessage(MsgImage, false, false, t1) }},
		{"a message in progress", conv(StatusInProgress, "agentA"), func(c *Conversation) { _ = c.OnCustomerMessage(MsgText, false, false, t1) }},
		{"a staff reply", conv(StatusInProgress, "agentA"), func(c *Conversation) { _ = c.OnStaffReply(mAgentA, t1) }},
		{"deactivating a stranger", conv(StatusInProgress, "agentA"), func(c *Conversation) { c.OnMemberDeactivated("agentZ", t1) }},
		{"deactivating the follower of a closed one", conv(StatusClosed, "agentA"), func(c *Conversation) { c.OnMemberDeactivated("agentA", t1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clone(tt.start)
			tt.change(c)
			if len(c.History) != 0 {
				t.Errorf("history = %+v, want none", c.History)
			}
		})
	}
}

// TestHistoryIsBounded keeps the newest MaxHistory entries.
func TestHistoryIsBounded(t *testing.T) {
	c := conv(StatusPending, "")
	for i := range MaxHistory + 7 {
		at := t0.Add(time.Duration(i) * time.Second)
		if err := c.Follow(mAgentA, at); err != nil {
			t.Fatal(err)
		}
		c.Status, c.FollowerID = StatusPending, ""
	}
	if got, want := len(c.History), MaxHistory; got != want {
		t.Fatalf("%d entries, want %d", got, want)
	}
	if got, want := c.History[0].At, t0.Add(7*time.Second); !got.Equal(want) {
		t.Errorf("oldest kept entry at %v, want %v", got, want)
	}
	if got, want := c.History[MaxHistory-1].At, t0.Add((MaxHistory+6)*time.Second); !got.Equal(want) {
		t.Errorf("newest entry at %v, want %v", got, want)
	}
}

// TestHistoryText pins the wording of every kind.
func TestHistoryText(t *testing.T) {
	names := map[string]string{"jess": "Jess", "a": "Jess A", "b": "Jess B"}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
	tests := []struct {
		e    HistoryEntry
		want string
	}{
		{HistoryEntry{Kind: HistoryOpened}, "顧客開始了對話。"},
		{HistoryEntry{Kind: HistoryPending}, "顧客再次傳送訊息，對話回到待處理。"},
		{HistoryEntry{Kind: HistoryResumed}, "顧客再次傳送訊息，協作對話回到處理中。"},
		{HistoryEntry{Kind: HistoryFollowed, ActorID: "jess"}, "Jess 跟進了對話。"},
		{HistoryEntry{Kind: HistoryAssigned, Members: []string{"a"}}, "對話自動分配給了 Jess A。"},
		{HistoryEntry{Kind: HistoryClosed, ActorID: "jess"}, "Jess 結束了對話。"},
		{HistoryEntry{Kind: HistoryAutoEnded}, "顧客未在設定時間內回覆，對話自動結束。"},
		{HistoryEntry{Kind: HistoryReopened, ActorID: "jess"}, "Jess 重啟了對話。"},
		{HistoryEntry{Kind: HistoryTransferred, ActorID: "jess", Members: []string{"a"}}, "Jess 將對話轉給了 Jess A。"},
		{HistoryEntry{Kind: HistoryCollaboratorsAdded, ActorID: "jess", Members: []string{"a", "b"}}, "Jess 將 Jess A、Jess B 加入了協作對話。"},
		{HistoryEntry{Kind: HistoryJoined, ActorID: "jess"}, "Jess 加入了協作對話。"},
		{HistoryEntry{Kind: HistoryCollaboratorRemoved, ActorID: "jess", Members: []string{"a"}}, "Jess 將 Jess A 退出了協作對話。"},
		{HistoryEntry{Kind: HistoryLeft, ActorID: "jess"}, "Jess 退出了協作對話。"},
		{HistoryEntry{Kind: HistoryTakenOver, ActorID: "jess", Members: []string{"a"}}, "Jess 接手跟進了 Jess A 的對話。"},
		{HistoryEntry{Kind: HistoryMemberDeactivated, Members: []string{"a"}}, "Jess A 已停用，退出了對話。"},
		{HistoryEntry{Kind: HistoryMemberDeactivated, Members: []string{"a", "b"}}, "Jess A 已停用，由 Jess B 跟進對話。"},
		{HistoryEntry{Kind: HistoryTransferred, ActorID: "jess", Members: []string{"gone"}}, "Jess 將對話轉給了 gone。"},
		{HistoryEntry{Kind: "fromTheFuture"}, "fromTheFuture"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.e.Kind, tt.e.Members), func(t *testing.T) {
			if got := tt.e.Text(name); got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHistorySince finds what a change added, also once the record is full
// and every change drops the oldest entry.
func TestHistorySince(t *testing.T) {
	c := conv(StatusPending, "")
	follow := func(at time.Time) {
		t.Helper()
		if err := c.Follow(mAgentA, at); err != nil {
			t.Fatal(err)
		}
		c.Status, c.FollowerID = StatusPending, ""
	}
	if got := c.HistorySince(0); len(got) != 0 {
		t.Fatalf("empty record: %+v", got)
	}
	for i := range MaxHistory + 3 {
		before := c.HistoryTotal
		at := t0.Add(time.Duration(i) * time.Second)
		follow(at)
		got := c.HistorySince(before)
		if len(got) != 1 || !got[0].At.Equal(at) {
			t.Fatalf("change %d added %+v, want the entry at %v", i, got, at)
		}
	}
	if got, want := c.HistoryTotal, int64(MaxHistory+3); got != want {
		t.Errorf("total = %d, want %d", got, want)
	}
	// Asking from before what the record still holds gives what it holds.
	if got := c.HistorySince(0); len(got) != MaxHistory {
		t.Errorf("since 0: %d entries, want %d", len(got), MaxHistory)
	}
	if got := c.HistorySince(c.HistoryTotal); len(got) != 0 {
		t.Errorf("since now: %+v", got)
	}
}

// TestSystemMessage pins which entries the conversation shows as system
// messages, in the seed's wording (001:L4638-L4700).
func TestSystemMessage(t *testing.T) {
	names := map[string]string{"jess": "Jess", "a": "Jess A", "b": "Jess B", "c": "Jess C"}
	name := func(id string) string { return names[id] }
	tests := []struct {
		e    HistoryEntry
		want string
	}{
		{HistoryEntry{Kind: HistoryCollaboratorsAdded, ActorID: "jess", Members: []string{"a"}}, "Jess A 加入了協作對話。"},
		{HistoryEntry{Kind: HistoryCollaboratorsAdded, ActorID: "jess", Members: []string{"a", "b", "c"}}, "Jess A 與其他 2 人加入了協作對話。"},
		{HistoryEntry{Kind: HistoryJoined, ActorID: "jess"}, "Jess 加入了協作對話。"},
		{HistoryEntry{Kind: HistoryCollaboratorRemoved, ActorID: "jess", Members: []string{"a"}}, "Jess A 退出了協作對話。"},
		{HistoryEntry{Kind: HistoryLeft, ActorID: "jess"}, "Jess 退出了協作對話。"},
		{HistoryEntry{Kind: HistoryTakenOver, ActorID: "jess", Members: []string{"a"}}, "Jess 跟進了對話。"},
		{HistoryEntry{Kind: HistoryTransferred, ActorID: "jess", Members: []string{"a"}}, "Jess A 跟進了對話。"},
		{HistoryEntry{Kind: HistoryCollaboratorsAdded, ActorID: "jess"}, ""},
		{HistoryEntry{Kind: HistoryFollowed, ActorID: "jess"}, ""},
		{HistoryEntry{Kind: HistoryClosed, ActorID: "jess"}, ""},
		{HistoryEntry{Kind: HistoryReopened, ActorID: "jess"}, ""},
		{HistoryEntry{Kind: HistoryAssigned, Members: []string{"a"}}, ""},
		{HistoryEntry{Kind: HistoryAutoEnded}, ""},
		{HistoryEntry{Kind: HistoryMemberDeactivated, Members: []string{"a"}}, ""},
		{HistoryEntry{Kind: HistoryOpened}, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.e.Kind, tt.e.Members), func(t *testing.T) {
			if got := tt.e.SystemMessage(name); got != tt.want {
				t.Errorf("SystemMessage = %q, want %q", got, tt.want)
			}
			if got, want := tt.e.HasSystemMessage(), tt.want != ""; got != want {
				t.Errorf("HasSystemMessage = %v, want %v", got, want)
			}
		})
	}
}
