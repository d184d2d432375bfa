package widget_test

import (
	"encoding/hex"
	"testing"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/channeltest"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// seeds returns the bodies and signature headers of the widget samples in events/.
func seeds(f *testing.F) (bodies [][]byte, sigs []string) {
	f.Helper()
	samples, err := events.WebhookSamples(switchboard.KindWidget)
	if err != nil {
		f.Fatal(err)
	}
	if len(samples) == 0 {
		f.Fatal("no widget samples under events/webhooks")
	}
	for _, s := range samples {
		b, err := s.Body()
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
		sigs = append(sigs, s.Request.Headers[widget.SignatureHeader])
	}
	return bodies, sigs
}

func FuzzParse(f *testing.F) {
	bodies, _ := seeds(f)
	for _, b := range bodies {
		f.Add(b)
	}
	f.Add([]byte(`{"visitorId":"v","events":[{"id":"e","type":"message","timestamp":1,"attachment":{"type":"image","url":"u"}}]}`))
	f.Add([]byte(`{"visitorId":"v","events":[null,{"id":"e","type":"postback","timestamp":1,"payload":"p"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ch := testChannel()
		evs, err := widget.Webhook{}.Parse(ch, b)
		channeltest.CheckParse(t, ch, evs, err)
	})
}

func FuzzVerify(f *testing.F) {
	bodies, sigs := seeds(f)
	for i := range bodies {
		f.Add(bodies[i], sigs[i])
	}
	f.Add([]byte("{}"), "sha256=00")
	f.Fuzz(func(t *testing.T, b []byte, sig string) {
		ch := testChannel()
		ch.Secrets.SigningSecret = "switchboard-demo-secret" // the samples' secret, so seeds verify
		req := channel.Request{Headers: map[string]string{widget.SignatureHeader: sig}, Body: b}
		err := widget.Webhook{}.Verify(ch, req)
		channeltest.CheckVerifyError(t, err)
		if err == nil {
			got, derr := hex.DecodeString(sig[len("sha256="):])
			if derr != nil || !channel.EqualMAC(got, channel.HMACSHA256(ch.Secrets.SigningSecret, b)) {
				t.Fatalf("Verify accepted signature %q for body %q", sig, b)
			}
		}
		ch.Secrets.SigningSecret = ""
		if err := (widget.Webhook{}).Verify(ch, req); err == nil {
			t.Fatal("Verify accepted a request for a channel without a secret")
		}
	})
}
