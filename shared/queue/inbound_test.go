package queue_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestInboundRoundTrip(t *testing.T) {
	tests := []string{
		"hello",
		"emoji 🎉 and 中文",
		"non-characters \uFFFE and \uFFFF SQS rejects",
		"controls \x00 \x01 \t \n",
	}
	for _, text := range tests {
		e := event(1, "u1", 0)
		e.Message.Text = text
		e.OccurredAt = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
		body, err := queue.EncodeInbound(&e)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range body {
			if !sqsAllowed(r) {
				t.Fatalf("body of %q holds %U, which SQS rejects", text, r)
			}
		}
		got, err := queue.DecodeInbound(events.SQSMessage{MessageId: "m", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, &e) {
			t.Fatalf("round trip of %q = %+v, want %+v", text, got, &e)
		}
	}
}

// sqsAllowed reports whether SQS accepts r in a message body.
func sqsAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func TestDecodeInboundRejects(t *testing.T) {
	for _, body := range []string{"", "not json", "[]", `{"id":"x"}`, `{"id":"x","teamId":"t","channelId":"c"}`} {
		_, err := queue.DecodeInbound(events.SQSMessage{MessageId: "m1", Body: body})
		if got := switchboard.ErrorCode(err); got != switchboard.EInvalid {
			t.Errorf("DecodeInbound(%q): code %q, want %q", body, got, switchboard.EInvalid)
		}
		if queue.Disposition(err) != queue.Drop {
			t.Errorf("DecodeInbound(%q) error would be retried; it can never succeed", body)
		}
	}
}

// FuzzDecodeInbound feeds arbitrary queue bodies: decoding must not panic, must
// fail only with EInvalid, and what it accepts must encode to an SQS-safe body
// that decodes to the same event.
func FuzzDecodeInbound(f *testing.F) {
	e := event(1, "u1", 5)
	body, _ := queue.EncodeInbound(&e)
	f.Add(body)
	f.Add(`{"id":"1","teamId":"t","channelId":"c","type":"message","message":{"text":"\ufffe"}}`)
	f.Add(`{}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		got, err := queue.DecodeInbound(events.SQSMessage{MessageId: "m", Body: body})
		if err != nil {
			if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
				t.Fatalf("code %q, want %q", code, switchboard.EInvalid)
			}
			return
		}
		again, err := queue.EncodeInbound(got)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(again) || strings.ContainsAny(again, "\uFFFE\uFFFF") {
			t.Fatalf("re-encoded body is not SQS-safe: %q", again)
		}
		back, err := queue.DecodeInbound(events.SQSMessage{MessageId: "m", Body: again})
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the event:\n%s\n%s", a, b)
		}
	})
}
