package line_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/channeltest"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// seeds returns the bodies and signature headers of the LINE samples in events/.
func seeds(f *testing.F) (bodies [][]byte, sigs []string) {
	f.Helper()
	samples, err := events.WebhookSamples(switchboard.KindLINE)
	if err != nil {
		f.Fatal(err)
	}
	if len(samples) == 0 {
		f.Fatal("no LINE samples under events/webhooks")
	}
	for _, s := range samples {
		b, err := s.Body()
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
		sigs = append(sigs, s.Request.Headers[line.SignatureHeader])
	}
	return bodies, sigs
}

func FuzzParse(f *testing.F) {
	bodies, _ := seeds(f)
	for _, b := range bodies {
		f.Add(b)
	}
	f.Add(body(event("message", "E", ts, `{"type":"group","groupId":"C"}`, `"message":{"type":"text","id":"M","text":"x"}`)))
	f.Add(body(event("message", "E", ts, userSrc, `"message":{"type":"hologram"}`)))
	f.Add(body(event("postback", "E", ts, userSrc, `"postback":null`)))
	f.Add([]byte(`{"destination":"U","events":[null]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch := testChannel()
		evs, err := line.Webhook{}.Parse(ch, b)
		channeltest.CheckParse(t, ch, evs, err)
	})
}

func FuzzVerify(f *testing.F) {
	bodies, sigs := seeds(f)
	for i := range bodies {
		f.Add(bodies[i], sigs[i])
	}
	f.Add([]byte("{}"), "")
	f.Add([]byte("{}"), "sha256="+strings.Repeat("0f", 32))
	f.Fuzz(func(t *testing.T, b []byte, sig string) {
		ch := testChannel()
		ch.Secrets.SigningSecret = "switchboard-demo-secret" // the samples' secret, so seeds verify
		req := channel.Request{Headers: map[string]string{line.SignatureHeader: sig}, Body: b}
		err := line.Webhook{}.Verify(ch, req)
		channeltest.CheckVerifyError(t, err)
		if err == nil {
			// Accepted only if the header decodes to the body's MAC (base64 may
			// be spelled more than one way, the MAC may not).
			got, derr := base64.StdEncoding.DecodeString(sig)
			want := channel.HMACSHA256(ch.Secrets.SigningSecret, b)
			if derr != nil || !channel.EqualMAC(got, want) {
				t.Fatalf("Verify accepted signature %q for body %q", sig, b)
			}
		}
		ch.Secrets.SigningSecret = ""
		if err := (line.Webhook{}).Verify(ch, req); err == nil {
			t.Fatal("Verify accepted a request for a channel without a secret")
		}
	})
}
