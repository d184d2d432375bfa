package switchboard

import (
	"slices"
	"time"
)

// This file holds the rules of a conversation "event": how customer messages
// move it between pending (bot or human), in progress and closed (000,
// 001:L2673, 001:L4390), which operator actions each status allows (the matrix
// of 000 and 001:L2333), and collaboration (001:L4613). The methods change the
// conversation in memory only, so the router and the inbox API call them inside
// ConversationStore.UpdateConversation and a lost race simply applies them again.

// Action is something an operator does to a conversation from the inbox.
type Action string

// Actions of the inbox. The first four are the matrix of 000 and 001:L2333;
// the others are collaboration (001:L4613) and replying.
const (
	ActionFollow             Action = "follow"
	ActionClose              Action = "close"
	ActionReopen             Action = "reopen"
	ActionTransfer           Action = "transfer"
	ActionAddCollaborators   Action = "add_collaborators"
	ActionJoin               Action = "join"
	ActionRemoveCollaborator Action = "remove_collaborator"
	ActionLeave              Action = "leave"
	ActionTakeover           Action = "takeover"
	ActionReply              Action = "reply"
)

// AllActions lists every action in the order the inbox shows them.
var AllActions = []Action{
	ActionFollow, ActionClose, ActionReopen, ActionTransfer,
	ActionAddCollaborators, ActionJoin, ActionRemoveCollaborator, ActionLeave,
	ActionTakeover, ActionReply,
}

// PendingReader is the key of Conversation.Unread that counts unread messages
// while nobody follows the conversation; it cannot clash with a member id
// (a ULID). Following the conversation hands the count to the follower.
const PendingReader = "_pending"

// HandlesConversations reports whether members of the role answer customers and
// so may follow, receive a transfer, collaborate or be auto-assigned. Marketers
// build campaigns but have no inbox of their own: the seed's lists of who gets
// conversations and order notifications never name them (001:L1011, 001:L917),
// while marketing-CS is a CS role (001:L4628).
func (r Role) HandlesConversations() bool {
	return r.Valid() && r != RoleMarketer
}

// teamViewRole reports whether the role sees every conversation of the team
// (001:L1011), which is what lets it take over a colleague's conversation
// (001:L2351), join a collaboration on its own (001:L4643) and close or reopen
// conversations it does not follow.
func teamViewRole(r Role) bool {
	return r == RoleAdmin || r == RoleSupervisor || r == RoleCSManager
}

// collabAdminRole reports whether the role counts as an "administrative role"
// inside a collaboration: it may add and remove collaborators and take the
// conversation over (001:L4624-L4628, L4651-L4655, L4667-L4671).
func collabAdminRole(r Role) bool {
	return teamViewRole(r) || r == RoleMarketingCS
}

// transferOthersRole reports whether the role may transfer a conversation it
// does not follow. 001:L2333 lets admin, supervisor, CS agent, sales manager
// and salesperson transfer; a CS agent only ever sees conversations it follows
// (001:L1011), so for it the permission is the follower's own.
func transferOthersRole(r Role) bool {
	return r == RoleAdmin || r == RoleSupervisor || r == RoleSalesManager || r == RoleSalesperson
}

// IsCollaboration reports whether collaboration is on: a follower with at least
// one collaborator. Removing the last collaborator makes it one-on-one again
// (001:L4755).
func (c *Conversation) IsCollaboration() bool {
	return c.FollowerID != "" && len(c.Collaborators) > 0
}

// IsCollaborator reports whether memberID collaborates on the conversation.
func (c *Conversation) IsCollaborator(memberID string) bool {
	return memberID != "" && slices.Contains(c.Collaborators, memberID)
}

// IsParticipant reports whether memberID follows or collaborates.
func (c *Conversation) IsParticipant(memberID string) bool {
	return memberID != "" && (memberID == c.FollowerID || c.IsCollaborator(memberID))
}

// Participants returns the follower then the collaborators.
func (c *Conversation) Participants() []string {
	if c.FollowerID == "" {
		return nil
	}
	return append([]string{c.FollowerID}, c.Collaborators...)
}

