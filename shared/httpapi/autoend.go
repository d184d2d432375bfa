package httpapi

import (
	"context"
	"log/slog"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

// AutoEndStore is what arming auto-end needs: the team's setting and the
// timer store. *dynamo.Store implements it.
type AutoEndStore interface {
	AutoEndSettings(ctx context.Context, teamID string) (switchboard.AutoEnd, error)
	ArmTimers(ctx context.Context, ts ...*switchboard.Timer) error
}

// armAutoEnd arms the conversation's auto-end timer for the staff reply just
// recorded (c.LastStaffAt), when the team has auto-end on: due After the
// reply, with the reply as its generation, so the router can tell it from the
// timer of an earlier reply, which fires too and does nothing. It is one
// write (and the setting's read). The reply is already sent and recorded, so
// a failure is logged rather than answered: failing the request would make
// the agent send the message again.
func (h *Handler) armAutoEnd(ctx context.Context, c *switchboard.Conversation, ch *switchboard.Channel, ct *switchboard.Contact) {
	if h.autoEnd == nil {
		return
	}
	log := h.log.With(slog.String("teamId", c.TeamID), slog.String("conversationId", c.ID))
	setting, err := h.autoEnd.AutoEndSettings(ctx, c.TeamID)
	if err != nil {
		log.WarnContext(ctx, "auto-end setting not read; no auto-end timer armed", slog.String("error", err.Error()))
		return
	}
	if !setting.Active() {
		return
	}
	t, err := timer.Conversation(switchboard.TimerAutoEnd, c.TeamID, switchboard.AutoEndTimerID(c.ID),
		switchboard.AutoEndGeneration(c.LastStaffAt), c.LastStaffAt.Add(setting.After),
		switchboard.ConversationTimer{ChannelID: ch.ID, ChannelKind: ch.Kind, CustomerID: ct.PlatformUserID, ConversationID: c.ID})
	if err == nil {
		err = h.autoEnd.ArmTimers(ctx, t)
	}
	if err != nil {
		log.WarnContext(ctx, "auto-end timer not armed", slog.String("error", err.Error()))
	}
}
