package switchboard

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSearchKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Amy\tCHEN \n", "amy chen"},
		{"運費\n多少", "運費 多少"},
		{"ＡＢＣ", "ａｂｃ"},
		{"a\x00b", "a b"},
		{"\xff\xfeok", "ok"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SearchKey(tt.in); got != tt.want {
			t.Errorf("SearchKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchText(t *testing.T) {
	var c Conversation
	ct := &Contact{NativeName: "王小明", DisplayName: "Ming", Phone: "0912-345-678", Email: "Ming@Example.com", Note: "Likes tea",
		Tags: map[string]TagCount{"vip": {Count: 1}, "Refund": {Count: 2}}}
	c.IndexMessage("first message")
	c.IndexContact(ct)
	for _, want := range []string{"王小明", "ming", "0912-345-678", "0912345678", "ming@example.com", "likes tea", "vip", "refund", "first message"} {
		if !strings.Contains(c.SearchText, want) {
			t.Errorf("search text %q lacks %q", c.SearchText, want)
		}
	}
	// Only the last SearchMessages messages stay; the contact line stays first.
	for i := range SearchMessages + 5 {
		c.IndexMessage(fmt.Sprintf("message number %d", i))
	}
	if strings.Contains(c.SearchText, "first message") || strings.Contains(c.SearchText, "message number 4\n") {
		t.Errorf("old messages were kept: %q", c.SearchText)
	}
	if !strings.HasPrefix(c.SearchText, "王小明 ming") || !strings.HasSuffix(c.SearchText, "message number 14") {
		t.Errorf("search text = %q", c.SearchText)
	}
	if got := strings.Count(c.SearchText, "\n"); got != SearchMessages {
		t.Errorf("%d message lines, want %d", got, SearchMessages)
	}
	// Re-indexing the contact keeps the messages.
	ct.DisplayName = "Ming Wang"
	c.IndexContact(ct)
	if !strings.Contains(c.SearchText, "ming wang") || !strings.Contains(c.SearchText, "message number 14") {
		t.Errorf("after re-indexing the contact: %q", c.SearchText)
	}
	// However long the texts, the whole stays within SearchTextBytes and
	// valid UTF-8.
	ct.Note = strings.Repeat("長", 2000)
	c.IndexContact(ct)
	for range 20 {
		c.IndexMessage(strings.Repeat("字", 1000))
	}
	if len(c.SearchText) > SearchTextBytes || !utf8.ValidString(c.SearchText) {
		t.Errorf("search text is %d bytes (valid %v), limit %d", len(c.SearchText), utf8.ValidString(c.SearchText), SearchTextBytes)
	}
	if i := strings.IndexByte(c.SearchText, '\n'); i > SearchContactBytes {
		t.Errorf("contact line is %d bytes, limit %d", i, SearchContactBytes)
	}
	c.IndexMessage("  \n ")
	if strings.HasSuffix(c.SearchText, "\n") {
		t.Errorf("a blank message added a line")
	}
}

func TestContactTags(t *testing.T) {
	now := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var c Contact
	for i := range 3 {
		if err := c.AddTag("vip", now.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Tags["vip"]; got.Count != 3 || !got.LastTaggedAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("vip = %+v, want count 3 at the last time", got)
	}
	if !c.RemoveTag("vip") || c.RemoveTag("vip") || c.Tags != nil {
		t.Errorf("RemoveTag did not remove exactly once: %v", c.Tags)
	}
	for i := range MaxContactTags {
		if err := c.AddTag(fmt.Sprint(i), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddTag("one more", now); ErrorCode(err) != EInvalid {
		t.Errorf("tag beyond the limit: %v", err)
	}
	if err := c.AddTag("0", now); err != nil {
		t.Errorf("re-tagging at the limit: %v", err)
	}
}

func TestValidTagName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"vip", true},
		{"新客戶 2025", true},
		{strings.Repeat("標", 40), true},
		{strings.Repeat("標", 41), false},
		{"", false},
		{" vip", false},
		{"a/b", false},
		{"a\nb", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if err := ValidTagName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidTagName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestRolePermissionsForTheInbox(t *testing.T) {
	tests := []struct {
		perm Permission
		want []Role
	}{
		{PermManageRules, []Role{RoleAdmin, RoleSupervisor, RoleCSManager, RoleMarketer}},
		{PermDeleteConversations, []Role{RoleAdmin, RoleSupervisor}},
	}
	for _, tt := range tests {
		for _, r := range Roles {
			want := false
			for _, w := range tt.want {
				want = want || w == r
			}
			if got := r.Can(tt.perm); got != want {
				t.Errorf("%s.Can(%s) = %v, want %v", r, tt.perm, got, want)
			}
		}
	}
}
