package switchboard

import (
	"fmt"
	"strings"
	"time"
)

// HistoryKind names one kind of change in a conversation's status record.
type HistoryKind string

// History kinds: every change of status or of who handles the conversation
// (002 "事件狀態紀錄", 001:L2365, and the collaboration records of
// 001:L4638-L4700).
const (
	// HistoryOpened: the customer's first message opened the conversation.
	HistoryOpened HistoryKind = "opened"
	// HistoryPending: the customer wrote after a close, and the conversation
	// waits again.
	HistoryPending HistoryKind = "pending"
	// HistoryResumed: the customer wrote after a close, and the collaboration
	// is back in progress with its participants (001:L4623).
	HistoryResumed HistoryKind = "resumed"
	// HistoryFollowed: the actor followed a pending conversation.
	HistoryFollowed HistoryKind = "followed"
	// HistoryAssigned: automatic assignment (a keyword rule or working hours)
	// gave the conversation to Members[0].
	HistoryAssigned HistoryKind = "assigned"
	// HistoryClosed: the actor closed the conversation.
	HistoryClosed HistoryKind = "closed"
	// HistoryAutoEnded: auto-end closed it because the customer did not answer.
	HistoryAutoEnded HistoryKind = "autoEnded"
	// HistoryReopened: the actor reopened a closed conversation.
	HistoryReopened HistoryKind = "reopened"
	// HistoryTransferred: the actor handed the conversation to Members[0].
	HistoryTransferred HistoryKind = "transferred"
	// HistoryCollaboratorsAdded: the actor added Members as collaborators.
	HistoryCollaboratorsAdded HistoryKind = "collaboratorsAdded"
	// HistoryJoined: the actor joined as a collaborator on their own.
	HistoryJoined HistoryKind = "joined"
	// HistoryCollaboratorRemoved: the actor took Members[0] out of the
	// collaboration.
	HistoryCollaboratorRemoved HistoryKind = "collaboratorRemoved"
	// HistoryLeft: the actor left the collaboration.
	HistoryLeft HistoryKind = "left"
	// HistoryTakenOver: the actor took the conversation over from Members[0].
	HistoryTakenOver HistoryKind = "takenOver"
	// HistoryMemberDeactivated: Members[0] was deactivated and left the
	// conversation; Members[1], when present, became its follower.
	HistoryMemberDeactivated HistoryKind = "memberDeactivated"
)

// MaxHistory bounds a conversation's status record. The record lives on the
// conversation item, so it is written atomically with the change it describes
// and costs no extra request; but the router rewrites that item for every
// customer message, and write capacity is billed per KB (twice over in a
// transaction). An entry takes about 135 bytes, so 20 of them add at most
// about 2.7 KB, where 50 added 7: some six follow-and-close cycles of
// history, at the price of three write units per message at worst. Older
// entries are dropped.
const MaxHistory = 20

// HistoryEntry is one line of a conversation's status record: what changed,
// when, and who did it, so operators can see who handled a conversation and
// when (001:L2365).
type HistoryEntry struct {
	At   time.Time   `json:"at"`
	Kind HistoryKind `json:"kind"`
	// ActorID is the member who acted; empty when the customer or the system
	// (automatic assignment, auto-end, a deactivation) caused the change.
	ActorID string `json:"actorId,omitempty"`
	// Members are the members the change was about: whom it was transferred
	// or assigned to, who was added or removed, whom it was taken from.
	Members []string `json:"members,omitempty"`
}

// record appends an entry to the status record, dropping the oldest beyond
// MaxHistory, and counts it in HistoryTotal.
func (c *Conversation) record(kind HistoryKind, actor *Member, members []string, now time.Time) {
	e := HistoryEntry{At: now, Kind: kind, Members: members}
	if actor != nil {
		e.ActorID = actor.ID
	}
	c.History = append(c.History, e)
	c.HistoryTotal++
	if n := len(c.History) - MaxHistory; n > 0 {
		c.History = append(c.History[:0:0], c.History[n:]...)
	}
}

