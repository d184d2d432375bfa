package httpapi

import (
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// TestChannelOutboundURL: a widget channel's outbound URL is set, shown and
// changed through the channel routes, and checked by Channel.Validate.
func TestChannelOutboundURL(t *testing.T) {
	hs := newHarness(t)
	admin := hs.roleToken(teamA, switchboard.RoleAdmin)
	var ch channelView
	resp := hs.call("POST", "/v1/channels", admin, `{"kind":"widget","name":"Site","outboundUrl":"https://shop.example/hooks/chat"}`)
	decodeBody(t, resp, &ch)
	if resp.StatusCode != 201 || ch.OutboundURL != "https://shop.example/hooks/chat" {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
	}
	resp = hs.call("PATCH", "/v1/channels/"+ch.ID, admin, `{"outboundUrl":"https://shop.example/v2"}`)
	decodeBody(t, resp, &ch)
	if resp.StatusCode != 200 || ch.OutboundURL != "https://shop.example/v2" {
		t.Errorf("patch: %d %s", resp.StatusCode, resp.Body)
	}
	if got := hs.mem.channels[ch.ID].OutboundURL; got != "https://shop.example/v2" {
		t.Errorf("stored %q", got)
	}
	for _, body := range []string{`{"outboundUrl":"http://shop.example/x"}`, `{"outboundUrl":"https://user:pw@shop.example/x"}`} {
		if code := hs.call("PATCH", "/v1/channels/"+ch.ID, admin, body).StatusCode; code != 400 {
			t.Errorf("%s: %d, want 400", body, code)
		}
	}
}
