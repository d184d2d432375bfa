package dynamo_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/assign"
	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func replyRule(id, group string, channels []string, kw string) *keyword.Rule {
	return &keyword.Rule{
		ID: id, GroupID: group, ChannelIDs: channels,
		Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{kw}},
		Reply:     keyword.Reply{Kind: keyword.ReplyText, Text: "about " + kw},
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func replyIDs(rs *keyword.RuleSet) []string {
	return ids(rs.Replies, func(r keyword.Rule) string { return r.ID })
}

func TestRuleSetCRUD(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := newStore(t, clock.Now)
	team := switchboard.NewID()

	empty, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if empty.Version != 0 || len(empty.Replies)+len(empty.Groups)+len(empty.Assign) != 0 {
		t.Fatalf("a new team's rule set = %+v, want empty at version 0", empty)
	}

	// A rule needs its group first.
	wantCode(t, s.PutReplyRule(ctx, team, replyRule("r1", "g1", []string{"ch1"}, "price")), switchboard.EInvalid)

	g := &keyword.Group{ID: "g1", Name: "main", Enabled: map[string]bool{"ch1": true, "ch2": false}}
	must(t, s.PutRuleGroup(ctx, team, g))
	// Rules are created out of id order; the set comes back in creation order.
	for _, id := range []string{"r3", "r1", "r2"} {
		clock.Advance(time.Second)
		r := replyRule(id, "g1", []string{"ch1"}, id+"-kw")
		must(t, s.PutReplyRule(ctx, team, r))
		if !r.CreatedAt.Equal(clock.Now()) {
			t.Errorf("rule %s stamped %v, want the store clock %v", id, r.CreatedAt, clock.Now())
		}
	}
	a := &keyword.AssignRule{
		ID: "a1", GroupID: "g1", ChannelIDs: []string{"ch1"},
		Condition: keyword.Condition{Mode: keyword.Exact, Keywords: []string{"agent"}},
		Target:    keyword.TargetRole, Role: switchboard.RoleCSAgent, Order: assign.Random,
	}
	must(t, s.PutAssignRule(ctx, team, a))
	cfg := autotag.Config{Enabled: true, Tags: []autotag.Tag{{Name: "shipping", Keywords: []string{"運費"}}}}
	must(t, s.PutAutoTagConfig(ctx, team, cfg))
	wantCode(t, s.PutAutoTagConfig(ctx, team, autotag.Config{Tags: []autotag.Tag{{Name: "x", Keywords: []string{"k"}}}}), switchboard.EInvalid)

	rs, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if got, want := replyIDs(rs), []string{"r3", "r1", "r2"}; !slices.Equal(got, want) {
		t.Errorf("replies %v, want creation order %v", got, want)
	}
	if len(rs.Groups) != 1 || !reflect.DeepEqual(rs.Groups[0].Enabled, g.Enabled) {
		t.Errorf("groups = %+v", rs.Groups)
	}
	if len(rs.Assign) != 1 || rs.Assign[0].Role != switchboard.RoleCSAgent {
		t.Errorf("assign = %+v", rs.Assign)
	}
	if !reflect.DeepEqual(rs.AutoTag, cfg) {
		t.Errorf("auto-tag = %+v, want %+v", rs.AutoTag, cfg)
	}
	// Six successful writes: group, three rules, assign rule, auto-tag.
	if rs.Version != 6 {
		t.Errorf("version = %d, want 6", rs.Version)
	}

	// Replacing a rule keeps its creation time and so its place.
	created := rs.Reply("r3").CreatedAt
	clock.Advance(time.Hour)
	r3 := replyRule("r3", "g1", []string{"ch1"}, "changed")
	must(t, s.PutReplyRule(ctx, team, r3))
	if !r3.CreatedAt.Equal(created) {
		t.Errorf("replaced rule created %v, want %v", r3.CreatedAt, created)
	}

	// Update applies a function, validates the result and keeps the id.
	upd, err := s.UpdateReplyRule(ctx, team, "r1", func(r *keyword.Rule) (*keyword.Rule, error) {
		r.Paused = true
		r.ID = "forged"
		return r, nil
	})
	must(t, err)
	if upd.ID != "r1" || !upd.Paused {
		t.Errorf("updated rule = %+v", upd)
	}
	_, err = s.UpdateReplyRule(ctx, team, "r1", func(r *keyword.Rule) (*keyword.Rule, error) {
		r.ChannelIDs = []string{"ch9"} // not a channel of the group
		return r, nil
	})
	wantCode(t, err, switchboard.EInvalid)
	_, err = s.UpdateReplyRule(ctx, team, "nope", func(r *keyword.Rule) (*keyword.Rule, error) { return r, nil })
	wantCode(t, err, switchboard.ENotFound)

	// A group cannot drop a channel its rules use; pausing it is fine.
	_, err = s.UpdateRuleGroup(ctx, team, "g1", func(g *keyword.Group) (*keyword.Group, error) {
		delete(g.Enabled, "ch1")
		return g, nil
	})
	wantCode(t, err, switchboard.EInvalid)
	paused, err := s.UpdateRuleGroup(ctx, team, "g1", func(g *keyword.Group) (*keyword.Group, error) {
		g.Enabled["ch1"] = false
		return g, nil
	})
	must(t, err)
	if paused.EnabledOn("ch1") {
		t.Errorf("group still enabled on ch1")
	}

	must(t, s.DeleteReplyRule(ctx, team, "r2"))
	wantCode(t, s.DeleteReplyRule(ctx, team, "r2"), switchboard.ENotFound)
	before, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if got, want := replyIDs(before), []string{"r3", "r1"}; !slices.Equal(got, want) {
		t.Errorf("after delete: %v, want %v", got, want)
	}

	// Deleting the group deletes its rules of both kinds.
	must(t, s.DeleteRuleGroup(ctx, team, "g1"))
	after, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if len(after.Replies)+len(after.Assign)+len(after.Groups) != 0 {
		t.Errorf("after deleting the group: %+v", after)
	}
	if after.Version <= before.Version {
		t.Errorf("version %d did not go up from %d", after.Version, before.Version)
	}
	if !reflect.DeepEqual(after.AutoTag, cfg) {
		t.Errorf("auto-tag settings lost with the group")
	}

	// Another team sees none of it.
	other, err := s.GetRuleSet(ctx, switchboard.NewID())
	must(t, err)
	if other.Version != 0 || !reflect.DeepEqual(other.AutoTag, autotag.Config{}) {
		t.Errorf("another team's rule set = %+v", other)
	}
}

func TestMarkChannelGone(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, time.Now)
	team := switchboard.NewID()
	must(t, s.PutRuleGroup(ctx, team, &keyword.Group{ID: "g1", Name: "both", Enabled: map[string]bool{"ch1": true, "ch2": true}}))
	must(t, s.PutRuleGroup(ctx, team, &keyword.Group{ID: "g2", Name: "two", Enabled: map[string]bool{"ch2": true}}))
	must(t, s.PutReplyRule(ctx, team, replyRule("on1", "g1", []string{"ch1"}, "a")))
	must(t, s.PutReplyRule(ctx, team, replyRule("on2", "g2", []string{"ch2"}, "b")))
	must(t, s.PutReplyRule(ctx, team, replyRule("both", "g1", []string{"ch1", "ch2"}, "c")))

	before, err := s.GetRuleSet(ctx, team)
	must(t, err)
	must(t, s.MarkChannelGone(ctx, team, "ch1"))
	rs, err := s.GetRuleSet(ctx, team)
	must(t, err)
	got := map[string]bool{}
	for _, r := range rs.Replies {
		got[r.ID] = r.Invalid
	}
	if want := map[string]bool{"on1": true, "on2": false, "both": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("invalid marks %v, want %v", got, want)
	}
	if !rs.Group("g1").Invalid || rs.Group("g2").Invalid {
		t.Errorf("group marks g1=%v g2=%v, want true false", rs.Group("g1").Invalid, rs.Group("g2").Invalid)
	}
	if rs.Version != before.Version+1 {
		t.Errorf("version %d, want %d", rs.Version, before.Version+1)
	}
	// Again: nothing new to mark, no new version.
	must(t, s.MarkChannelGone(ctx, team, "ch1"))
	again, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if again.Version != rs.Version {
		t.Errorf("second MarkChannelGone bumped the version to %d", again.Version)
	}
	// Saving a marked rule again (the operator fixed it) clears the mark.
	fixed := replyRule("on1", "g2", []string{"ch2"}, "a")
	must(t, s.PutReplyRule(ctx, team, fixed))
	if fixed.Invalid {
		t.Errorf("a saved rule stays invalid")
	}
}