// HistorySince returns the entries recorded after the record counted total
// entries: what a change just added, for the caller who took HistoryTotal
// before making it.
func (c *Conversation) HistorySince(total int64) []HistoryEntry {
	n := min(max(c.HistoryTotal-total, 0), int64(len(c.History)))
	return c.History[int64(len(c.History))-n:]
}

// Text renders the entry as the status record shows it, in the wording of
// SHOPLINE's collaboration records (001:L4638-L4700). name gives a member's
// display name; pass one that falls back to the id for members who are gone.
func (e HistoryEntry) Text(name func(memberID string) string) string {
	actor := name(e.ActorID)
	first := ""
	if len(e.Members) > 0 {
		first = name(e.Members[0])
	}
	names := make([]string, len(e.Members))
	for i, m := range e.Members {
		names[i] = name(m)
	}
	list := strings.Join(names, "、")
	switch e.Kind {
	case HistoryOpened:
		return "顧客開始了對話。"
	case HistoryPending:
		return "顧客再次傳送訊息，對話回到待處理。"
	case HistoryResumed:
		return "顧客再次傳送訊息，協作對話回到處理中。"
	case HistoryFollowed:
		return actor + " 跟進了對話。"
	case HistoryAssigned:
		return "對話自動分配給了 " + first + "。"
	case HistoryClosed:
		return actor + " 結束了對話。"
	case HistoryAutoEnded:
		return "顧客未在設定時間內回覆，對話自動結束。"
	case HistoryReopened:
		return actor + " 重啟了對話。"
	case HistoryTransferred:
		return actor + " 將對話轉給了 " + first + "。"
	case HistoryCollaboratorsAdded:
		return actor + " 將 " + list + " 加入了協作對話。"
	case HistoryJoined:
		return actor + " 加入了協作對話。"
	case HistoryCollaboratorRemoved:
		return actor + " 將 " + list + " 退出了協作對話。"
	case HistoryLeft:
		return actor + " 退出了協作對話。"
	case HistoryTakenOver:
		return actor + " 接手跟進了 " + first + " 的對話。"
	case HistoryMemberDeactivated:
		if len(e.Members) > 1 {
			return first + " 已停用，由 " + name(e.Members[1]) + " 跟進對話。"
		}
		return first + " 已停用，退出了對話。"
	}
	return string(e.Kind)
}

// HasSystemMessage reports whether the conversation itself shows the entry as
// a system message. SHOPLINE shows one when the people on a conversation
// change: collaborators join, are added, leave or are removed, and someone
// takes it over or receives it (001:L4638-L4680); closing and reopening show
// none (001:L4689, L4700).
func (e HistoryEntry) HasSystemMessage() bool {
	switch e.Kind {
	case HistoryJoined, HistoryLeft, HistoryTakenOver:
		return e.ActorID != ""
	case HistoryCollaboratorsAdded, HistoryCollaboratorRemoved, HistoryTransferred:
		return len(e.Members) > 0
	}
	return false
}

// SystemMessage renders the entry as its system message, in the seed's
// wording ("Jess 與其他 4 人加入了協作對話。"), or "" when it has none.
func (e HistoryEntry) SystemMessage(name func(memberID string) string) string {
	if !e.HasSystemMessage() {
		return ""
	}
	// The subject ends with the space that follows a name, but not after
	// "與其他 4 人", as the seed writes it.
	who := name(e.ActorID) + " "
	switch len(e.Members) {
	case 0:
	case 1:
		who = name(e.Members[0]) + " "
	default:
		who = fmt.Sprintf("%s 與其他 %d 人", name(e.Members[0]), len(e.Members)-1)
	}
	switch e.Kind {
	case HistoryCollaboratorsAdded, HistoryJoined:
		return who + "加入了協作對話。"
	case HistoryCollaboratorRemoved, HistoryLeft:
		return who + "退出了協作對話。"
	case HistoryTakenOver:
		return name(e.ActorID) + " 跟進了對話。"
	default: // HistoryTransferred
		return who + "跟進了對話。"
	}
}
