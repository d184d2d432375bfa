// Package demo seeds the local stack with a team to talk to: the demo channels of
// package events (so every sample webhook there is correctly signed for them), an
// admin member and API token, a keyword rule and a small bot. `make run` calls it
// through the runner's Seed hook, and the end-to-end tests use the same data.
//
// Everything here is public on purpose and for local use only.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// AdminToken is the demo team's admin API token. Never deploy it.
const AdminToken = switchboard.TokenPrefix + "demo-admin-token-for-local-use-only"

// AccessToken is every demo channel's outbound access token; the fakes accept it.
const AccessToken = "demo-channel-access-token"

// Fixed ids of the demo rules, member and bot, so tests and docs can name them.
const (
	MemberID    = "01JDEMOMEMBER0000000000000"
	GroupID     = "01JDEMOGROUP00000000000000"
	HelloRuleID = "01JDEMORULEHELLO0000000000"
	MenuRuleID  = "01JDEMORULEMENU00000000000"
	// AutoReply answers any customer text on every demo channel (an "any
	// content" rule), so each sample in events/webhooks gets a visible reply.
	AutoReply = "Thanks for writing to the Switchboard demo shop! Send MENU to see the bot."
)

// Store is what seeding writes through: the DynamoDB store.
type Store interface {
	CreateTeam(ctx context.Context, t *switchboard.Team) error
	CreateChannel(ctx context.Context, c *switchboard.Channel) error
	CreateMember(ctx context.Context, m *switchboard.Member) error
	CreateToken(ctx context.Context, t *switchboard.Token) error
	PutRuleGroup(ctx context.Context, teamID string, g *keyword.Group) error
	PutReplyRule(ctx context.Context, teamID string, r *keyword.Rule) error
}

var _ Store = (*dynamo.Store)(nil)

// Options are the parts of the seed that depend on where things run.
type Options struct {
	// WidgetOutboundURL is where the demo widget channel's replies go (the fake
	// brand website of infra/fakes/widgetsite, at its /messages path).
	WidgetOutboundURL string
	Now               time.Time
}

// Seed writes the demo data. It is idempotent: records that already exist are
// left as they are, so restarting `make run` against a kept table is fine.
func Seed(ctx context.Context, s Store, o Options) error {
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	ignoreExisting := func(err error) error {
		if switchboard.ErrorCode(err) == switchboard.EConflict {
			return nil
		}
		return err
	}
	var errs []error
	add := func(what string, err error) {
		if err = ignoreExisting(err); err != nil {
			errs = append(errs, fmt.Errorf("seed %s: %w", what, err))
		}
	}
	add("team", s.CreateTeam(ctx, &switchboard.Team{ID: events.DemoTeamID, Name: "Demo shop", TimeZone: switchboard.DefaultTimeZone, CreatedAt: o.Now, UpdatedAt: o.Now}))

	enabled := map[string]bool{}
	var channelIDs []string
	for _, ch := range events.DemoChannels() {
		ch.Secrets.AccessToken = AccessToken
		if ch.Kind == switchboard.KindWidget {
			ch.OutboundURL = o.WidgetOutboundURL
		}
		ch.CreatedAt, ch.UpdatedAt = o.Now, o.Now
		add("channel "+ch.Name, s.CreateChannel(ctx, ch))
		enabled[ch.ID] = true
		channelIDs = append(channelIDs, ch.ID)
	}
	add("member", s.CreateMember(ctx, &switchboard.Member{
		ID: MemberID, TeamID: events.DemoTeamID, Name: "Demo Admin", Email: "admin@demo.example",
		Role: switchboard.RoleAdmin, Status: switchboard.MemberOnline, Active: true, CreatedAt: o.Now, UpdatedAt: o.Now,
	}))
	add("token", s.CreateToken(ctx, &switchboard.Token{
		ID: "01JDEMOTOKEN00000000000000", TeamID: events.DemoTeamID, Name: "demo admin", Role: switchboard.RoleAdmin,
		Hash: switchboard.HashToken(AdminToken), CreatedAt: o.Now,
	}))
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Rules are puts (create or replace), so they need no conflict handling.
	if err := s.PutRuleGroup(ctx, events.DemoTeamID, &keyword.Group{ID: GroupID, Name: "Demo", Enabled: enabled}); err != nil {
		return fmt.Errorf("seed rule group: %w", err)
	}
	hello := &keyword.Rule{
		ID: HelloRuleID, GroupID: GroupID, ChannelIDs: channelIDs,
		Condition: keyword.Condition{Mode: keyword.AnyContent},
		Reply:     keyword.Reply{Kind: keyword.ReplyText, Text: AutoReply},
		Tags:      []string{"greeted"},
		CreatedAt: o.Now,
	}
	if err := s.PutReplyRule(ctx, events.DemoTeamID, hello); err != nil {
		return fmt.Errorf("seed keyword rule: %w", err)
	}
	return nil
}