// Allowed reports whether the conversation's status allows action at all,
// whoever asks: the matrix of 000 / 001:L2333 (pending: follow, close;
// in progress: close, transfer; closed: reopen) and, for the collaboration
// actions and replies, in progress. Leaving or removing a collaborator is also
// allowed while closed, since a closed collaboration comes back to its
// collaborators on the next customer message (001:L4623).
func (c *Conversation) Allowed(a Action) bool {
	switch c.Status {
	case StatusPending:
		return a == ActionFollow || a == ActionClose
	case StatusInProgress:
		switch a {
		case ActionClose, ActionTransfer, ActionAddCollaborators, ActionJoin,
			ActionRemoveCollaborator, ActionLeave, ActionTakeover, ActionReply:
			return true
		}
	case StatusClosed:
		return a == ActionReopen || a == ActionRemoveCollaborator || a == ActionLeave
	}
	return false
}

// Actions lists the actions the status allows, in AllActions order; the inbox
// shows them (greyed out for members who may not use them, see ActionsFor).
func (c *Conversation) Actions() []Action {
	var out []Action
	for _, a := range AllActions {
		if c.Allowed(a) {
			out = append(out, a)
		}
	}
	return out
}

// ActionsFor lists the actions member m may take now, in AllActions order.
// It applies the same checks as the methods, so a button the UI shows never
// fails for lack of permission; actions that need a target (transfer, add or
// remove a collaborator) may still fail for a target that does not qualify.
func (c *Conversation) ActionsFor(m *Member) []Action {
	var out []Action
	for _, a := range AllActions {
		if c.permit(a, m) == nil {
			out = append(out, a)
		}
	}
	return out
}

// permit checks that the status allows a and that actor may do it. A nil actor
// is the system (auto-end timer) and may only close.
func (c *Conversation) permit(a Action, actor *Member) error {
	if !c.Allowed(a) {
		return Errorf(EConflict, "cannot %s a conversation in status %s", a, c.statusName())
	}
	if actor == nil {
		if a == ActionClose {
			return nil
		}
		return Errorf(EForbidden, "%s needs a member", a)
	}
	if !actor.Active {
		return Errorf(EForbidden, "member %s is deactivated", actor.ID)
	}
	if !actor.Role.HandlesConversations() {
		return Errorf(EForbidden, "a %s does not handle conversations", actor.Role)
	}
	collab := c.IsCollaboration()
	isFollower := actor.ID == c.FollowerID
	switch a {
	case ActionFollow:
		return nil
	case ActionClose:
		if c.Status == StatusPending {
			return nil
		}
		if collab {
			if !isFollower {
				return Errorf(EForbidden, "only the follower can close a collaboration")
			}
			return nil
		}
		if !isFollower && !teamViewRole(actor.Role) {
			return Errorf(EForbidden, "only the follower, an admin, a supervisor or a CS manager can close this conversation")
		}
	case ActionReopen:
		if collab && !c.IsParticipant(actor.ID) && !teamViewRole(actor.Role) {
			return Errorf(EForbidden, "only the follower, a collaborator, an admin, a supervisor or a CS manager can reopen a collaboration")
		}
	case ActionTransfer:
		if collab {
			if !isFollower {
				return Errorf(EForbidden, "only the follower can transfer a collaboration")
			}
			return nil
		}
		if !isFollower && !transferOthersRole(actor.Role) {
			return Errorf(EForbidden, "a %s can only transfer conversations it follows", actor.Role)
		}
	case ActionAddCollaborators:
		if !isFollower && !(c.IsCollaborator(actor.ID) && collabAdminRole(actor.Role)) {
			return Errorf(EForbidden, "only the follower, or a collaborator who is an admin, supervisor, CS manager or marketing-CS, can add collaborators")
		}
	case ActionJoin:
		if c.IsParticipant(actor.ID) {
			return Errorf(EConflict, "member %s already takes part in this conversation", actor.ID)
		}
		if !teamViewRole(actor.Role) {
			return Errorf(EForbidden, "only an admin, a supervisor or a CS manager can join a conversation on their own")
		}
	case ActionRemoveCollaborator:
		if len(c.Collaborators) == 0 {
			return Errorf(EConflict, "the conversation has no collaborators")
		}
		if !isFollower && !collabAdminRole(actor.Role) {
			return Errorf(EForbidden, "only the follower, an admin, a supervisor, a CS manager or a marketing-CS can remove collaborators")
		}
	case ActionLeave:
		if !c.IsCollaborator(actor.ID) {
			return Errorf(EForbidden, "member %s is not a collaborator", actor.ID)
		}
	case ActionTakeover:
		if isFollower {
			return Errorf(EConflict, "member %s already follows this conversation", actor.ID)
		}
		if collab {
			if !c.IsCollaborator(actor.ID) || !collabAdminRole(actor.Role) {
				return Errorf(EForbidden, "only a collaborator who is an admin, supervisor, CS manager or marketing-CS can take over a collaboration")
			}
			return nil
		}
		if !teamViewRole(actor.Role) {
			return Errorf(EForbidden, "only an admin, a supervisor or a CS manager can take over a colleague's conversation")
		}
	case ActionReply:
		if !c.CanReply(actor.ID) {
			if collab {
				return Errorf(EForbidden, "only the follower and collaborators can reply; join the collaboration first")
			}
			return Errorf(EForbidden, "only the follower can reply")
		}
	}
	return nil
}

