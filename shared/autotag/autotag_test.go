package autotag

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestTags(t *testing.T) {
	cfg := Config{Enabled: true, Tags: []Tag{
		{Name: "shipping", Keywords: []string{"運費", "Delivery"}},
		{Name: "refund", Keywords: []string{"退貨", "refund"}},
		{Name: "VIP會員", Keywords: []string{"VIP"}},
	}}
	tests := []struct {
		name string
		cfg  Config
		text string
		want []string
	}{
		{"one keyword", cfg, "請問運費多少", []string{"shipping"}},
		{"any keyword of a tag", cfg, "when is DELIVERY?", []string{"shipping"}},
		{"several tags, config order", cfg, "refund 和 運費", []string{"shipping", "refund"}},
		{"tag once even when two keywords hit", cfg, "運費 delivery", []string{"shipping"}},
		{"case ignored", cfg, "i am a vip", []string{"VIP會員"}},
		{"full-width differs", cfg, "ＶＩＰ", nil},
		{"nothing", cfg, "你好", nil},
		{"empty text", cfg, "", nil},
		{"switched off", Config{Tags: cfg.Tags}, "運費", nil},
	}
	for _, tt := range tests {
		if got := Tags(tt.cfg, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Tags(%q) = %v, want %v", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	kws := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("k%d", i)
		}
		return out
	}
	tags := func(n int) []Tag {
		out := make([]Tag, n)
		for i := range out {
			out[i] = Tag{Name: fmt.Sprintf("tag%d", i), Keywords: []string{"x"}}
		}
		return out
	}
	tests := []struct {
		name string
		tags []Tag
		want string // substring of the error message; "" for valid
	}{
		{"valid", []Tag{{Name: "退貨處理", Keywords: []string{"退貨"}}}, ""},
		{"60 tags", tags(60), ""},
		{"61 tags", tags(61), "at most 60"},
		{"3-character name", []Tag{{Name: "VIP", Keywords: []string{"x"}}}, ""},
		{"3 Chinese characters", []Tag{{Name: "退貨中", Keywords: []string{"x"}}}, ""},
		{"2-character name", []Tag{{Name: "退貨", Keywords: []string{"x"}}}, "3 to 40"},
		{"40-character name", []Tag{{Name: strings.Repeat("字", 40), Keywords: []string{"x"}}}, ""},
		{"41-character name", []Tag{{Name: strings.Repeat("字", 41), Keywords: []string{"x"}}}, "3 to 40"},
		{"padded name", []Tag{{Name: " VIP ", Keywords: []string{"x"}}}, "spaces"},
		{"duplicate name by case", []Tag{{Name: "vip", Keywords: []string{"x"}}, {Name: "VIP", Keywords: []string{"y"}}}, "twice"},
		{"no keywords", []Tag{{Name: "VIP"}}, "1 to 20 keywords"},
		{"20 keywords", []Tag{{Name: "VIP", Keywords: kws(20)}}, ""},
		{"21 keywords", []Tag{{Name: "VIP", Keywords: kws(21)}}, "1 to 20 keywords"},
		{"40-character keyword", []Tag{{Name: "VIP", Keywords: []string{strings.Repeat("字", 40)}}}, ""},
		{"41-character keyword", []Tag{{Name: "VIP", Keywords: []string{strings.Repeat("字", 41)}}}, "more than 40"},
		{"blank keyword", []Tag{{Name: "VIP", Keywords: []string{"  "}}}, "empty keyword"},
		{"duplicate keyword by case", []Tag{{Name: "VIP", Keywords: []string{"Gold", "gold"}}}, "twice"},
		{"invalid UTF-8", []Tag{{Name: "VIP", Keywords: []string{"\xff"}}}, "UTF-8"},
	}
	for _, tt := range tests {
		c := Config{Enabled: true, Tags: tt.tags}
		err := c.Validate()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if switchboard.ErrorCode(err) != switchboard.EInvalid || !strings.Contains(switchboard.ErrorMessage(err), tt.want) {
			t.Errorf("%s: error %v, want EInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
}

func FuzzTags(f *testing.F) {
	f.Add("請問運費多少", "運費")
	f.Add("ＶＩＰ", "vip")
	f.Add("\xff\xfe", "\xfe")
	f.Fuzz(func(t *testing.T, text, kw string) {
		cfg := Config{Enabled: true, Tags: []Tag{{Name: "tag", Keywords: []string{kw}}}}
		got := Tags(cfg, text)
		if len(got) > 1 || len(got) == 1 && got[0] != "tag" {
			t.Fatalf("Tags = %v", got)
		}
		k := strings.TrimSpace(kw)
		if k != "" && strings.Contains(text, k) && utf8.ValidString(text) && utf8.ValidString(k) && len(got) != 1 {
			t.Fatalf("%q contains %q but was not tagged", text, kw)
		}
		_ = cfg.Validate()
	})
}
