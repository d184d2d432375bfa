package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Deactivating a member in Settings > Team members takes them out of every
// conversation they follow or collaborate on (SPEC §2, 001:L4745-L4756): a
// collaborator is removed, a follower is replaced by the first collaborator,
// and a one-on-one conversation in progress goes back to pending for a human
// (switchboard.Conversation.OnMemberDeactivated). Deleting a member does the
// same first. The member is written before its conversations, so that nothing
// new is given to it meanwhile (a deactivated member cannot receive).

// releaseParallel bounds the conversations one deactivation updates side by
// side: a member may hold thousands (every closed conversation they ever
// followed), and each is one optimistic update.
const releaseParallel = 8

// releaseOutcome is what became of a deactivated member's conversations; PATCH
// /v1/members/{id} adds it to the member it answers when the request sets
// active to false.
type releaseOutcome struct {
	// Updated counts the conversations the member was taken out of.
	Updated int `json:"conversationsUpdated"`
	// Failed counts the conversations that could not be updated; each is
	// logged with its id. Sending the deactivation again retries them.
	Failed int `json:"conversationsFailed"`
}

// memberAnswer is the body of PATCH /v1/members/{id}: the member, with the
// release counts when the request deactivated it (nil otherwise, and then
// left out).
type memberAnswer struct {
	*switchboard.Member
	*releaseOutcome
}

// releaseMember takes the deactivated member memberID out of each of the
// team's conversations that still involves it, at most releaseParallel at a
// time. A conversation that fails is logged and counted and the others go
// ahead; only a failure to list them at all is an error, which a retry of the
// same request repairs, since releasing is idempotent.
func (h *Handler) releaseMember(ctx context.Context, c Caller, memberID string) (*releaseOutcome, error) {
	ids, err := h.conversations.MemberConversationIDs(ctx, c.TeamID, memberID)
	if err != nil {
		h.log.ErrorContext(ctx, "listing a deactivated member's conversations failed", "requestId", apigw.RequestIDFromContext(ctx),
			"teamId", c.TeamID, "memberId", memberID, "error", err.Error())
		return nil, switchboard.Wrap(switchboard.EUnavailable, err,
			fmt.Sprintf("member %s is deactivated, but its conversations could not be listed; send the request again to take it out of them", memberID))
	}
	now := h.now().UTC()
	var updated, unchanged atomic.Int64
	err = forEach(len(ids), releaseParallel, func(i int) error {
		changed, err := h.releaseConversation(ctx, c, memberID, ids[i], now)
		switch {
		case err != nil:
			h.log.LogAttrs(ctx, slog.LevelError, "taking a deactivated member out of a conversation failed",
				slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID),
				slog.String("memberId", memberID), slog.String("conversationId", ids[i]), slog.String("error", err.Error()))
		case changed:
			updated.Add(1)
		default:
			unchanged.Add(1)
		}
		return nil
	})
	if err != nil {
		// Only a panic gets here; its conversation is counted as failed below.
		h.log.ErrorContext(ctx, "taking a deactivated member out of a conversation failed", "requestId", apigw.RequestIDFromContext(ctx),
			"teamId", c.TeamID, "memberId", memberID, "error", err.Error())
	}
	out := &releaseOutcome{Updated: int(updated.Load())}
	out.Failed = len(ids) - out.Updated - int(unchanged.Load())
	h.log.LogAttrs(ctx, slog.LevelInfo, "deactivated member taken out of its conversations",
		slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID),
		slog.String("memberId", memberID), slog.String("byMemberId", c.MemberID), slog.String("byTokenId", c.TokenID),
		slog.Int("conversations", len(ids)), slog.Int("updated", out.Updated), slog.Int("failed", out.Failed))
	return out, nil
}

// releaseConversation applies OnMemberDeactivated to one conversation inside
// its optimistic update (which rereads and reapplies on a lost race) and
// reports whether it changed. A conversation that no longer involves the
// member, or no longer exists, is left alone. The collaboration entries of
// whoever stopped collaborating (the member, or the collaborator promoted to
// follower) are then dropped; that is housekeeping, since readers check the
// conversation itself, so a failure there is only logged.
func (h *Handler) releaseConversation(ctx context.Context, c Caller, memberID, id string, now time.Time) (bool, error) {
	unchanged := errors.New("the conversation does not involve the member")
	var before []string
	conv, err := h.conversations.UpdateConversation(ctx, c.TeamID, id, func(cur *switchboard.Conversation) (*switchboard.Conversation, error) {
		before = slices.Clone(cur.Collaborators)
		if !cur.OnMemberDeactivated(memberID, now) {
			return nil, unchanged
		}
		return cur, nil
	})
	switch {
	case errors.Is(err, unchanged), switchboard.ErrorCode(err) == switchboard.ENotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	// There is no conversation event log yet to record "X removed Y from the
	// collaboration" in (001:L4753); this line keeps who did it meanwhile.
	h.log.LogAttrs(ctx, slog.LevelInfo, "deactivated member taken out of a conversation",
		slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID),
		slog.String("conversationId", id), slog.String("memberId", memberID), slog.String("byMemberId", c.MemberID),
		slog.String("followerId", conv.FollowerID), slog.String("status", string(conv.Status)))
	for _, m := range before {
		if slices.Contains(conv.Collaborators, m) {
			continue
		}
		if err := h.conversations.ForgetCollaboration(ctx, c.TeamID, m, id); err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "dropping a collaboration entry failed",
				slog.String("requestId", apigw.RequestIDFromContext(ctx)), slog.String("teamId", c.TeamID),
				slog.String("conversationId", id), slog.String("memberId", m), slog.String("error", err.Error()))
		}
	}
	return true, nil
}
