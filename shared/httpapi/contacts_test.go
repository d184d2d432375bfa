package httpapi

import (
	"maps"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestContactPatch(t *testing.T) {
	tests := []struct {
		name     string
		kind     switchboard.ChannelKind
		body     string
		wantCode int
		wantMsg  string
		check    func(t *testing.T, ct *switchboard.Contact)
	}{
		{"details", switchboard.KindLINE, `{"displayName":" Amy Chen ","note":"VIP since 2020","phone":"0912-345-678","email":"amy@example.com","memberId":"M001"}`, 200, "",
			func(t *testing.T, ct *switchboard.Contact) {
				if ct.DisplayName != "Amy Chen" || ct.Phone != "0912-345-678" || ct.Email != "amy@example.com" || ct.MemberID != "M001" || ct.NativeName != "Amy c1" {
					t.Errorf("contact = %+v", ct)
				}
			}},
		{"attributes of each type", switchboard.KindLINE, `{"attributes":{"age":{"type":"number","value":31.5},"birthday":{"type":"date","value":"1994-02-28"},"vip":{"type":"boolean","value":true},"city":{"type":"text","value":"台北"}}}`, 200, "",
			func(t *testing.T, ct *switchboard.Contact) {
				want := map[string]switchboard.AttributeValue{
					"age": {Type: "number", Value: "31.5"}, "birthday": {Type: "date", Value: "1994-02-28"},
					"vip": {Type: "boolean", Value: "true"}, "city": {Type: "text", Value: "台北"},
					"Tier": {Type: "text", Value: "gold"},
				}
				if !maps.Equal(ct.Attributes, want) {
					t.Errorf("attributes = %v", ct.Attributes)
				}
			}},
		{"null removes an attribute", switchboard.KindLINE, `{"attributes":{"Tier":null}}`, 200, "",
			func(t *testing.T, ct *switchboard.Contact) {
				if ct.Attributes != nil {
					t.Errorf("attributes = %v", ct.Attributes)
				}
			}},
		{"keys are case-sensitive", switchboard.KindLINE, `{"attributes":{"tier":{"type":"number","value":2}}}`, 200, "",
			func(t *testing.T, ct *switchboard.Contact) {
				if len(ct.Attributes) != 2 {
					t.Errorf("attributes = %v", ct.Attributes)
				}
			}},
		{"native name is read-only", switchboard.KindLINE, `{"nativeName":"Someone"}`, 400, "nativeName is the name the platform reports and cannot be changed; set displayName instead", nil},
		{"native name null is still refused", switchboard.KindLINE, `{"nativeName":null}`, 400, "nativeName is the name the platform reports and cannot be changed; set displayName instead", nil},
		{"number as a string", switchboard.KindLINE, `{"attributes":{"age":{"type":"number","value":"31"}}}`, 400, `attribute "age" is number: its value must be a number`, nil},
		{"text as a number", switchboard.KindLINE, `{"attributes":{"city":{"type":"text","value":3}}}`, 400, `attribute "city" is text: its value must be a string`, nil},
		{"bad date", switchboard.KindLINE, `{"attributes":{"d":{"type":"date","value":"2024-02-30"}}}`, 400, `attribute "d" is date: its value must be a date "YYYY-MM-DD"`, nil},
		{"boolean as a string", switchboard.KindLINE, `{"attributes":{"b":{"type":"boolean","value":"true"}}}`, 400, `attribute "b" is boolean: its value must be true or false`, nil},
		{"unknown type", switchboard.KindLINE, `{"attributes":{"x":{"type":"money","value":1}}}`, 400, `attribute "x": type must be text, number, date or boolean`, nil},
		{"bad key", switchboard.KindLINE, `{"attributes":{"my-key":{"type":"text","value":"x"}}}`, 400, `attribute key "my-key" must be 1 to 64 letters, digits or underscores`, nil},
		{"type change", switchboard.KindLINE, `{"attributes":{"Tier":{"type":"number","value":1}}}`, 400, `attribute "Tier" is text, not number; remove it (null) before giving it another type`, nil},
		{"bad email", switchboard.KindLINE, `{"email":"amy"}`, 400, `email "amy" is not an e-mail address`, nil},
		{"bad phone", switchboard.KindLINE, `{"phone":"call me"}`, 400, "phone must be digits with optional spaces, dots, dashes, brackets and a leading +, at most 30 characters", nil},
		{"long name", switchboard.KindLINE, `{"displayName":"` + strings.Repeat("名", 101) + `"}`, 400, "displayName must be at most 100 characters", nil},
		{"WhatsApp phone", switchboard.KindWhatsApp, `{"phone":"+886912000000"}`, 400, "a WhatsApp customer's phone is their WhatsApp number and cannot be changed", nil},
		{"WhatsApp phone unchanged", switchboard.KindWhatsApp, `{"phone":"+886912345678","note":"n"}`, 200, "", nil},
		{"unknown field", switchboard.KindLINE, `{"nickname":"x"}`, 400, `unknown field "nickname"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			token := inboxScene(hs, switchboard.RoleCSAgent)
			ct := testContact("c1", teamA, branch1)
			ct.ChannelKind = tt.kind
			ct.Phone = "+886912345678"
			ct.Attributes = map[string]switchboard.AttributeValue{"Tier": {Type: "text", Value: "gold"}}
			hs.inbox.addContact(ct)
			hs.inbox.addConversation(pendingConv("c1", 5))
			resp := hs.call("PATCH", "/v1/contacts/c1", token, tt.body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, resp.Body)
			}
			if tt.wantMsg != "" {
				if _, msg := errorOf(t, resp); msg != tt.wantMsg {
					t.Errorf("message %q, want %q", msg, tt.wantMsg)
				}
				if got := hs.inbox.contact(teamA, "c1"); got.Version != 1 {
					t.Errorf("a refused patch changed the contact")
				}
				return
			}
			stored := hs.inbox.contact(teamA, "c1")
			if tt.check != nil {
				tt.check(t, stored)
			}
			// The conversation's search text follows the contact.
			if conv := hs.inbox.conversation(teamA, "c1"); !strings.Contains(conv.SearchText, strings.ToLower(stored.Name())) {
				t.Errorf("search text %q lacks %q", conv.SearchText, stored.Name())
			}
		})
	}
}

func TestContactTags(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleCSAgent)
	hs.inbox.addConversation(pendingConv("c1", 5))
	tag := func(body string) *switchboard.Contact {
		t.Helper()
		resp := hs.call("POST", "/v1/contacts/c1/tags", token, body)
		if resp.StatusCode != 200 {
			t.Fatalf("tag %s: %d %s", body, resp.StatusCode, resp.Body)
		}
		var ct switchboard.Contact
		decodeBody(t, resp, &ct)
		return &ct
	}
	ct := tag(`{"tags":["vip","refund"]}`)
	if ct.Tags["vip"].Count != 1 || ct.Tags["refund"].Count != 1 {
		t.Fatalf("tags = %v", ct.Tags)
	}
	// Tagging an existing tag again counts it once more and logs it again;
	// a tag repeated in one request counts once.
	ct = tag(`{"tags":["vip","vip"]}`)
	if ct.Tags["vip"].Count != 2 || ct.Tags["refund"].Count != 1 {
		t.Errorf("tags after re-tagging = %v", ct.Tags)
	}
	var log tagLogList
	decodeBody(t, hs.call("GET", "/v1/contacts/c1/tags/log", token, ""), &log)
	if len(log.Items) != 3 {
		t.Fatalf("log has %d records, want 3", len(log.Items))
	}
	for _, l := range log.Items {
		if l.ChannelID != "ch-1" || l.Source != switchboard.TagByAgent || l.MemberID != "me" || !l.At.Equal(testNow) {
			t.Errorf("log record %+v", l)
		}
	}
	if conv := hs.inbox.conversation(teamA, "c1"); !strings.Contains(conv.SearchText, "refund") {
		t.Errorf("search text %q lacks the tag", conv.SearchText)
	}
	// Removing a tag removes its log records.
	if code := hs.call("DELETE", "/v1/contacts/c1/tags/vip", token, "").StatusCode; code != 204 {
		t.Fatalf("untag: %d", code)
	}
	decodeBody(t, hs.call("GET", "/v1/contacts/c1/tags/log", token, ""), &log)
	if len(log.Items) != 1 || log.Items[0].Tag != "refund" {
		t.Errorf("log after untagging = %+v", log.Items)
	}
	if got := hs.inbox.contact(teamA, "c1").Tags; len(got) != 1 {
		t.Errorf("tags after untagging = %v", got)
	}
	resp := hs.call("DELETE", "/v1/contacts/c1/tags/vip", token, "")
	if _, msg := errorOf(t, resp); resp.StatusCode != 404 || msg != `the contact has no tag "vip"` {
		t.Errorf("untag again: %d %q", resp.StatusCode, msg)
	}
	// A tag with a space, percent-encoded in the path.
	tag(`{"tags":["new customer"]}`)
	if code := hs.call("DELETE", "/v1/contacts/c1/tags/new%20customer", token, "").StatusCode; code != 204 {
		t.Errorf("untag an encoded name: %d", code)
	}

	for body, want := range map[string]string{
		`{"tags":[]}`:      "tags must list 1 to 20 tags",
		`{"tags":["a/b"]}`: `tag "a/b" must not contain a slash or control characters`,
		`{"tags":[" x"]}`:  `tag " x" must not start or end with spaces`,
		`{"tags":["` + strings.Repeat("標", 41) + `"]}`: `tag "` + strings.Repeat("標", 41) + `" must be 1 to 40 characters`,
	} {
		resp := hs.call("POST", "/v1/contacts/c1/tags", token, body)
		if _, msg := errorOf(t, resp); resp.StatusCode != 400 || msg != want {
			t.Errorf("%s: %d %q, want %q", body, resp.StatusCode, msg, want)
		}
	}
}

func TestContactOfAnotherTeam(t *testing.T) {
	hs := newHarness(t)
	token := inboxScene(hs, switchboard.RoleAdmin)
	hs.inbox.addContact(testContact("cb", teamB, branch1))
	hs.inbox.addConversation(switchboard.Conversation{ID: "cb", TeamID: teamB, Status: switchboard.StatusPending})
	before := hs.inbox.snapshotTeam(teamB)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/contacts/cb", ""},
		{"PATCH", "/v1/contacts/cb", `{"note":"x"}`},
		{"POST", "/v1/contacts/cb/tags", `{"tags":["x"]}`},
		{"GET", "/v1/contacts/cb/tags/log", ""},
		{"DELETE", "/v1/contacts/cb/tags/x", ""},
	} {
		if got := hs.call(c.method, c.path, token, c.body).StatusCode; got != 404 {
			t.Errorf("%s %s: %d, want 404", c.method, c.path, got)
		}
	}
	if hs.inbox.snapshotTeam(teamB) != before {
		t.Errorf("team B's contact changed")
	}
}
