package whatsapp_test

import (
	"encoding/hex"
	"testing"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/channeltest"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// seeds returns the bodies and signature headers of the WhatsApp samples in events/.
func seeds(f *testing.F) (bodies [][]byte, sigs []string) {
	f.Helper()
	samples, err := events.WebhookSamples(switchboard.KindWhatsApp)
	if err != nil {
		f.Fatal(err)
	}
	if len(samples) == 0 {
		f.Fatal("no WhatsApp samples under events/webhooks")
	}
	for _, s := range samples {
		b, err := s.Body()
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
		sigs = append(sigs, s.Request.Headers[whatsapp.SignatureHeader])
	}
	return bodies, sigs
}

func FuzzParse(f *testing.F) {
	bodies, _ := seeds(f)
	for _, b := range bodies {
		f.Add(b)
	}
	f.Add(value(phoneID, msgs(`"type":"interactive","interactive":{"type":"list_reply"}`)))
	f.Add(value(phoneID, `,"statuses":[{"id":"w","status":"failed","timestamp":"1","recipient_id":"1","errors":[]}]`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[null,{"changes":[null,{"field":"messages","value":null}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pid := range []string{phoneID, ""} {
			ch := testChannel()
			ch.PlatformID = pid
			evs, err := whatsapp.Webhook{}.Parse(ch, b)
			channeltest.CheckParse(t, ch, evs, err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	bodies, sigs := seeds(f)
	for i := range bodies {
		f.Add(bodies[i], sigs[i])
	}
	f.Add([]byte(""), "sha256=")
	f.Fuzz(func(t *testing.T, b []byte, sig string) {
		ch := testChannel()
		ch.Secrets.SigningSecret = "switchboard-demo-secret" // the samples' secret, so seeds verify
		req := channel.Request{Headers: map[string]string{whatsapp.SignatureHeader: sig}, Body: b}
		err := whatsapp.Webhook{}.Verify(ch, req)
		channeltest.CheckVerifyError(t, err)
		if err == nil {
			got, derr := hex.DecodeString(sig[len("sha256="):])
			if derr != nil || !channel.EqualMAC(got, channel.HMACSHA256(ch.Secrets.SigningSecret, b)) {
				t.Fatalf("Verify accepted signature %q for body %q", sig, b)
			}
		}
		ch.Secrets.SigningSecret = ""
		if err := (whatsapp.Webhook{}).Verify(ch, req); err == nil {
			t.Fatal("Verify accepted a request for a channel without a secret")
		}
	})
}