func (c *Conversation) statusName() string {
	if c.Status == "" {
		return "new"
	}
	return string(c.Status)
}

// receivable checks that m may be given the conversation (as follower or
// collaborator): an active member of a role that handles conversations.
func receivable(m *Member) error {
	if m == nil || m.ID == "" {
		return Errorf(EInvalid, "a member is required")
	}
	if !m.Active {
		return Errorf(EInvalid, "member %s is deactivated", m.ID)
	}
	if !m.Role.HandlesConversations() {
		return Errorf(EInvalid, "member %s is a %s and cannot receive conversations", m.ID, m.Role)
	}
	return nil
}

// pendingKindFor decides bot or human for a message that opens (or reopens) a
// pending conversation: a human when the customer asked for one, when media
// arrived, or when no keyword or bot module matched (000, 001:L2686,
// 001:L4431-L4434).
func pendingKindFor(kind MessageKind, matchedBot, wantsHuman bool) PendingKind {
	if wantsHuman || kind.NeedsHuman() || !matchedBot {
		return PendingHuman
	}
	return PendingBot
}

// OnCustomerMessage applies a customer's message. matchedBot says the message
// matched a keyword auto-reply or triggered a bot module; wantsHuman says the
// customer asked for a human (a "talk to a person" button or bot card).
//
//   - A new conversation (empty status) or a closed one-on-one becomes pending,
//     bot or human by pendingKindFor; reopening forgets the old follower.
//   - A closed collaboration returns to in progress for its follower and
//     collaborators: it never shows as pending (001:L4623).
//   - Pending bot stays bot only while messages keep matching; anything else
//     sends it to a human. Pending human stays human whatever arrives
//     (001:L4411), and in progress never changes because of a message
//     (001:L4436).
//
// Every reader's unread count goes up by one (001:L4723).
func (c *Conversation) OnCustomerMessage(kind MessageKind, matchedBot, wantsHuman bool, now time.Time) error {
	switch c.Status {
	case "":
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		c.toPending(pendingKindFor(kind, matchedBot, wantsHuman))
		c.record(HistoryOpened, nil, nil, now)
	case StatusClosed:
		if c.IsCollaboration() {
			c.Status, c.PendingKind = StatusInProgress, ""
			c.record(HistoryResumed, nil, nil, now)
		} else {
			c.toPending(pendingKindFor(kind, matchedBot, wantsHuman))
			c.record(HistoryPending, nil, nil, now)
		}
	case StatusPending:
		if c.PendingKind != PendingHuman {
			c.PendingKind = pendingKindFor(kind, matchedBot, wantsHuman)
		}
	case StatusInProgress:
	default:
		return Errorf(EInternal, "conversation %s has unknown status %q", c.ID, c.Status)
	}
	for _, r := range c.readers() {
		c.addUnread(r, 1)
	}
	c.LastCustomerAt, c.LastMessageAt, c.UpdatedAt = now, now, now
	return nil
}

