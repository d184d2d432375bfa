package channel_test

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/channel"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestVerifySHA256Hex(t *testing.T) {
	const secret = "app-secret"
	body := []byte(`{"object":"page","entry":[]}`)
	good := channel.SignSHA256Hex(secret, body)
	ch := &switchboard.Channel{Secrets: switchboard.ChannelSecrets{SigningSecret: secret}}

	tests := []struct {
		name    string
		ch      *switchboard.Channel
		headers map[string]string
		want    string // error code, "" for success
	}{
		{"good", ch, map[string]string{"x-sig": good}, ""},
		{"header name in any case", ch, map[string]string{"X-Sig": good}, ""},
		{"upper-case prefix and hex", ch, map[string]string{"x-sig": "SHA256=" + strings.ToUpper(good[len("sha256="):])}, ""},
		{"missing", ch, nil, switchboard.EUnauthorized},
		{"no prefix", ch, map[string]string{"x-sig": good[len("sha256="):]}, switchboard.EUnauthorized},
		{"sha1 prefix", ch, map[string]string{"x-sig": "sha1=" + good[len("sha256="):]}, switchboard.EUnauthorized},
		{"not hex", ch, map[string]string{"x-sig": "sha256=zz"}, switchboard.EUnauthorized},
		{"truncated", ch, map[string]string{"x-sig": good[:len(good)-2]}, switchboard.EUnauthorized},
		{"wrong secret", ch, map[string]string{"x-sig": channel.SignSHA256Hex("other", body)}, switchboard.EUnauthorized},
		{"no secret configured", &switchboard.Channel{}, map[string]string{"x-sig": channel.SignSHA256Hex("", body)}, switchboard.EUnauthorized},
		{"nil channel", nil, map[string]string{"x-sig": good}, switchboard.EUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := channel.VerifySHA256Hex(tt.ch, channel.Request{Headers: tt.headers, Body: body}, "x-sig")
			if got := switchboard.ErrorCode(err); got != tt.want {
				t.Errorf("code = %q, want %q (err %v)", got, tt.want, err)
			}
		})
	}
}

func TestVerifySHA256HexNoSecretMessage(t *testing.T) {
	err := channel.VerifySHA256Hex(&switchboard.Channel{}, channel.Request{}, "x-sig")
	got, want := switchboard.ErrorMessage(err), switchboard.ErrorMessage(channel.ErrNoSecret())
	if got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestHubHandshake(t *testing.T) {
	ch := &switchboard.Channel{Secrets: switchboard.ChannelSecrets{VerifyToken: "tok"}}
	q := func(mode, token, challenge string) map[string]string {
		return map[string]string{"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
	}
	tests := []struct {
		name     string
		ch       *switchboard.Channel
		query    map[string]string
		want     string
		wantCode string
	}{
		{"good", ch, q("subscribe", "tok", "1158201444"), "1158201444", ""},
		{"wrong token", ch, q("subscribe", "tok2", "1"), "", switchboard.EForbidden},
		{"token prefix", ch, q("subscribe", "to", "1"), "", switchboard.EForbidden},
		{"empty token", ch, q("subscribe", "", "1"), "", switchboard.EForbidden},
		{"wrong mode", ch, q("unsubscribe", "tok", "1"), "", switchboard.EForbidden},
		{"no challenge", ch, q("subscribe", "tok", ""), "", switchboard.EForbidden},
		{"huge challenge", ch, q("subscribe", "tok", strings.Repeat("9", 300)), "", switchboard.EForbidden},
		{"no query", ch, nil, "", switchboard.EForbidden},
		{"no verify token configured", &switchboard.Channel{}, q("subscribe", "", "1"), "", switchboard.EForbidden},
		{"nil channel", nil, q("subscribe", "tok", "1"), "", switchboard.EForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := channel.HubHandshake(tt.ch, tt.query)
			if code := switchboard.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q, want %q (err %v)", code, tt.wantCode, err)
			}
			if got != tt.want {
				t.Errorf("challenge = %q, want %q", got, tt.want)
			}
		})
	}
}
