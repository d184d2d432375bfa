package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// historyItem is one line of a conversation's status record as the inbox's
// "事件狀態紀錄" panel shows it (002, 001:L2365): the raw entry for clients
// that render their own wording, and the text in SHOPLINE's.
type historyItem struct {
	At        time.Time               `json:"at"`
	Kind      switchboard.HistoryKind `json:"kind"`
	ActorID   string                  `json:"actorId,omitempty"`
	ActorName string                  `json:"actorName,omitempty"`
	Members   []historyMember         `json:"members"`
	Text      string                  `json:"text"`
}

// historyMember names a member a record line is about.
type historyMember struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// historyList is the body of GET /v1/conversations/{id}/history.
type historyList struct {
	Items []historyItem `json:"items"`
}

// conversationHistory answers the status record of a conversation the caller
// sees, oldest first, with members' names as they are now; a member deleted
// since is shown by id.
func (h *Handler) conversationHistory(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	v, c, _, err := h.routeConversation(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	name := func(id string) string { return id }
	if len(c.History) > 0 {
		if name, err = h.memberNames(ctx, v); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	out := historyList{Items: make([]historyItem, 0, len(c.History))}
	for _, e := range slices.Clone(c.History) {
		it := historyItem{At: e.At, Kind: e.Kind, ActorID: e.ActorID, Members: []historyMember{}, Text: e.Text(name)}
		if e.ActorID != "" {
			it.ActorName = name(e.ActorID)
		}
		for _, m := range e.Members {
			it.Members = append(it.Members, historyMember{ID: m, Name: name(m)})
		}
		out.Items = append(out.Items, it)
	}
	return apigw.JSON(http.StatusOK, out), nil
}
