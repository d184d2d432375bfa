package bot

import (
	"testing"
	"time"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestParseAnswer(t *testing.T) {
	taipei, err := time.LoadLocation("Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	text := func(s string) *sb.InboundMessage { return &sb.InboundMessage{Kind: sb.MsgText, Text: s} }
	img := &sb.InboundMessage{Kind: sb.MsgImage, MediaURL: "https://cdn.example.com/i.jpg"}
	sticker := &sb.InboundMessage{Kind: sb.MsgSticker, StickerID: "1/2"}
	tests := []struct {
		name   string
		typ    sb.AttributeType
		msg    *sb.InboundMessage
		want   string
		wantOK bool
	}{
		{"text", sb.AttrText, text("  size M  "), "size M", true},
		{"text answered with an image", sb.AttrText, img, "https://cdn.example.com/i.jpg", true},
		{"text answered with a sticker", "", sticker, "", true},
		{"number", sb.AttrNumber, text("42"), "42", true},
		{"decimal number", sb.AttrNumber, text(" 3.50 "), "3.5", true},
		{"negative number", sb.AttrNumber, text("-7"), "-7", true},
		{"number with spaces", sb.AttrNumber, text("1 000"), "1000", true},
		{"not a number", sb.AttrNumber, text("about 3"), "", false},
		{"infinite number", sb.AttrNumber, text("Inf"), "", false},
		{"number answered with an image", sb.AttrNumber, img, "", false},
		{"date", sb.AttrDate, text("2025-12-31"), "2025-12-31", true},
		{"date with slashes", sb.AttrDate, text("2025/1/5"), "2025-01-05", true},
		{"impossible date", sb.AttrDate, text("2025-02-30"), "", false},
		{"not a date", sb.AttrDate, text("tomorrow"), "", false},
		{"datetime RFC 3339", sb.AttrDateTime, text("2025-12-31T18:30:00+08:00"), "2025-12-31T10:30:00Z", true},
		{"datetime in the team's zone", sb.AttrDateTime, text("2025-12-31 18:30"), "2025-12-31T10:30:00Z", true},
		{"not a datetime", sb.AttrDateTime, text("18:30"), "", false},
		{"yes", sb.AttrBoolean, text("Yes"), "true", true},
		{"是", sb.AttrBoolean, text("是"), "true", true},
		{"no", sb.AttrBoolean, text("n"), "false", true},
		{"不要", sb.AttrBoolean, text("不要"), "false", true},
		{"maybe", sb.AttrBoolean, text("maybe"), "", false},
		{"unknown type", "money", text("1"), "", false},
		{"no message", sb.AttrText, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseAnswer(tt.typ, tt.msg, taipei)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseAnswer(%s) = %q, %t; want %q, %t", tt.typ, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
