package widgetsite

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/channel"
)

func TestSignatureAndShape(t *testing.T) {
	f := New(Config{Tokens: []string{"tok"}})
	good := `{"channelId":"c","visitorId":"v","messages":[{"kind":"text","text":"hi"}]}`
	tests := []struct {
		name, body, sig string
		want            int
	}{
		{"signed", good, channel.SignSHA256Hex("tok", []byte(good)), 200},
		{"wrong token", good, channel.SignSHA256Hex("other", []byte(good)), 401},
		{"unsigned", good, "", 401},
		{"no messages", `{"messages":[]}`, channel.SignSHA256Hex("tok", []byte(`{"messages":[]}`)), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/messages", strings.NewReader(tt.body))
			if tt.sig != "" {
				req.Header.Set("X-Switchboard-Signature", tt.sig)
			}
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, req)
			if got := rec.Code; got != tt.want {
				t.Errorf("status = %d, want %d (%s)", got, tt.want, rec.Body)
			}
		})
	}
	if got, want := len(f.Requests()), len(tests); got != want {
		t.Errorf("recorded %d requests, want %d", got, want)
	}
}
