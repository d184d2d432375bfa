package casefold

import (
	"strings"
	"testing"
)

func TestFoldAgreesWithEqualFold(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"ABC", "abc", true},
		{"ＡＢＣ", "abc", false},
		{"ＡＢＣ", "ａｂｃ", true},
		{"\u212A", "k", true},
		{"ß", "SS", false},
		{"運費", "运费", false},
	}
	for _, tt := range tests {
		if got := Fold(tt.a) == Fold(tt.b); got != tt.same {
			t.Errorf("Fold(%q) == Fold(%q) is %v, want %v", tt.a, tt.b, got, tt.same)
		}
		if got, want := Fold(tt.a) == Fold(tt.b), strings.EqualFold(tt.a, tt.b); got != want {
			t.Errorf("Fold disagrees with strings.EqualFold on %q, %q", tt.a, tt.b)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		text, kw string
		want     bool
	}{
		{"請問運費多少", "運費", true},
		{"when is DELIVERY?", " delivery ", true},
		{"ＶＩＰ", "vip", false},
		{"anything", "  ", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := Contains(tt.text, tt.kw); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.text, tt.kw, got, tt.want)
		}
	}
}
