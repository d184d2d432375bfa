package keyword

import (
	"fmt"
	"slices"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// ruleSet is a set with groups g1 (ch1, ch2) and g2 (ch2), two reply rules
// and one assign rule, deliberately out of creation order.
func ruleSet() *RuleSet {
	r1, r2 := rule("r1", 2, ContainsAny, "price"), rule("r2", 1, Exact, "hi")
	r3 := rule("r3", 3, ContainsAny, "bot")
	r3.Reply = Reply{Kind: ReplyBotModule, BotID: "bot1", ModuleID: "mod1"}
	r3.ChannelIDs = []string{"ch2"}
	a1 := assignRule("a1", 1, TargetMember, "agent")
	return &RuleSet{
		Replies: []Rule{*r1, *r2, *r3},
		Groups: []Group{
			{ID: "g2", Name: "second", Enabled: map[string]bool{"ch2": true}},
			{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": true, "ch2": true}},
		},
		Assign: []AssignRule{*a1},
	}
}

func TestRuleSetSortAndInput(t *testing.T) {
	rs := ruleSet()
	rs.Sort()
	var got []string
	for _, r := range rs.Replies {
		got = append(got, r.ID)
	}
	if want := []string{"r2", "r1", "r3"}; !slices.Equal(got, want) {
		t.Errorf("replies in order %v, want %v", got, want)
	}
	if rs.Groups[0].ID != "g1" {
		t.Errorf("groups not in id order: %v", rs.Groups)
	}
	in := rs.Input("ch1", StatusPending, switchboard.MsgText, "what is the price")
	d := Decide(in)
	if d.Reply == nil || d.Reply.ID != "r1" {
		t.Fatalf("Decide through Input picked %+v, want r1", d.Reply)
	}
	// The pointers point into the set, so a decision names the set's rule.
	if d.Reply != rs.Reply("r1") {
		t.Errorf("Input copies rules instead of pointing at them")
	}
	if d.Assign != nil {
		t.Errorf("unexpected assign rule %v", d.Assign.ID)
	}
}

func TestRuleSetCheckReply(t *testing.T) {
	channels := map[string]bool{"ch1": true, "ch2": true}
	tests := []struct {
		name     string
		edit     func(r *Rule)
		channels map[string]bool
		want     string
	}{
		{"valid", func(*Rule) {}, channels, ""},
		{"own validation first", func(r *Rule) { r.Keywords = nil }, channels, "a contains_any rule takes 1 to 20 keywords, not 0"},
		{"missing group", func(r *Rule) { r.GroupID = "nope" }, channels, `group "nope" does not exist`},
		{"unknown channel", func(r *Rule) { r.ChannelIDs = []string{"ch9"} }, channels, `channel "ch9" does not exist`},
		{"channel outside group", func(r *Rule) { r.GroupID = "g2" }, channels, `channel "ch1" is not a channel of group "second"; add it to the group first`},
		{"channels unchecked when nil", func(r *Rule) { r.ChannelIDs = []string{"ch2"} }, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := ruleSet()
			r := rule("new", 5, ContainsAny, "x")
			tt.edit(r)
			err := rs.CheckReply(r, tt.channels)
			if got := switchboard.ErrorMessage(err); got != tt.want {
				t.Errorf("CheckReply = %q, want %q", got, tt.want)
			}
			if err != nil && switchboard.ErrorCode(err) != switchboard.EInvalid {
				t.Errorf("code %s, want invalid", switchboard.ErrorCode(err))
			}
		})
	}
}

func TestRuleSetLimits(t *testing.T) {
	rs := &RuleSet{Groups: []Group{{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": true}}}}
	for i := range MaxReplyRules {
		rs.Replies = append(rs.Replies, *rule(fmt.Sprintf("r%03d", i), i, ContainsAny, "k"))
	}
	if err := rs.CheckReply(rule("one-more", 0, ContainsAny, "k"), nil); switchboard.ErrorMessage(err) != "a team has at most 500 auto-reply rules" {
		t.Errorf("rule over the limit: %v", err)
	}
	// Editing an existing rule is not adding one.
	existing := rs.Replies[3]
	if err := rs.CheckReply(&existing, nil); err != nil {
		t.Errorf("editing a rule at the limit: %v", err)
	}
	for i := len(rs.Groups); i < MaxGroups; i++ {
		rs.Groups = append(rs.Groups, Group{ID: fmt.Sprintf("g%03d", i), Name: "n", Enabled: map[string]bool{"ch1": true}})
	}
	if err := rs.CheckGroup(&Group{ID: "new", Name: "n", Enabled: map[string]bool{"ch1": true}}, nil); switchboard.ErrorMessage(err) != "a team has at most 100 rule groups" {
		t.Errorf("group over the limit: %v", err)
	}
}

func TestRuleSetCheckAssign(t *testing.T) {
	rs := ruleSet()
	members := map[string]bool{"m1": true, "m2": true}
	a := assignRule("new", 4, TargetMember, "x")
	if err := rs.CheckAssign(a, map[string]bool{"ch1": true}, members); err != nil {
		t.Fatalf("valid assign rule: %v", err)
	}
	a.MemberIDs = []string{"m1", "gone"}
	if got, want := switchboard.ErrorMessage(rs.CheckAssign(a, nil, members)), `member "gone" does not exist`; got != want {
		t.Errorf("CheckAssign = %q, want %q", got, want)
	}
	a.MemberIDs = []string{"m1"}
	a.GroupID = "g2"
	if got, want := switchboard.ErrorMessage(rs.CheckAssign(a, nil, members)), `channel "ch1" is not a channel of group "second"; add it to the group first`; got != want {
		t.Errorf("CheckAssign = %q, want %q", got, want)
	}
}

func TestRuleSetCheckGroup(t *testing.T) {
	tests := []struct {
		name     string
		g        Group
		channels map[string]bool
		want     string
	}{
		{"new group", Group{ID: "g3", Name: "new", Enabled: map[string]bool{"ch1": false}}, nil, ""},
		{"pausing a channel keeps it", Group{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": false, "ch2": true}}, nil, ""},
		{"dropping a channel a rule uses", Group{ID: "g1", Name: "main", Enabled: map[string]bool{"ch2": true}}, nil,
			`channel "ch1" is still used by auto-reply rule r1 of this group; change the rule first`},
		{"unknown channel", Group{ID: "g3", Name: "new", Enabled: map[string]bool{"ch9": true}}, map[string]bool{"ch1": true}, `channel "ch9" does not exist`},
		{"own validation", Group{ID: "g3", Name: "", Enabled: map[string]bool{"ch1": true}}, nil, "group name must be 1 to 100 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := switchboard.ErrorMessage(ruleSet().CheckGroup(&tt.g, tt.channels)); got != tt.want {
				t.Errorf("CheckGroup = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRuleSetChannelGone(t *testing.T) {
	tests := []struct {
		channel                  string
		replies, assigns, groups []string
	}{
		// r1, r2 and a1 are on ch1; g1 has ch1. r3's bot is not touched.
		{"ch1", []string{"r1", "r2"}, []string{"a1"}, []string{"g1"}},
		// r3 is on ch2, and both groups have it.
		{"ch2", []string{"r3"}, nil, []string{"g2", "g1"}},
		{"ch9", nil, nil, nil},
	}
	for _, tt := range tests {
		rs := ruleSet()
		replies, assigns, groups := rs.ChannelGone(tt.channel)
		if !slices.Equal(replies, tt.replies) || !slices.Equal(assigns, tt.assigns) || !slices.Equal(groups, tt.groups) {
			t.Errorf("ChannelGone(%s) = %v %v %v, want %v %v %v", tt.channel, replies, assigns, groups, tt.replies, tt.assigns, tt.groups)
		}
		for _, id := range tt.replies {
			if !rs.Reply(id).Invalid {
				t.Errorf("ChannelGone(%s): rule %s reported but not marked", tt.channel, id)
			}
		}
		// Marking twice changes nothing more.
		if r, a, g := rs.ChannelGone(tt.channel); len(r)+len(a)+len(g) != 0 {
			t.Errorf("ChannelGone(%s) again marked %v %v %v", tt.channel, r, a, g)
		}
	}
}

func TestRuleSetGroupRules(t *testing.T) {
	replies, assigns := ruleSet().GroupRules("g1")
	if want := []string{"r1", "r2", "r3"}; !slices.Equal(replies, want) {
		t.Errorf("replies %v, want %v", replies, want)
	}
	if want := []string{"a1"}; !slices.Equal(assigns, want) {
		t.Errorf("assigns %v, want %v", assigns, want)
	}
	if r, a := ruleSet().GroupRules("g2"); len(r)+len(a) != 0 {
		t.Errorf("g2 has rules %v %v", r, a)
	}
}