// toPending makes a one-on-one conversation pending with nobody on it; what
// the previous follower had not read yet becomes the team's pending count.
func (c *Conversation) toPending(kind PendingKind) {
	holder := c.FollowerID
	if holder == "" {
		holder = PendingReader
	}
	pending := c.Unread[holder]
	c.Status, c.PendingKind = StatusPending, kind
	c.FollowerID, c.Collaborators, c.FollowedAt = "", nil, time.Time{}
	c.Unread = nil
	c.addUnread(PendingReader, pending)
}

// RequestHuman moves a pending bot conversation to a human, for a bot flow
// that reaches its "human agent" module (001:L3764). Other statuses do not
// change: a human already has it or it is closed.
func (c *Conversation) RequestHuman(now time.Time) {
	if c.Status == StatusPending && c.PendingKind != PendingHuman {
		c.PendingKind = PendingHuman
		c.UpdatedAt = now
	}
}

// OnBotMessage records an automatic message (keyword reply, bot card). It does
// not count as a staff reply, so it neither clears unread counts nor starts the
// auto-end clock, which runs from the last staff reply (SPEC §2).
func (c *Conversation) OnBotMessage(now time.Time) {
	c.LastMessageAt, c.LastOutboundAt, c.UpdatedAt = now, now, now
}

// HasUnreadOutbound reports whether the team sent something since the
// customer last wrote (or at the same instant, as an automatic answer to that
// very message): on LINE, which has no read receipts, the customer's next
// message marks those as read (001:L1338). Call it before OnCustomerMessage.
func (c *Conversation) HasUnreadOutbound() bool {
	return !c.LastOutboundAt.IsZero() && !c.LastOutboundAt.Before(c.LastCustomerAt)
}

// Follow makes m the follower of a pending conversation, which goes in
// progress.
func (c *Conversation) Follow(m *Member, now time.Time) error {
	if err := c.follow(m, now); err != nil {
		return err
	}
	c.record(HistoryFollowed, m, nil, now)
	return nil
}

// Assign is Follow by keyword or working-hours auto-assignment, right after
// OnCustomerMessage (001:L4435): the same change, recorded as the system's.
func (c *Conversation) Assign(m *Member, now time.Time) error {
	if err := c.follow(m, now); err != nil {
		return err
	}
	c.record(HistoryAssigned, nil, []string{m.ID}, now)
	return nil
}

func (c *Conversation) follow(m *Member, now time.Time) error {
	if err := c.permit(ActionFollow, m); err != nil {
		return err
	}
	c.setFollower(m.ID, now)
	c.Collaborators = nil
	c.Status, c.PendingKind = StatusInProgress, ""
	c.UpdatedAt = now
	return nil
}

// setFollower makes id the follower of a one-on-one conversation; the unread
// count of whoever held it (the team or the previous follower) goes to id.
func (c *Conversation) setFollower(id string, now time.Time) {
	prev := c.FollowerID
	if prev == "" {
		prev = PendingReader
	}
	n := c.Unread[prev]
	delete(c.Unread, prev)
	c.FollowerID, c.FollowedAt = id, now
	c.addUnread(id, n)
}

// Close ends the conversation. actor is nil when the system closes it (the
// auto-end timer). Only the follower closes a collaboration, whatever the
// role of the others (001:L4684). The follower and collaborators are kept, so
// the closed list shows who handled it and a collaboration comes back to them.
func (c *Conversation) Close(actor *Member, now time.Time) error {
	if err := c.permit(ActionClose, actor); err != nil {
		return err
	}
	c.Status, c.PendingKind = StatusClosed, ""
	c.UpdatedAt = now
	if actor == nil {
		c.record(HistoryAutoEnded, nil, nil, now)
	} else {
		c.record(HistoryClosed, actor, nil, now)
	}
	return nil
}

// Reopen brings a closed conversation back in progress. In a one-on-one
// conversation the actor becomes the follower; a collaboration keeps its
// follower, even when a collaborator or a supervisor reopens it (001:L4694).
func (c *Conversation) Reopen(actor *Member, now time.Time) error {
	if err := c.permit(ActionReopen, actor); err != nil {
		return err
	}
	if !c.IsCollaboration() && actor.ID != c.FollowerID {
		c.Collaborators = nil
		c.setFollower(actor.ID, now)
	}
	c.Status, c.PendingKind = StatusInProgress, ""
	c.UpdatedAt = now
	c.record(HistoryReopened, actor, nil, now)
	return nil
}

