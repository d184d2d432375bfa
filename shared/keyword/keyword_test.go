package keyword

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var day = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

func TestFold(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"ABC", "abc", true},
		{"Abc", "aBC", true},
		{"ＡＢＣ", "abc", false}, // full-width differs from half-width (001:L3996)
		{"ＡＢＣ", "ａｂｃ", true},  // but full-width letters still ignore case
		{"ABC", "ＡＢＣ", false},
		{"123", "１２３", false},
		{"\u212A", "k", true}, // Kelvin sign folds like K
		{"ΣΑΣ", "σας", true},
		{"ПРИВЕТ", "привет", true},
		{"ß", "SS", false}, // simple folding only, like strings.EqualFold
		{"運費", "運費", true},
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

func TestConditionMatches(t *testing.T) {
	tests := []struct {
		name string
		cond Condition
		text string
		want bool
	}{
		// The seed's own examples (001:L4024-L4043).
		{"any: one of A B C", Condition{ContainsAny, []string{"A", "B", "C"}}, "我想買A", true},
		{"any: none", Condition{ContainsAny, []string{"A", "B", "C"}}, "我想買D", false},
		{"all: missing B", Condition{ContainsAll, []string{"買", "B"}}, "我想買A", false},
		{"all: both", Condition{ContainsAll, []string{"買", "B"}}, "我想買B", true},
		{"exact: inside a sentence", Condition{Exact, []string{"00"}}, "我想買00", false},
		{"exact: alone", Condition{Exact, []string{"00"}}, "00", true},
		{"any content", Condition{AnyContent, nil}, "隨便說", true},
		// Case and width (001:L3996-L4010).
		{"case ignored", Condition{ContainsAny, []string{"Abc"}}, "ABC", true},
		{"full-width text does not match half-width keyword", Condition{ContainsAny, []string{"Abc"}}, "ＡＢＣ", false},
		{"full-width keyword does not match half-width text", Condition{Exact, []string{"ＡＢＣ"}}, "abc", false},
		{"full-width both, case ignored", Condition{Exact, []string{"ＡＢＣ"}}, "ａｂｃ", true},
		// White space: around the message ignored, inside kept.
		{"exact with trailing newline", Condition{Exact, []string{"我的會員卡"}}, "我的會員卡\n", true},
		{"exact with ideographic spaces around", Condition{Exact, []string{"Hi"}}, "\u3000hi ", true},
		{"exact with keyword spaces around", Condition{Exact, []string{" Hi "}}, "hi", true},
		{"exact with inner space", Condition{Exact, []string{"hi there"}}, "hithere", false},
		{"exact uses the first keyword only (001:L5018)", Condition{Exact, []string{"Omnichat", "ABC"}}, "ABC", false},
		{"blank keyword never matches", Condition{ContainsAny, []string{"  "}}, "anything", false},
		{"all with a blank keyword ignores it", Condition{ContainsAll, []string{"a", " "}}, "a", true},
		{"empty text never matches", Condition{AnyContent, nil}, "", false},
		{"blank text never matches", Condition{AnyContent, nil}, " \n\t", false},
		{"unknown mode", Condition{"regex", []string{"a"}}, "a", false},
	}
	for _, tt := range tests {
		if got := tt.cond.Matches(tt.text); got != tt.want {
			t.Errorf("%s: Matches(%q) = %v, want %v", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		text, kw string
		want     bool
	}{
		{"Free Shipping?", "shipping", true},
		{"free shipping", " SHIPPING ", true},
		{"ｓｈｉｐｐｉｎｇ", "shipping", false},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := Contains(tt.text, tt.kw); got != tt.want {
			t.Errorf("Contains(%q, %q) = %v, want %v", tt.text, tt.kw, got, tt.want)
		}
	}
}

// rule builds an enabled auto-reply rule on channel "ch1" in group "g1",
// created n days after day.
func rule(id string, n int, mode Mode, kws ...string) *Rule {
	return &Rule{
		ID: id, GroupID: "g1", ChannelIDs: []string{"ch1"},
		Condition: Condition{mode, kws},
		Reply:     Reply{Kind: ReplyText, Text: "reply " + id},
		CreatedAt: day.AddDate(0, 0, n),
	}
}

func groups() []*Group {
	return []*Group{
		{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": true, "ch2": true}},
		{ID: "g2", Name: "paused", Enabled: map[string]bool{"ch1": false, "ch2": true}},
	}
}

func TestMatch(t *testing.T) {
	with := func(r *Rule, f func(*Rule)) *Rule { f(r); return r }
	tests := []struct {
		name    string
		rules   []*Rule
		channel string
		status  Status
		text    string
		want    string
	}{
		{"oldest matching rule wins", []*Rule{
			rule("new", 2, ContainsAny, "退貨"), rule("old", 1, ContainsAny, "運費"),
		}, "ch1", StatusPending, "運費和退貨", "old"},
		{"duplicate keyword: newest wins (001:L4012)", []*Rule{
			rule("old", 1, ContainsAny, "運費"), rule("mid", 2, ContainsAny, "退貨"), rule("new", 3, ContainsAny, "運費", "折扣"),
		}, "ch1", StatusPending, "請問運費多少", "new"},
		{"duplicate keyword differing only in case", []*Rule{
			rule("old", 1, ContainsAny, "sale"), rule("new", 2, Exact, "SALE"),
		}, "ch1", StatusPending, "Sale", "new"},
		{"a newer rule sharing a keyword that the message lacks does not win", []*Rule{
			rule("old", 1, ContainsAny, "運費", "退貨"), rule("new", 2, ContainsAny, "退貨"),
		}, "ch1", StatusPending, "運費多少", "old"},
		{"newer all-rule needs all its keywords", []*Rule{
			rule("old", 1, ContainsAny, "運費"), rule("new", 2, ContainsAll, "運費", "海外"),
		}, "ch1", StatusPending, "運費多少", "old"},
		{"any content only when nothing else matched", []*Rule{
			rule("any", 0, AnyContent), rule("kw", 5, ContainsAny, "hi"),
		}, "ch1", StatusPending, "Hi there", "kw"},
		{"any content as fallback", []*Rule{
			rule("any", 0, AnyContent), rule("kw", 5, ContainsAny, "hi"),
		}, "ch1", StatusPending, "營業時間?", "any"},
		{"newest of several any-content rules", []*Rule{
			rule("any2", 2, AnyContent), rule("any1", 1, AnyContent),
		}, "ch1", StatusClosed, "x", "any2"},
		{"same creation time ordered by id", []*Rule{
			rule("b", 1, ContainsAny, "x"), rule("a", 1, ContainsAny, "y"),
		}, "ch1", StatusPending, "x y", "a"},
		{"paused group skipped", []*Rule{
			with(rule("paused", 1, ContainsAny, "hi"), func(r *Rule) { r.GroupID = "g2" }), rule("ok", 2, ContainsAny, "hi"),
		}, "ch1", StatusPending, "hi", "ok"},
		{"group enabled on another channel", []*Rule{
			with(rule("g2", 1, ContainsAny, "hi"), func(r *Rule) { r.GroupID = "g2"; r.ChannelIDs = []string{"ch2"} }),
		}, "ch2", StatusPending, "hi", "g2"},
		{"missing group skipped", []*Rule{
			with(rule("orphan", 1, ContainsAny, "hi"), func(r *Rule) { r.GroupID = "gone" }),
		}, "ch1", StatusPending, "hi", ""},
		{"invalid rule skipped", []*Rule{
			with(rule("bad", 1, ContainsAny, "hi"), func(r *Rule) { r.Invalid = true }), rule("ok", 2, ContainsAny, "hello"),
		}, "ch1", StatusPending, "hi", ""},
		{"paused rule skipped", []*Rule{
			with(rule("off", 1, ContainsAny, "hi"), func(r *Rule) { r.Paused = true }),
		}, "ch1", StatusPending, "hi", ""},
		{"other channel's rule skipped", []*Rule{rule("ch1", 1, ContainsAny, "hi")}, "ch2", StatusPending, "hi", ""},
		{"fires on bot by default", []*Rule{rule("r", 1, ContainsAny, "hi")}, "ch1", StatusBot, "hi", "r"},
		{"fires on closed by default", []*Rule{rule("r", 1, ContainsAny, "hi")}, "ch1", StatusClosed, "hi", "r"},
		{"not in progress by default (001:L3991)", []*Rule{rule("r", 1, ContainsAny, "hi")}, "ch1", StatusInProgress, "hi", ""},
		{"in progress when listed", []*Rule{
			with(rule("r", 1, ContainsAny, "hi"), func(r *Rule) { r.Statuses = []Status{StatusPending, StatusBot, StatusClosed, StatusInProgress} }),
		}, "ch1", StatusInProgress, "hi", "r"},
		{"listed statuses replace the default", []*Rule{
			with(rule("r", 1, ContainsAny, "hi"), func(r *Rule) { r.Statuses = []Status{StatusInProgress} }),
		}, "ch1", StatusPending, "hi", ""},
		{"nil rules ignored", []*Rule{nil, rule("r", 1, ContainsAny, "hi")}, "ch1", StatusPending, "hi", "r"},
		{"no text", []*Rule{rule("any", 1, AnyContent)}, "ch1", StatusPending, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := Match(tt.rules, groups(), tt.channel, tt.status, tt.text)
			got := ""
			if r != nil {
				got = r.ID
			}
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Match = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestRuleValidate(t *testing.T) {
	valid := func() *Rule { return rule("r", 0, ContainsAny, "運費") }
	long := strings.Repeat("字", MaxKeywordLen+1)
	many := make([]string, MaxKeywords+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	tests := []struct {
		name string
		edit func(*Rule)
		want string // substring of the message, "" for valid
	}{
		{"valid", func(*Rule) {}, ""},
		{"exact with one keyword", func(r *Rule) { r.Mode, r.Keywords = Exact, []string{"00"} }, ""},
		{"any content", func(r *Rule) { r.Mode, r.Keywords = AnyContent, nil }, ""},
		{"image reply", func(r *Rule) { r.Reply = Reply{Kind: ReplyImage, ImageURL: "https://cdn.example.com/a.png"} }, ""},
		{"bot reply", func(r *Rule) { r.Reply = Reply{Kind: ReplyBotModule, BotID: "b", ModuleID: "m"} }, ""},
		{"no reply, tags only", func(r *Rule) { r.Reply = Reply{Kind: ReplyNone}; r.Tags = []string{"VIP"} }, ""},
		{"in progress status", func(r *Rule) { r.Statuses = []Status{StatusInProgress} }, ""},
		{"max keywords", func(r *Rule) { r.Keywords = many[:MaxKeywords] }, ""},
		{"exact with two keywords", func(r *Rule) { r.Mode, r.Keywords = Exact, []string{"a", "b"} }, "exactly one keyword"},
		{"exact with none", func(r *Rule) { r.Mode, r.Keywords = Exact, nil }, "exactly one keyword"},
		{"any content with keywords", func(r *Rule) { r.Mode = AnyContent }, "no keywords"},
		{"contains without keywords", func(r *Rule) { r.Keywords = nil }, "1 to 20 keywords"},
		{"too many keywords", func(r *Rule) { r.Keywords = many }, "1 to 20 keywords"},
		{"blank keyword", func(r *Rule) { r.Keywords = []string{"a", " "} }, "empty"},
		{"keyword too long", func(r *Rule) { r.Keywords = []string{long} }, "more than 100"},
		{"duplicate keyword by case", func(r *Rule) { r.Keywords = []string{"Sale", "SALE"} }, "twice"},
		{"full-width is not a duplicate", func(r *Rule) { r.Keywords = []string{"sale", "ｓａｌｅ"} }, ""},
		{"invalid UTF-8", func(r *Rule) { r.Keywords = []string{"\xff"} }, "UTF-8"},
		{"unknown mode", func(r *Rule) { r.Mode = "regex" }, "mode must be"},
		{"no group", func(r *Rule) { r.GroupID = "" }, "group"},
		{"no channels", func(r *Rule) { r.ChannelIDs = nil }, "channels"},
		{"empty channel id", func(r *Rule) { r.ChannelIDs = []string{""} }, "channel ids"},
		{"unknown status", func(r *Rule) { r.Statuses = []Status{"archived"} }, "status"},
		{"empty text reply", func(r *Rule) { r.Reply = Reply{Kind: ReplyText} }, "reply text"},
		{"http image", func(r *Rule) { r.Reply = Reply{Kind: ReplyImage, ImageURL: "http://x.com/a.png"} }, "https"},
		{"bot without module", func(r *Rule) { r.Reply = Reply{Kind: ReplyBotModule, BotID: "b"} }, "module"},
		{"unknown reply", func(r *Rule) { r.Reply = Reply{Kind: "video"} }, "reply kind"},
		{"too many tags", func(r *Rule) { r.Tags = many[:MaxTags+1] }, "tags"},
		{"empty tag", func(r *Rule) { r.Tags = []string{""} }, "tag"},
	}
	for _, tt := range tests {
		r := valid()
		tt.edit(r)
		err := r.Validate()
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

func TestGroupValidate(t *testing.T) {
	tests := []struct {
		g     Group
		valid bool
	}{
		{Group{Name: "618 sale", Enabled: map[string]bool{"ch1": true}}, true},
		{Group{Name: "", Enabled: map[string]bool{"ch1": true}}, false},
		{Group{Name: "x"}, false},
		{Group{Name: "x", Enabled: map[string]bool{"": true}}, false},
	}
	for _, tt := range tests {
		if got := tt.g.Validate() == nil; got != tt.valid {
			t.Errorf("Validate(%+v) ok = %v, want %v", tt.g, got, tt.valid)
		}
	}
}

func TestMarkInvalid(t *testing.T) {
	botRule := rule("bot", 0, ContainsAny, "a")
	botRule.Reply = Reply{Kind: ReplyBotModule, BotID: "deleted", ModuleID: "m"}
	liveBot := rule("live", 0, ContainsAny, "a")
	liveBot.Reply = Reply{Kind: ReplyBotModule, BotID: "b1", ModuleID: "m"}
	goneChannel := rule("chan", 0, ContainsAny, "a")
	goneChannel.ChannelIDs = []string{"ch1", "gone"}
	already := rule("already", 0, ContainsAny, "a")
	already.Invalid = true
	fine := rule("fine", 0, ContainsAny, "a")
	rules := []*Rule{botRule, liveBot, goneChannel, already, fine, nil}

	got := MarkInvalid(rules, map[string]bool{"b1": true}, map[string]bool{"ch1": true})
	if want := []string{"bot", "chan"}; !slices.Equal(got, want) {
		t.Errorf("MarkInvalid = %v, want %v", got, want)
	}
	for _, r := range rules[:5] {
		want := r.ID == "bot" || r.ID == "chan" || r.ID == "already"
		if r.Invalid != want {
			t.Errorf("%s.Invalid = %v, want %v", r.ID, r.Invalid, want)
		}
	}

	gs := groups()
	if got, want := MarkGroupsInvalid(gs, map[string]bool{"ch1": true}), []string{"g1", "g2"}; !slices.Equal(got, want) {
		t.Errorf("MarkGroupsInvalid = %v, want %v", got, want)
	}
	gs = groups()
	if got := MarkGroupsInvalid(gs, map[string]bool{"ch1": true, "ch2": true}); len(got) != 0 || gs[0].Invalid {
		t.Errorf("MarkGroupsInvalid with every channel = %v", got)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		c    *switchboard.Conversation
		want Status
	}{
		{nil, StatusPending},
		{&switchboard.Conversation{}, StatusPending},
		{&switchboard.Conversation{Status: switchboard.StatusPending, PendingKind: switchboard.PendingHuman}, StatusPending},
		{&switchboard.Conversation{Status: switchboard.StatusPending, PendingKind: switchboard.PendingBot}, StatusBot},
		{&switchboard.Conversation{Status: switchboard.StatusInProgress}, StatusInProgress},
		{&switchboard.Conversation{Status: switchboard.StatusClosed}, StatusClosed},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.c); got != tt.want {
			t.Errorf("StatusOf(%+v) = %s, want %s", tt.c, got, tt.want)
		}
	}
}

func assignRule(id string, n int, target Target, kws ...string) *AssignRule {
	r := &AssignRule{
		ID: id, GroupID: "g1", ChannelIDs: []string{"ch1"},
		Condition: Condition{ContainsAny, kws}, Target: target, Order: assign.Sequential,
		CreatedAt: day.AddDate(0, 0, n),
	}
	switch target {
	case TargetMember:
		r.MemberIDs = []string{"m1", "m2"}
	case TargetRole:
		r.Role = switchboard.RoleCSAgent
	case TargetSalesRole:
		r.Role = switchboard.RoleSalesperson
	}
	return r
}

func TestAssignRuleValidate(t *testing.T) {
	tests := []struct {
		name string
		r    *AssignRule
		edit func(*AssignRule)
		want string
	}{
		{"member", assignRule("a", 0, TargetMember, "x"), func(*AssignRule) {}, ""},
		{"role", assignRule("a", 0, TargetRole, "x"), func(*AssignRule) {}, ""},
		{"sales role of a branch", assignRule("a", 0, TargetSalesRole, "x"), func(r *AssignRule) { r.BranchID = "b1" }, ""},
		{"random", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Order = assign.Random }, ""},
		{"exact", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Mode = Exact }, ""},
		{"any content refused", assignRule("a", 0, TargetRole), func(r *AssignRule) { r.Mode = AnyContent }, "keywords"},
		{"working hours is not a keyword order", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Order = assign.WorkingHours }, "order"},
		{"no members", assignRule("a", 0, TargetMember, "x"), func(r *AssignRule) { r.MemberIDs = nil }, "members"},
		{"duplicate member", assignRule("a", 0, TargetMember, "x"), func(r *AssignRule) { r.MemberIDs = []string{"m1", "m1"} }, "once"},
		{"member target with role", assignRule("a", 0, TargetMember, "x"), func(r *AssignRule) { r.Role = switchboard.RoleAdmin }, "no role"},
		{"role target with sales role", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Role = switchboard.RoleSalesperson }, "not a sales role"},
		{"role target marketer", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Role = switchboard.RoleMarketer }, "answers customers"},
		{"sales target with CS role", assignRule("a", 0, TargetSalesRole, "x"), func(r *AssignRule) { r.Role = switchboard.RoleCSAgent }, "sales_manager or salesperson"},
		{"unknown target", assignRule("a", 0, TargetRole, "x"), func(r *AssignRule) { r.Target = "team" }, "target"},
		{"keywords checked too", assignRule("a", 0, TargetRole), func(*AssignRule) {}, "keywords"},
	}
	for _, tt := range tests {
		tt.edit(tt.r)
		err := tt.r.Validate()
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

func TestCandidates(t *testing.T) {
	ms := []*switchboard.Member{
		{ID: "m1", Role: switchboard.RoleCSAgent},
		{ID: "m2", Role: switchboard.RoleMarketer},
		{ID: "m3", Role: switchboard.RoleCSAgent},
		{ID: "s1", Role: switchboard.RoleSalesperson, BranchID: "b1"},
		{ID: "s2", Role: switchboard.RoleSalesperson, BranchID: "b2"},
		{ID: "sm", Role: switchboard.RoleSalesManager, BranchID: "b1"},
		nil,
	}
	branch := assignRule("a", 0, TargetSalesRole, "x")
	branch.BranchID = "b1"
	tests := []struct {
		name string
		r    *AssignRule
		want []string
	}{
		{"listed members who answer customers", assignRule("a", 0, TargetMember, "x"), []string{"m1"}},
		{"CS role", assignRule("a", 0, TargetRole, "x"), []string{"m1", "m3"}},
		{"sales role any branch", assignRule("a", 0, TargetSalesRole, "x"), []string{"s1", "s2"}},
		{"sales role of a branch", branch, []string{"s1"}},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range tt.r.Candidates(ms) {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Candidates = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMatchAssign(t *testing.T) {
	paused := assignRule("paused", 0, TargetRole, "hi")
	paused.Paused = true
	anyc := assignRule("any", 0, TargetRole)
	anyc.Mode = AnyContent
	tests := []struct {
		name   string
		rules  []*AssignRule
		status Status
		text   string
		want   string
	}{
		{"pending", []*AssignRule{assignRule("a", 1, TargetRole, "hi")}, StatusPending, "hi", "a"},
		{"bot", []*AssignRule{assignRule("a", 1, TargetRole, "hi")}, StatusBot, "hi", "a"},
		{"closed", []*AssignRule{assignRule("a", 1, TargetRole, "hi")}, StatusClosed, "hi", "a"},
		{"never in progress (001:L4175)", []*AssignRule{assignRule("a", 1, TargetRole, "hi")}, StatusInProgress, "hi", ""},
		{"newest duplicate wins", []*AssignRule{assignRule("old", 1, TargetRole, "hi"), assignRule("new", 2, TargetRole, "HI")}, StatusPending, "hi", "new"},
		{"paused skipped", []*AssignRule{paused}, StatusPending, "hi", ""},
		{"any content never assigns", []*AssignRule{anyc}, StatusPending, "hi", ""},
	}
	for _, tt := range tests {
		r, ok := MatchAssign(tt.rules, groups(), "ch1", tt.status, tt.text)
		got := ""
		if r != nil {
			got = r.ID
		}
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: MatchAssign = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestMarkAssignInvalid(t *testing.T) {
	allGone := assignRule("allgone", 0, TargetMember, "x")
	someLeft := assignRule("someleft", 0, TargetMember, "x")
	someLeft.MemberIDs = []string{"m1", "deleted"}
	chanGone := assignRule("changone", 0, TargetRole, "x")
	chanGone.ChannelIDs = []string{"gone"}
	role := assignRule("role", 0, TargetRole, "x")
	got := MarkAssignInvalid([]*AssignRule{allGone, someLeft, chanGone, role}, map[string]bool{"m1": false, "x": true}, map[string]bool{"ch1": true})
	// "m1" is present but false: it does not exist.
	if want := []string{"allgone", "someleft", "changone"}; !slices.Equal(got, want) {
		t.Errorf("MarkAssignInvalid = %v, want %v", got, want)
	}
	someLeft.Invalid = false
	if got := MarkAssignInvalid([]*AssignRule{someLeft}, map[string]bool{"m1": true}, map[string]bool{"ch1": true}); len(got) != 0 {
		t.Errorf("a rule with a member left was marked invalid: %v", got)
	}
}

func TestDecideResolve(t *testing.T) {
	reply := rule("reply", 1, ContainsAny, "運費")
	reply.Tags = []string{"shipping", "faq"}
	inProgressReply := rule("ipreply", 1, ContainsAny, "會員卡")
	inProgressReply.Statuses = []Status{StatusPending, StatusBot, StatusClosed, StatusInProgress}
	csAssign := assignRule("cs", 1, TargetRole, "運費")
	csAssign.Tags = []string{"faq", "assigned"}
	salesAssign := assignRule("sales", 1, TargetSalesRole, "門市")
	salesReply := rule("storereply", 1, ContainsAny, "門市")
	agent := &switchboard.Member{ID: "agent", Role: switchboard.RoleCSAgent}
	seller := &switchboard.Member{ID: "seller", Role: switchboard.RoleSalesperson}

	type outcome struct {
		reply    string
		assignee string
		tags     []string
		triggers []Trigger
	}
	tests := []struct {
		name     string
		in       Input
		assignee *switchboard.Member
		want     outcome
	}{
		{"CS assignee gets reply and assignment", Input{Status: StatusPending, Text: "運費?", ReplyRules: []*Rule{reply}, AssignRules: []*AssignRule{csAssign}}, agent,
			outcome{"reply", "agent", []string{"faq", "assigned", "shipping"}, []Trigger{
				{TriggerAssign, "cs", "g1", "ch1"}, {TriggerReply, "reply", "g1", "ch1"}}}},
		{"sales assignee gets only the assignment (001:L3994)", Input{Status: StatusClosed, Text: "門市在哪", ReplyRules: []*Rule{salesReply}, AssignRules: []*AssignRule{salesAssign}}, seller,
			outcome{"", "seller", nil, []Trigger{{TriggerAssign, "sales", "g1", "ch1"}}}},
		{"nobody available: the reply still goes out", Input{Status: StatusBot, Text: "門市在哪", ReplyRules: []*Rule{salesReply}, AssignRules: []*AssignRule{salesAssign}}, nil,
			outcome{"storereply", "", nil, []Trigger{{TriggerAssign, "sales", "g1", "ch1"}, {TriggerReply, "storereply", "g1", "ch1"}}}},
		{"reply only", Input{Status: StatusPending, Text: "運費", ReplyRules: []*Rule{reply}}, nil,
			outcome{"reply", "", []string{"shipping", "faq"}, []Trigger{{TriggerReply, "reply", "g1", "ch1"}}}},
		{"an assignee without an assign rule is ignored", Input{Status: StatusPending, Text: "運費", ReplyRules: []*Rule{reply}}, seller,
			outcome{"reply", "", []string{"shipping", "faq"}, []Trigger{{TriggerReply, "reply", "g1", "ch1"}}}},
		{"in progress: only replies that list it, never assignment", Input{Status: StatusInProgress, Text: "運費 會員卡", ReplyRules: []*Rule{reply, inProgressReply}, AssignRules: []*AssignRule{csAssign}}, agent,
			outcome{"ipreply", "", nil, []Trigger{{TriggerReply, "ipreply", "g1", "ch1"}}}},
		{"stickers trigger nothing (001:L4204)", Input{Status: StatusPending, Kind: switchboard.MsgSticker, Text: "運費", ReplyRules: []*Rule{reply}, AssignRules: []*AssignRule{csAssign}}, agent,
			outcome{"", "", nil, nil}},
		{"nothing matches", Input{Status: StatusPending, Kind: switchboard.MsgText, Text: "hello", ReplyRules: []*Rule{reply}, AssignRules: []*AssignRule{csAssign}}, agent,
			outcome{"", "", nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.ChannelID = "ch1"
			tt.in.Groups = groups()
			o := Decide(tt.in).Resolve(tt.assignee)
			got := outcome{tags: o.Tags, triggers: o.Triggers}
			if o.Reply != nil {
				got.reply = o.Reply.ID
			}
			if o.Assignee != nil {
				got.assignee = o.Assignee.ID
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got, want := o.MatchedBot(), tt.want.reply != ""; got != want {
				t.Errorf("MatchedBot = %v, want %v", got, want)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("我想買A", "A", uint8(0))
	f.Add("ABC", "ＡＢＣ", uint8(2))
	f.Add(" 00\n", "00", uint8(2))
	f.Add("\xff\xfe", "\xc3", uint8(1))
	f.Add("ǅǆǄ\u212aK", "k", uint8(0))
	f.Fuzz(func(t *testing.T, text, kw string, m uint8) {
		modes := []Mode{ContainsAny, ContainsAll, Exact, AnyContent}
		mode := modes[int(m)%len(modes)]
		kws := []string{kw}
		if mode == AnyContent {
			kws = nil
		}
		r := &Rule{ID: "r", GroupID: "g", ChannelIDs: []string{"c"}, Condition: Condition{mode, kws}, Reply: Reply{Kind: ReplyNone}}
		g := []*Group{{ID: "g", Enabled: map[string]bool{"c": true}}}
		got, ok := Match([]*Rule{r}, g, "c", StatusPending, text)
		if ok != (got != nil) {
			t.Fatalf("ok %v with rule %v", ok, got)
		}
		_ = r.Validate()
		if f := Fold(text); Fold(f) != f {
			t.Fatalf("Fold is not idempotent on %q", text)
		}
		if !utf8.ValidString(text) || !utf8.ValidString(kw) || strings.TrimSpace(text) == "" {
			return
		}
		k := strings.TrimSpace(kw)
		switch mode {
		case ContainsAny, ContainsAll:
			if k != "" && strings.Contains(text, k) && !ok {
				t.Fatalf("%q contains keyword %q but did not match", text, kw)
			}
		case Exact:
			if k != "" && strings.TrimSpace(text) == k && !ok {
				t.Fatalf("%q equals keyword %q but did not match", text, kw)
			}
			if ok && !strings.EqualFold(strings.TrimSpace(text), k) {
				t.Fatalf("exact matched %q with %q, which differ beyond case", text, kw)
			}
		case AnyContent:
			if !ok {
				t.Fatalf("any content did not match %q", text)
			}
		}
	})
}