// TestGetRuleSetIsOneQuery pins the promise the router relies on: the whole
// set, however many rules, is one Query.
func TestGetRuleSetIsOneQuery(t *testing.T) {
	ctx := context.Background()
	var counter awsclient.RequestCounter
	cfg := awstest.Config(t)
	counter.Add(&cfg)
	client := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	s := dynamo.New(client, awstest.Table(t, client))
	team := switchboard.NewID()
	channels := map[string]bool{}
	for i := range 10 {
		channels["ch"+string(rune('a'+i))] = true
	}
	must(t, s.PutRuleGroup(ctx, team, &keyword.Group{ID: "g1", Name: "all", Enabled: channels}))
	for i := range 60 {
		r := replyRule(switchboard.NewID(), "g1", []string{"cha", "chb"}, "keyword "+string(rune('a'+i%26))+string(rune('a'+i/26)))
		r.Reply.Text = "a longer reply to make the items realistic: " + r.Keywords[0]
		must(t, s.PutReplyRule(ctx, team, r))
	}
	must(t, s.PutAutoTagConfig(ctx, team, autotag.Config{Enabled: true, Tags: []autotag.Tag{{Name: "vip", Keywords: []string{"VIP"}}}}))

	counter.Reset()
	rs, err := s.GetRuleSet(ctx, team)
	must(t, err)
	if got, want := counter.Calls(), map[string]int{"DynamoDB.Query": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("GetRuleSet made %v, want %v", got, want)
	}
	if len(rs.Replies) != 60 || len(rs.Groups) != 1 || len(rs.AutoTag.Tags) != 1 {
		t.Errorf("set has %d replies, %d groups, %d auto-tags", len(rs.Replies), len(rs.Groups), len(rs.AutoTag.Tags))
	}

	// And what a write costs: the set read (budget and references), the
	// optimistic round, and the version counter.
	counter.Reset()
	must(t, s.PutReplyRule(ctx, team, replyRule(switchboard.NewID(), "g1", []string{"cha"}, "one more")))
	if got, want := counter.Calls(), map[string]int{"DynamoDB.Query": 1, "DynamoDB.GetItem": 1, "DynamoDB.PutItem": 1, "DynamoDB.UpdateItem": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("PutReplyRule made %v, want %v", got, want)
	}
}
