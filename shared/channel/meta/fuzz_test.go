package meta_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/channel/channeltest"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// seeds returns the bodies and signature headers of the Messenger and
// Instagram POST samples in events/.
func seeds(f *testing.F) (bodies [][]byte, sigs []string) {
	f.Helper()
	samples, err := events.WebhookSamples(switchboard.KindMessenger, switchboard.KindInstagram)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		if s.Request.RequestContext.HTTP.Method != "POST" {
			continue
		}
		b, err := s.Body()
		if err != nil {
			f.Fatal(err)
		}
		bodies = append(bodies, b)
		sigs = append(sigs, s.Request.Headers[meta.SignatureHeader])
	}
	if len(bodies) == 0 {
		f.Fatal("no Messenger or Instagram samples under events/webhooks")
	}
	return bodies, sigs
}

func FuzzParse(f *testing.F) {
	bodies, _ := seeds(f)
	for _, b := range bodies {
		f.Add(b)
	}
	f.Add(body("page", item(`"message":{"mid":"m","attachments":[{"type":"image","payload":{"sticker_id":"1"}},{"type":"sticker","payload":null},null]}`)))
	f.Add(body("page", `{"sender":{"user_ref":"u"},"message":{"mid":"m"}}`))
	f.Add(body("instagram", item(`"read":{"mid":"m"}`)))
	f.Add([]byte(`{"object":"page","entry":[null,{"messaging":[null]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Both kinds and both PlatformID settings: the object check and the
		// entry filter are the branches a body cannot choose.
		for _, ch := range []*switchboard.Channel{messengerChannel(), instagramChannel()} {
			for _, pid := range []string{ch.PlatformID, ""} {
				ch.PlatformID = pid
				evs, err := meta.Webhook{Kind: ch.Kind}.Parse(ch, b)
				channeltest.CheckParse(t, ch, evs, err)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	bodies, sigs := seeds(f)
	for i := range bodies {
		f.Add(bodies[i], sigs[i])
	}
	f.Add([]byte("{}"), "")
	f.Add([]byte("{}"), "sha256=")
	f.Add([]byte("{}"), "SHA256="+strings.Repeat("AB", 32))
	f.Fuzz(func(t *testing.T, b []byte, sig string) {
		ch := messengerChannel()
		ch.Secrets.SigningSecret = "switchboard-demo-secret" // the samples' secret, so seeds verify
		req := channel.Request{Headers: map[string]string{"X-Hub-Signature-256": sig}, Body: b}
		err := meta.Webhook{Kind: switchboard.KindMessenger}.Verify(ch, req)
		channeltest.CheckVerifyError(t, err)
		if err == nil {
			got, derr := hex.DecodeString(sig[len("sha256="):])
			if derr != nil || !channel.EqualMAC(got, channel.HMACSHA256(ch.Secrets.SigningSecret, b)) {
				t.Fatalf("Verify accepted signature %q for body %q", sig, b)
			}
		}
		ch.Secrets.SigningSecret = ""
		if err := (meta.Webhook{Kind: switchboard.KindMessenger}).Verify(ch, req); err == nil {
			t.Fatal("Verify accepted a request for a channel without a secret")
		}
	})
}