// Transfer hands an in-progress conversation to member to. A collaboration
// can only be transferred by its follower to one of its collaborators, and the
// old follower becomes a collaborator (001:L4676-L4678).
func (c *Conversation) Transfer(actor, to *Member, now time.Time) error {
	if err := c.permit(ActionTransfer, actor); err != nil {
		return err
	}
	if err := receivable(to); err != nil {
		return err
	}
	if to.ID == c.FollowerID {
		return Errorf(EInvalid, "member %s already follows this conversation", to.ID)
	}
	if c.IsCollaboration() {
		i := slices.Index(c.Collaborators, to.ID)
		if i < 0 {
			return Errorf(EInvalid, "a collaboration can only be transferred to one of its collaborators")
		}
		c.Collaborators[i] = c.FollowerID
		c.FollowerID, c.FollowedAt = to.ID, now
	} else {
		c.setFollower(to.ID, now)
	}
	c.UpdatedAt = now
	c.record(HistoryTransferred, actor, []string{to.ID}, now)
	return nil
}

// AddCollaborators adds members to an in-progress conversation, turning it into
// a collaboration. Members who already take part are skipped; more than
// MaxCollaborators besides the follower is refused as a whole (001:L4622).
// It takes members rather than ids because each must be active and able to
// receive conversations.
func (c *Conversation) AddCollaborators(actor *Member, members []*Member, now time.Time) error {
	if err := c.permit(ActionAddCollaborators, actor); err != nil {
		return err
	}
	var add []string
	for _, m := range members {
		if err := receivable(m); err != nil {
			return err
		}
		if c.IsParticipant(m.ID) || slices.Contains(add, m.ID) {
			continue
		}
		add = append(add, m.ID)
	}
	if n := len(c.Collaborators) + len(add); n > MaxCollaborators {
		return Errorf(EInvalid, "a conversation has at most %d collaborators besides the follower; adding %d to %d would make %d",
			MaxCollaborators, len(add), len(c.Collaborators), n)
	}
	if len(add) == 0 {
		return nil
	}
	c.Collaborators = append(c.Collaborators, add...)
	c.UpdatedAt = now
	c.record(HistoryCollaboratorsAdded, actor, add, now)
	return nil
}

// JoinAsCollaborator lets an admin, supervisor or CS manager join an
// in-progress conversation on their own (001:L4643).
func (c *Conversation) JoinAsCollaborator(actor *Member, now time.Time) error {
	if err := c.permit(ActionJoin, actor); err != nil {
		return err
	}
	if len(c.Collaborators) >= MaxCollaborators {
		return Errorf(EInvalid, "the conversation already has %d collaborators, the most allowed", MaxCollaborators)
	}
	c.Collaborators = append(c.Collaborators, actor.ID)
	c.UpdatedAt = now
	c.record(HistoryJoined, actor, nil, now)
	return nil
}

// RemoveCollaborator takes memberID out of the collaboration. A collaborator
// may remove themself (leave); the follower and the administrative roles may
// remove anyone (001:L4650-L4651, L4663). Without collaborators left the conversation
// is one-on-one again.
func (c *Conversation) RemoveCollaborator(actor *Member, memberID string, now time.Time) error {
	a := ActionRemoveCollaborator
	if actor != nil && actor.ID == memberID {
		a = ActionLeave
	}
	if err := c.permit(a, actor); err != nil {
		return err
	}
	i := slices.Index(c.Collaborators, memberID)
	if i < 0 {
		return Errorf(EInvalid, "member %s is not a collaborator", memberID)
	}
	c.Collaborators = slices.Delete(c.Collaborators, i, i+1)
	delete(c.Unread, memberID)
	c.UpdatedAt = now
	if a == ActionLeave {
		c.record(HistoryLeft, actor, nil, now)
	} else {
		c.record(HistoryCollaboratorRemoved, actor, []string{memberID}, now)
	}
	return nil
}

