package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestSurveyOnAgentClose(t *testing.T) {
	const text = "How did we do? Reply 1 to 5."
	tests := []struct {
		name       string
		mode       switchboard.SurveyMode
		body       string
		sendErr    error
		wantStatus int
		wantSent   bool
		wantClosed bool
		wantMsg    string // of a 400
	}{
		{"none: nothing", switchboard.SurveyNone, "", nil, 200, false, true, ""},
		{"unset: nothing", "", `{}`, nil, 200, false, true, ""},
		{"automatic: always", switchboard.SurveyAutomatic, "", nil, 200, true, true, ""},
		{"automatic: asked too", switchboard.SurveyAutomatic, `{"sendSurvey":true}`, nil, 200, true, true, ""},
		{"ask, asked", switchboard.SurveyAsk, `{"sendSurvey":true}`, nil, 200, true, true, ""},
		{"ask, not asked", switchboard.SurveyAsk, `{"sendSurvey":false}`, nil, 200, false, true, ""},
		{"none, asked: refused before closing", switchboard.SurveyNone, `{"sendSurvey":true}`, nil, 400, false, false, "sendSurvey needs the team's survey setting to be ask; it is none"},
		{"unknown field", switchboard.SurveyAsk, `{"survey":true}`, nil, 400, false, false, `unknown field "survey"`},
		{"outside the window: closed, survey recorded failed", switchboard.SurveyAutomatic, "", switchboard.Errorf(switchboard.EForbidden, "outside the 24-hour window"), 200, true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAutoEnd{settings: func(context.Context, string) (switchboard.AutoEnd, error) {
				return switchboard.AutoEnd{Survey: tt.mode, SurveyText: text}, nil
			}}
			hs := newHarness(t, func(cfg *Config) { cfg.AutoEnd = fake })
			token := inboxScene(hs, switchboard.RoleCSAgent)
			hs.inbox.addConversation(followedConv("c1", "me"))
			if tt.sendErr != nil {
				hs.sender.send = func(_ context.Context, r switchboard.SendRequest) (switchboard.SendResult, error) {
					hs.inbox.sent = append(hs.inbox.sent, r)
					return switchboard.SendResult{}, tt.sendErr
				}
			}
			resp := hs.call("POST", "/v1/conversations/c1/close", token, tt.body)
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Fatalf("status %d, want %d: %s", got, want, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); !strings.Contains(msg, tt.wantMsg) {
					t.Errorf("message %q, want it to contain %q", msg, tt.wantMsg)
				}
			}
			if got := hs.inbox.conversations[teamA+"/c1"].Status == switchboard.StatusClosed; got != tt.wantClosed {
				t.Errorf("closed = %v, want %v", got, tt.wantClosed)
			}
			sent := len(hs.inbox.sent) == 1
			if sent != tt.wantSent || len(hs.inbox.sent) > 1 {
				t.Fatalf("sends %+v, want survey sent = %v", hs.inbox.sent, tt.wantSent)
			}
			if !sent {
				return
			}
			req := hs.inbox.sent[0]
			if req.Purpose != switchboard.PurposeSystem || req.Messages[0].Text != text || !strings.HasPrefix(req.IdempotencyKey, "survey#"+teamA+"#c1#") {
				t.Errorf("send = %+v, want the survey as a system message keyed by the close", req)
			}
			msgs := hs.inbox.messages[teamA+"/c1"]
			if len(msgs) != 1 || msgs[0].Text != text {
				t.Fatalf("stored messages %+v, want the survey", msgs)
			}
			wantStatus := switchboard.DeliverySent
			if tt.sendErr != nil {
				wantStatus = switchboard.DeliveryFailed
			}
			if got := msgs[0].Status; got != wantStatus {
				t.Errorf("survey message %s, want %s", got, wantStatus)
			}
		})
	}
}

func TestSurveyOnBulkClose(t *testing.T) {
	fake := &fakeAutoEnd{settings: func(context.Context, string) (switchboard.AutoEnd, error) {
		return switchboard.AutoEnd{Survey: switchboard.SurveyAsk, SurveyText: "Rate us"}, nil
	}}
	hs := newHarness(t, func(cfg *Config) { cfg.AutoEnd = fake })
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addContact(testContact("c2", teamA, branch1))
	hs.inbox.addConversation(followedConv("c1", "me"))
	hs.inbox.addConversation(followedConv("c2", "me"))

	resp := hs.call("POST", "/v1/conversations/bulk", token, `{"action":"follow","ids":["c1"],"sendSurvey":true}`)
	if _, msg := errorOf(t, resp); resp.StatusCode != 400 || msg != "sendSurvey applies to close only" {
		t.Errorf("sendSurvey on follow: %d %q", resp.StatusCode, msg)
	}
	resp = hs.call("POST", "/v1/conversations/bulk", token, `{"action":"close","ids":["c1","c2"],"sendSurvey":true}`)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"succeeded":2`) {
		t.Fatalf("bulk close = %d %s", resp.StatusCode, resp.Body)
	}
	if got := len(hs.inbox.sent); got != 2 {
		t.Errorf("%d surveys sent, want one per closed conversation", got)
	}
}
