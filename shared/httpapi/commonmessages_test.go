package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestCommonMessagesRoute(t *testing.T) {
	hs := newHarness(t)
	marketer := hs.roleToken(teamA, switchboard.RoleMarketer)
	hs.addChannel(testChannel("ch-a", teamA))

	body := `{"welcome":{"enabled":true,"text":"Welcome to Acme!"},"instant":{"enabled":true,"text":"An agent is coming."},"offline":{"enabled":false,"text":"Closed until 09:00."}}`
	resp := hs.call("PUT", "/v1/channels/ch-a/common-messages", marketer, body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	want := switchboard.CommonMessages{
		Welcome: switchboard.AutoText{Enabled: true, Text: "Welcome to Acme!"},
		Instant: switchboard.AutoText{Enabled: true, Text: "An agent is coming."},
		Offline: switchboard.AutoText{Text: "Closed until 09:00."},
	}
	ch, err := hs.channels.GetChannel(context.Background(), teamA, "ch-a")
	if err != nil {
		t.Fatal(err)
	}
	if got := ch.CommonMessages; got != want {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	if ch.Secrets.SigningSecret == "" || ch.Name != "LINE ch-a" {
		t.Errorf("the rest of the channel changed: %+v", ch)
	}
	var view channelView
	if err := json.Unmarshal([]byte(hs.call("GET", "/v1/channels/ch-a", marketer, "").Body), &view); err != nil {
		t.Fatal(err)
	}
	if view.CommonMessages != want {
		t.Errorf("GET shows %+v, want %+v", view.CommonMessages, want)
	}
	for _, tt := range []struct{ body, wantMsg string }{
		{`{"instant":{"enabled":true,"text":"  "}}`, "instant message is on but has no text"},
		{`{"offline":{"text":"` + strings.Repeat("a", 1001) + `"}}`, "offline message text must be at most 1000 characters"},
		{`{"welcome":{"enabled":true,"bot":"m1"}}`, `unknown field "bot"`},
	} {
		resp := hs.call("PUT", "/v1/channels/ch-a/common-messages", marketer, tt.body)
		if _, msg := errorOf(t, resp); resp.StatusCode != 400 || !strings.Contains(msg, tt.wantMsg) {
			t.Errorf("PUT %.50s: %d %q, want 400 %q", tt.body, resp.StatusCode, msg, tt.wantMsg)
		}
	}
}
