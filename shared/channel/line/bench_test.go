package line_test

import (
	"encoding/json"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
)

func TestBenchBody(t *testing.T) {
	got, err := line.Webhook{}.Parse(testChannel(), events.LINEBusyDelivery())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("parsed %d events, want 10", len(got))
	}
}

// BenchmarkParse is the whole of Parse: the SDK's unmarshal plus normalising.
func BenchmarkParse(b *testing.B) {
	body, ch := events.LINEBusyDelivery(), testChannel()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (line.Webhook{}).Parse(ch, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSDKParse is only the SDK's own CallbackRequest unmarshal of the same
// body: the floor Parse cannot go below while it uses the SDK's types.
func BenchmarkSDKParse(b *testing.B) {
	body := events.LINEBusyDelivery()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var cb webhook.CallbackRequest
		if err := json.Unmarshal(body, &cb); err != nil {
			b.Fatal(err)
		}
	}
}
