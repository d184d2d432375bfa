package demo

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/ingest"
)

// TestRefreshKeepsEverySampleValid refreshes every webhook sample and checks it
// still verifies and parses for its demo channel, with the new time.
func TestRefreshKeepsEverySampleValid(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	samples, err := events.WebhookSamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			got, err := Refresh(s.Request, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.IsBase64Encoded {
				t.Error("refreshed body is still base64")
			}
			if s.Request.RequestContext.HTTP.Method == "GET" {
				return
			}
			if strings.Contains(got.Body, "1772") && !strings.Contains(got.Body, strconv.FormatInt(now.Unix(), 10)[:4]) {
				t.Errorf("body still holds a March timestamp: %.200s", got.Body)
			}
			ch := events.DemoChannel(s.Kind())
			wh := ingest.Platforms()[s.Kind()]
			req := channel.Request{Method: "POST", Headers: map[string]string{}, Body: []byte(got.Body)}
			for k, v := range got.Headers {
				req.Headers[strings.ToLower(k)] = v
			}
			if err := wh.Verify(ch, req); err != nil {
				t.Fatalf("refreshed sample does not verify: %v", err)
			}
			evs, err := wh.Parse(ch, req.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if d := e.OccurredAt.Sub(now); d < -time.Second || d > time.Second {
					t.Errorf("event %s occurred at %v, want about %v", e.ID, e.OccurredAt, now)
				}
			}
		})
	}
}
