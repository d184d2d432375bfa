package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
)

func renderContact() *sb.Contact {
	return &sb.Contact{
		NativeName: "Lin Mei", MemberID: "M-77", Email: "mei@example.com", Phone: "0912-345-678",
		Attributes: map[string]sb.AttributeValue{
			"size":                 {Type: sb.AttrText, Value: "M"},
			LoyaltyPointsAttribute: {Type: sb.AttrNumber, Value: "1200"},
		},
	}
}

func TestRender(t *testing.T) {
	c := renderContact()
	named := renderContact()
	named.DisplayName = "Mei (VIP)"
	tests := []struct {
		name    string
		tpl     string
		contact *sb.Contact
		want    string
	}{
		{"no variables", "Hello!", c, "Hello!"},
		{"customer name", "Hi {{system:customer_name}}!", c, "Hi Lin Mei!"},
		{"the team's name wins", "Hi {{system:customer_name}}!", named, "Hi Mei (VIP)!"},
		{"misspelt customer name", "Hi {{system:cutomer_name}}!", c, "Hi Lin Mei!"},
		{"unknown name is empty", "Hi {{system:customer_name}}!", &sb.Contact{}, "Hi !"},
		{"member id, email, phone", "{{system:member_id}}/{{system:email}}/{{system:phone}}", c, "M-77/mei@example.com/0912-345-678"},
		{"custom attribute", "Size {{custom:size}}", c, "Size M"},
		{"missing custom attribute", "Size {{custom:waist}}", c, "Size "},
		{"loyalty points", "You have {{system:loyaltyPoint:balance}} points", c, "You have 1200 points"},
		{"loyalty points unknown", "You have {{system:loyaltyPoint:balance}} points", &sb.Contact{}, "You have  points"},
		{"unknown variable", "a{{system:shoe_size}}b", c, "ab"},
		{"spaces inside braces", "Hi {{ system:customer_name }}", c, "Hi Lin Mei"},
		{"unclosed braces stay", "Hi {{system:customer_name", c, "Hi {{system:customer_name"},
		{"stray closing braces stay", "a }} b", c, "a }} b"},
		{"no contact", "Hi {{system:customer_name}}", nil, "Hi "},
		{"values are not expanded again", "Hi {{system:customer_name}}", &sb.Contact{NativeName: "{{system:email}}", Email: "secret@example.com"}, "Hi {{system:email}}"},
		{"adjacent variables", "{{custom:size}}{{custom:size}}", c, "MM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.tpl, tt.contact); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.tpl, got, tt.want)
			}
		})
	}
}

func TestRenderEscaped(t *testing.T) {
	c := &sb.Contact{NativeName: `Mei", "admin": true, "x": "`, Phone: "09 12&x=1"}
	tests := []struct {
		name, tpl string
		escape    func(string) string
		want      string
	}{
		{"JSON", `{"name":"{{system:customer_name}}"}`, jsonEscape, `{"name":"Mei\", \"admin\": true, \"x\": \""}`},
		{"URL", "https://api.example.com/c?phone={{system:phone}}", urlEscape, "https://api.example.com/c?phone=09%2012%26x%3D1"},
		{"header", "Bearer {{custom:t}}", headerEscape, "Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RenderEscaped(tt.tpl, c, tt.escape); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	c.Attributes = map[string]sb.AttributeValue{"t": {Value: "a\r\nX-Evil: 1"}}
	if got := RenderEscaped("Bearer {{custom:t}}", c, headerEscape); strings.ContainsAny(got, "\r\n") {
		t.Errorf("header value %q keeps a line break", got)
	}
}

// FuzzRender checks rendering is single-pass: whatever the template and the
// contact's values, no variable syntax survives that was not in the template
// or a value, nothing panics, and output is never longer than the template
// plus the values it could have taken in.
func FuzzRender(f *testing.F) {
	f.Add("Hi {{system:customer_name}}", "Mei", "M")
	f.Add("{{custom:size}}{{", "{{custom:size}}", "}}")
	f.Add("{{{{system:email}}}}", "x", "y")
	f.Add("{{ system:loyaltyPoint:balance }}", "", "100")
	f.Fuzz(func(t *testing.T, tpl, name, size string) {
		c := &sb.Contact{NativeName: name, Attributes: map[string]sb.AttributeValue{"size": {Value: size}, LoyaltyPointsAttribute: {Value: size}}}
		got := Render(tpl, c)
		if !strings.Contains(tpl, "{{") && got != tpl {
			t.Fatalf("a template without variables changed: %q -> %q", tpl, got)
		}
		n := strings.Count(tpl, "{{")
		if max := len(tpl) + n*(len(name)+len(size)); len(got) > max {
			t.Fatalf("output of %d bytes exceeds the %d the template and values allow", len(got), max)
		}
		if utf8.ValidString(tpl) && utf8.ValidString(name) && utf8.ValidString(size) && !utf8.ValidString(got) {
			t.Fatalf("valid UTF-8 in, invalid out: %q", got)
		}
		// The values are copied, never read as templates: rendering with
		// values that hold variables gives the same result as replacing them
		// with placeholders and substituting back.
		plain := &sb.Contact{NativeName: "\x00N\x00", Attributes: map[string]sb.AttributeValue{"size": {Value: "\x00S\x00"}, LoyaltyPointsAttribute: {Value: "\x00S\x00"}}}
		if strings.Contains(tpl, "\x00") || strings.Contains(name, "\x00") || strings.Contains(size, "\x00") {
			return
		}
		want := strings.NewReplacer("\x00N\x00", name, "\x00S\x00", size).Replace(Render(tpl, plain))
		if got != want {
			t.Fatalf("values were re-read as templates: got %q, want %q", got, want)
		}
	})
}