// Takeover makes actor the follower of an in-progress conversation. In a
// collaboration the actor must be a collaborator of an administrative role,
// and the old follower becomes a collaborator (001:L4667-L4672). In a
// one-on-one conversation an admin, supervisor or CS manager takes a
// colleague's conversation from the team view (001:L2351) and the colleague
// leaves it.
func (c *Conversation) Takeover(actor *Member, now time.Time) error {
	if err := c.permit(ActionTakeover, actor); err != nil {
		return err
	}
	from := c.FollowerID
	if c.IsCollaboration() {
		i := slices.Index(c.Collaborators, actor.ID)
		c.Collaborators[i] = c.FollowerID
		c.FollowerID, c.FollowedAt = actor.ID, now
	} else {
		c.setFollower(actor.ID, now)
	}
	c.UpdatedAt = now
	c.record(HistoryTakenOver, actor, []string{from}, now)
	return nil
}

// OnMemberDeactivated removes a deactivated member from the conversation and
// reports whether anything changed. A collaborator is simply removed; a
// follower is replaced by the first collaborator (001:L4756). A one-on-one
// in-progress conversation whose follower leaves goes back to pending for a
// human, so the customer is not left with nobody; a closed one keeps the name
// for the record, since a new message reopens it as pending anyway.
func (c *Conversation) OnMemberDeactivated(memberID string, now time.Time) bool {
	if memberID == "" {
		return false
	}
	changed, promoted := false, false
	if i := slices.Index(c.Collaborators, memberID); i >= 0 {
		c.Collaborators = slices.Delete(c.Collaborators, i, i+1)
		delete(c.Unread, memberID)
		changed = true
	}
	if memberID == c.FollowerID {
		switch {
		case len(c.Collaborators) > 0:
			promoted = true
			delete(c.Unread, memberID)
			c.FollowerID, c.FollowedAt = c.Collaborators[0], now
			c.Collaborators = slices.Delete(c.Collaborators, 0, 1)
			changed = true
		case c.Status == StatusInProgress:
			c.toPending(PendingHuman)
			changed = true
		}
	}
	if len(c.Collaborators) == 0 {
		c.Collaborators = nil
	}
	if changed {
		c.UpdatedAt = now
		about := []string{memberID}
		if promoted {
			about = append(about, c.FollowerID)
		}
		c.record(HistoryMemberDeactivated, nil, about, now)
	}
	return changed
}

// CanReply reports whether memberID may send a message in the conversation.
// Only an in-progress conversation takes replies: its follower, and once
// collaboration is on its collaborators too (001:L4615). A pending
// conversation must be followed first, and a closed one reopened, so that
// every staff message has an owner who sees the answer; a supervisor who wants
// to answer a colleague's conversation joins or takes it over.
func (c *Conversation) CanReply(memberID string) bool {
	if c.Status != StatusInProgress || memberID == "" {
		return false
	}
	return c.IsParticipant(memberID)
}

// OnStaffReply records a reply by actor: it refuses members who may not reply,
// starts the auto-end clock and clears the actor's own unread count only, so
// the other participants keep theirs (001:L4725-L4728).
func (c *Conversation) OnStaffReply(actor *Member, now time.Time) error {
	if err := c.permit(ActionReply, actor); err != nil {
		return err
	}
	delete(c.Unread, actor.ID)
	c.LastStaffAt, c.LastMessageAt, c.LastOutboundAt, c.UpdatedAt = now, now, now, now
	return nil
}

// MarkRead clears memberID's unread count and reports whether it had one.
// Reading someone else's conversation from the team view clears nothing
// (001:L4727, L4730); the pending count clears when someone follows.
func (c *Conversation) MarkRead(memberID string) bool {
	if c.Unread[memberID] == 0 {
		return false
	}
	delete(c.Unread, memberID)
	return true
}

// UnreadFor returns memberID's unread count; pass PendingReader for the
// count of a conversation nobody follows.
func (c *Conversation) UnreadFor(memberID string) int { return c.Unread[memberID] }

// readers are who must read a new customer message: the participants, or the
// team while nobody follows.
func (c *Conversation) readers() []string {
	if c.FollowerID == "" {
		return []string{PendingReader}
	}
	return c.Participants()
}

func (c *Conversation) addUnread(reader string, n int) {
	if n <= 0 {
		return
	}
	if c.Unread == nil {
		c.Unread = map[string]int{}
	}
	c.Unread[reader] += n
}
