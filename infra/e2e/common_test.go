package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	samples "github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/demo"
	channelline "github.com/switchboard-chat/switchboard/shared/channel/line"
)

// TestInstantMessageThroughTheStack: an operator turns on the LINE channel's
// instant message through the API; a customer's sticker (which no keyword
// answers, so it waits for a human) is answered with it, through the router's
// channel cache, at the LINE fake, once per wait.
func TestInstantMessageThroughTheStack(t *testing.T) {
	t.Parallel()
	e := stack(t)
	const instant = "Thanks! An agent will be with you shortly."
	body := fmt.Sprintf(`{"instant":{"enabled":true,"text":%q},"offline":{"enabled":true,"text":"We are closed."}}`, instant)
	req, _ := http.NewRequest("PUT", e.url+"/v1/channels/"+samples.DemoLINEChannelID+"/common-messages", strings.NewReader(body))
	req.Header.Set("authorization", "Bearer "+demo.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT common messages = %d", resp.StatusCode)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest("PUT", e.url+"/v1/channels/"+samples.DemoLINEChannelID+"/common-messages", strings.NewReader(`{}`))
		req.Header.Set("authorization", "Bearer "+demo.AdminToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})

	// The router keeps channels for 30 seconds: a new customer writes every
	// few seconds until one is answered with the new setting. The demo's
	// admin is online without working hours, so the team is online.
	run := time.Now().UnixNano()
	var user, token string
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		user = fmt.Sprintf("U%032x", run+int64(i))[:33]
		token = fmt.Sprintf("rt-instant-%d-%d", run, i)
		if status, _ := e.post(t, lineSticker(user, fmt.Sprintf("01JINSTANT%d%d", run%1e9, i), token)); status != 200 {
			t.Fatal("webhook refused")
		}
		answered := func() bool { return repliedWith(e, token, instant) }
		until := time.Now().Add(5 * time.Second)
		for !answered() && time.Now().Before(until) {
			time.Sleep(100 * time.Millisecond)
		}
		if answered() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instant message within %s", 60*time.Second)
		}
	}
	// A second sticker in the same wait is not answered again.
	second := token + "-again"
	if status, _ := e.post(t, lineSticker(user, fmt.Sprintf("01JINSTANTAGAIN%d", run%1e9), second)); status != 200 {
		t.Fatal("webhook refused")
	}
	time.Sleep(3 * time.Second)
	n := 0
	for _, d := range e.fakes.LINE.Deliveries() {
		if strings.Contains(rawMessages(d), instant) && (d.ReplyToken == token || d.ReplyToken == second || strings.Join(d.To, ",") == user) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d instant messages to the customer, want 1 for the one wait", n)
	}
}

// repliedWith reports whether the LINE fake accepted a reply with token whose
// messages hold text.
func repliedWith(e *env, token, text string) bool {
	for _, d := range e.fakes.LINE.Deliveries() {
		if d.ReplyToken == token && strings.Contains(rawMessages(d), text) {
			return true
		}
	}
	return false
}

// lineSticker is a signed LINE webhook of one sticker from user.
func lineSticker(user, eventID, replyToken string) events.APIGatewayV2HTTPRequest {
	body := fmt.Sprintf(`{"destination":%q,"events":[{"type":"message","mode":"active","timestamp":%d,"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},"replyToken":%q,"source":{"type":"user","userId":%q},"message":{"type":"sticker","id":"m%s","quoteToken":"q","packageId":"11537","stickerId":"52002738","stickerResourceType":"STATIC"}}]}`,
		samples.DemoLINEBotID, time.Now().UnixMilli(), eventID, replyToken, user, eventID)
	r := events.APIGatewayV2HTTPRequest{
		RawPath: "/webhooks/line/" + samples.DemoLINEChannelID,
		Headers: map[string]string{"content-type": "application/json", channelline.SignatureHeader: channelline.Sign(samples.DemoSecret, []byte(body))},
		Body:    body,
	}
	r.RequestContext.HTTP.Method = "POST"
	return r
}
