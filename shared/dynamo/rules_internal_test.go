package dynamo

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestRuleSetBudget(t *testing.T) {
	k := key{"TEAM#t#RULES", "REPLY#r1"}
	item := func(n int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"Text": &types.AttributeValueMemberS{Value: strings.Repeat("x", n)}}
	}
	tests := []struct {
		name  string
		total int
		old   int
		new   int
		want  string
	}{
		{"fits", 1000, 0, 100, ""},
		{"exactly at the limit", RuleSetMaxBytes - 104, 0, 100, ""},
		{"one byte over", RuleSetMaxBytes - 103, 0, 100, switchboard.ETooLarge},
		{"replacing a big item frees its bytes", RuleSetMaxBytes, 5000, 4000, ""},
	}
	for _, tt := range tests {
		st := &storedRules{total: tt.total, sizes: map[key]int{}}
		if tt.old > 0 {
			st.sizes[k] = tt.old
		}
		err := st.fits(k, item(tt.new))
		if got := switchboard.ErrorCode(err); got != tt.want {
			t.Errorf("%s: fits = %v, want code %q", tt.name, err, tt.want)
		}
	}
}

func TestItemSize(t *testing.T) {
	item := map[string]types.AttributeValue{
		"PK":   &types.AttributeValueMemberS{Value: "abcd"},                                                                         // 2 + 4
		"On":   &types.AttributeValueMemberBOOL{Value: true},                                                                        // 2 + 1
		"N":    &types.AttributeValueMemberN{Value: "1234"},                                                                         // 1 + 3
		"List": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "xy"}}},              // 4 + 3 + 1 + 2
		"Map":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberS{Value: "v"}}}, // 3 + 3 + 1 + 1 + 1
	}
	if got, want := itemSize(item), 6+3+4+10+9; got != want {
		t.Errorf("itemSize = %d, want %d", got, want)
	}
}
