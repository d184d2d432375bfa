// Package autotag tags a customer when a message contains a keyword of a tag
// (SHOPLINE's 「自動添加標籤」, 003 §14). It compares text the way package
// keyword does, so a team sees one behaviour everywhere: letter case is
// ignored, full-width and half-width characters differ, and white space around
// a keyword does not count. SHOPLINE itself documents tag search as
// case-insensitive (003 §11: 「英文大小寫不影響搜尋」).
package autotag

import (
	"strings"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/casefold"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Limits from the seed (003 §14: 「目前最多支援新增 60 個標籤,且標籤字數需介於 3~40
// 字之間。關鍵字字數限制為 40 字,且一個標籤最多支援新增 20 個關鍵字」). Lengths are
// counted in characters (runes), not bytes, so 40 Chinese characters fit.
const (
	MaxTags           = 60
	MinTagNameLen     = 3
	MaxTagNameLen     = 40
	MaxKeywordsPerTag = 20
	MaxKeywordLen     = 40
)

// Tag is a tag with the keywords that apply it.
type Tag struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords"`
}

// Config is a team's auto-tag settings. Nothing is tagged while Enabled is
// off, so a team can prepare its tags before switching the feature on (003 §14:
// 「建立完成後,請開啟上方「自動添加標籤」的開關」).
type Config struct {
	Enabled bool  `json:"enabled"`
	Tags    []Tag `json:"tags"`
}

// Validate checks the settings when they are saved. Tag names are compared
// without case for duplicates, as the tag search ignores case.
func (c *Config) Validate() error {
	if len(c.Tags) > MaxTags {
		return switchboard.Errorf(switchboard.EInvalid, "at most %d auto-tags, not %d", MaxTags, len(c.Tags))
	}
	names := map[string]bool{}
	for _, t := range c.Tags {
		name := strings.TrimSpace(t.Name)
		if !utf8.ValidString(name) {
			return switchboard.Errorf(switchboard.EInvalid, "tag name %q is not valid UTF-8", t.Name)
		}
		if n := utf8.RuneCountInString(name); n < MinTagNameLen || n > MaxTagNameLen {
			return switchboard.Errorf(switchboard.EInvalid, "tag name %q is %d characters; it must be %d to %d", t.Name, n, MinTagNameLen, MaxTagNameLen)
		}
		if name != t.Name {
			return switchboard.Errorf(switchboard.EInvalid, "tag name %q must not start or end with spaces", t.Name)
		}
		if names[casefold.Fold(name)] {
			return switchboard.Errorf(switchboard.EInvalid, "tag %q appears twice (letter case is ignored)", t.Name)
		}
		names[casefold.Fold(name)] = true
		if len(t.Keywords) == 0 || len(t.Keywords) > MaxKeywordsPerTag {
			return switchboard.Errorf(switchboard.EInvalid, "tag %q needs 1 to %d keywords, not %d", t.Name, MaxKeywordsPerTag, len(t.Keywords))
		}
		kws := map[string]bool{}
		for _, k := range t.Keywords {
			trimmed := strings.TrimSpace(k)
			if !utf8.ValidString(trimmed) {
				return switchboard.Errorf(switchboard.EInvalid, "keyword %q of tag %q is not valid UTF-8", k, t.Name)
			}
			n := utf8.RuneCountInString(trimmed)
			if n == 0 {
				return switchboard.Errorf(switchboard.EInvalid, "tag %q has an empty keyword", t.Name)
			}
			if n > MaxKeywordLen {
				return switchboard.Errorf(switchboard.EInvalid, "keyword %q of tag %q is %d characters, more than %d", k, t.Name, n, MaxKeywordLen)
			}
			if kws[casefold.Fold(trimmed)] {
				return switchboard.Errorf(switchboard.EInvalid, "keyword %q appears twice in tag %q (letter case is ignored)", k, t.Name)
			}
			kws[casefold.Fold(trimmed)] = true
		}
	}
	return nil
}

// Tags returns the names of the tags whose keywords text contains, in the
// order of the configuration, each once; nil when auto-tag is off. A message
// containing any one keyword of a tag gets the tag (003 §14: 「當顧客傳送的訊息
// 包含任一關鍵字」).
func Tags(c Config, text string) []string {
	if !c.Enabled || strings.TrimSpace(text) == "" {
		return nil
	}
	var out []string
	for _, t := range c.Tags {
		for _, k := range t.Keywords {
			if casefold.Contains(text, k) {
				out = append(out, t.Name)
				break
			}
		}
	}
	return out
}
