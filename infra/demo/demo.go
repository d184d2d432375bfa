// Package demo seeds the local stack with a team to talk to: the demo channels of
// package events (so every sample webhook there is correctly signed for them), an
// admin member and API token, the website pixel's site keys, a keyword rule and a
// small bot. `make run` calls it through the runner's Seed hook, and the
// end-to-end tests use the same data.
//
// The bot ("Demo bot", on LINE, Messenger, Instagram and WhatsApp) shows each
// kind of step a bot takes: send MENU for a text with buttons; "Opening hours"
// answers; "Join the VIP club" tags the contact "vip" and, a minute later,
// sends a coupon (a delay card); "More options" leads to a condition on that
// tag, a question whose number answer is saved into the contact's
// bulk_quantity attribute, and a hand-off to a person. The website widget
// cannot tag contacts or wait, so its MENU runs a smaller bot of its own.
//
// Everything here is public on purpose and for local use only.
package demo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/channel/meta"
	"github.com/switchboard-chat/switchboard/shared/channel/whatsapp"
	"github.com/switchboard-chat/switchboard/shared/channel/widget"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// AdminToken is the demo team's admin API token. Never deploy it.
const AdminToken = switchboard.TokenPrefix + "demo-admin-token-for-local-use-only"

// AccessToken is every demo channel's outbound access token; the fakes accept it.
const AccessToken = "demo-channel-access-token"

// The demo team's website pixel keys (switchboard.SiteKey): the browser key
// goes into a shop's pages and reports cart events; the server key may also
// bind visitors to contacts and report orders. Only their hashes are stored,
// as for API tokens. Never deploy them.
const (
	BrowserSiteKey   = switchboard.SiteKeyPrefix + "browser_demo-browser-site-key-for-local-use-only"
	ServerSiteKey    = switchboard.SiteKeyPrefix + "server_demo-server-site-key-for-local-use-only"
	BrowserSiteKeyID = "01JDEMOSITEKEYBROWSER00000"
	ServerSiteKeyID  = "01JDEMOSITEKEYSERVER000000"
)

// Fixed ids of the demo rules, member and bot, so tests and docs can name them.
const (
	MemberID    = "01JDEMOMEMBER0000000000000"
	GroupID     = "01JDEMOGROUP00000000000000"
	HelloRuleID = "01JDEMORULEHELLO0000000000"
	MenuRuleID  = "01JDEMORULEMENU00000000000"
	// WidgetMenuRuleID answers MENU on the widget channel with WidgetBotID.
	WidgetMenuRuleID = "01JDEMORULEMENUWIDGET00000"
	BotID            = "01JDEMOBOT0000000000000000"
	WidgetBotID      = "01JDEMOBOTWIDGET0000000000"
	// MenuKeyword starts the demo bot on every channel (contains any).
	MenuKeyword = "menu"
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
	CreateSiteKey(ctx context.Context, k *switchboard.SiteKey) error
	PutRuleGroup(ctx context.Context, teamID string, g *keyword.Group) error
	PutReplyRule(ctx context.Context, teamID string, r *keyword.Rule) error
	CreateBot(ctx context.Context, b *bot.Bot) error
	UpdateBot(ctx context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error)
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
	add("browser site key", s.CreateSiteKey(ctx, &switchboard.SiteKey{
		ID: BrowserSiteKeyID, TeamID: events.DemoTeamID, Name: "demo shop pages", Kind: switchboard.SiteKeyBrowser,
		Hash: switchboard.HashToken(BrowserSiteKey), CreatedAt: o.Now,
	}))
	add("server site key", s.CreateSiteKey(ctx, &switchboard.SiteKey{
		ID: ServerSiteKeyID, TeamID: events.DemoTeamID, Name: "demo shop server", Kind: switchboard.SiteKeyServer,
		Hash: switchboard.HashToken(ServerSiteKey), CreatedAt: o.Now,
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
	// The bots go before the rules that start them, and are brought up to
	// date when they exist, so a kept table runs the bots described here.
	for _, b := range []*bot.Bot{Bot(), WidgetBot()} {
		if err := seedBot(ctx, s, b); err != nil {
			return err
		}
	}
	for _, r := range MenuRules(channelIDs, o.Now) {
		if err := s.PutReplyRule(ctx, events.DemoTeamID, r); err != nil {
			return fmt.Errorf("seed menu rule: %w", err)
		}
	}
	return nil
}

// seedBot creates b, or replaces the definition of the bot of its id.
func seedBot(ctx context.Context, s Store, b *bot.Bot) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("demo bot %s: %w", b.Name, err)
	}
	want := *b
	err := s.CreateBot(ctx, b)
	if switchboard.ErrorCode(err) == switchboard.EConflict {
		_, err = s.UpdateBot(ctx, want.TeamID, want.ID, func(cur *bot.Bot) (*bot.Bot, error) {
			cur.Name, cur.ChannelKinds, cur.Modules, cur.Refs, cur.Welcome = want.Name, want.ChannelKinds, want.Modules, want.Refs, want.Welcome
			return cur, nil
		})
	}
	if err != nil {
		return fmt.Errorf("seed bot %s: %w", want.Name, err)
	}
	return nil
}

// MenuRules are the keyword rules that answer MENU with the demo bots' menus:
// the widget's with WidgetBot, every other channel's with Bot. Being keyword
// rules, they win over the any-content auto-reply, which is tried last.
func MenuRules(channelIDs []string, now time.Time) []*keyword.Rule {
	var main, widget []string
	for _, id := range channelIDs {
		if id == events.DemoWidgetChannelID {
			widget = append(widget, id)
		} else {
			main = append(main, id)
		}
	}
	menu := func(id string, channels []string, botID string) *keyword.Rule {
		return &keyword.Rule{
			ID: id, GroupID: GroupID, ChannelIDs: channels,
			Condition: keyword.Condition{Mode: keyword.ContainsAny, Keywords: []string{MenuKeyword}},
			Reply:     keyword.Reply{Kind: keyword.ReplyBotModule, BotID: botID, ModuleID: ModuleMenu},
			CreatedAt: now,
		}
	}
	var out []*keyword.Rule
	if len(main) > 0 {
		out = append(out, menu(MenuRuleID, main, BotID))
	}
	if len(widget) > 0 {
		out = append(out, menu(WidgetMenuRuleID, widget, WidgetBotID))
	}
	return out
}

// Module ids of the demo bots. ModuleMenu, ModuleHours and ModuleAgent are in
// both; the rest only in Bot.
const (
	ModuleMenu      = "menu"
	ModuleHours     = "hours"
	ModuleVIPJoined = "vip_joined"
	ModuleVIPCoupon = "vip_coupon"
	ModuleMore      = "more"
	ModulePerks     = "perks"
	ModulePerksVIP  = "perks_vip"
	ModulePerksJoin = "perks_join"
	ModuleBulk      = "bulk"
	ModuleBulkDone  = "bulk_done"
	ModuleAgent     = "agent"
)

// VIPTag is the tag the "Join the VIP club" buttons add, and the perks
// condition reads.
const VIPTag = "vip"

// BulkAttribute is the number attribute the bulk order question saves into.
const BulkAttribute = "bulk_quantity"

// Bot is the demo bot, on every demo channel but the widget.
func Bot() *bot.Bot {
	joinVIP := bot.Button{Label: "Join the VIP club", Action: bot.ActionAddTags, Tags: []string{VIPTag}, ModuleID: ModuleVIPJoined}
	return &bot.Bot{
		ID: BotID, TeamID: events.DemoTeamID, Name: "Demo bot",
		ChannelKinds: []switchboard.ChannelKind{switchboard.KindLINE, switchboard.KindMessenger, switchboard.KindInstagram, switchboard.KindWhatsApp},
		Modules: []bot.Module{
			{ID: ModuleMenu, Name: "Menu", Cards: []bot.Card{{
				Type: bot.CardText, Text: "Hi! What can we do for you?",
				Buttons: []bot.Button{
					{Label: "Opening hours", Action: bot.ActionGoToModule, ModuleID: ModuleHours},
					joinVIP,
					{Label: "More options", Action: bot.ActionGoToModule, ModuleID: ModuleMore},
				},
			}}},
			hoursModule(),
			{ID: ModuleVIPJoined, Name: "Joined the VIP club", Cards: []bot.Card{
				{Type: bot.CardText, Text: "Welcome to the VIP club! Your coupon arrives in a minute."},
				{Type: bot.CardDelay, Delay: &bot.Delay{Minutes: 1, NextModuleID: ModuleVIPCoupon}},
			}},
			{ID: ModuleVIPCoupon, Name: "VIP coupon", Cards: []bot.Card{
				{Type: bot.CardText, Text: "Here is your VIP coupon: VIP10 takes 10% off your next order."},
			}},
			{ID: ModuleMore, Name: "More options", Cards: []bot.Card{{
				Type: bot.CardText, Text: "More options:",
				Buttons: []bot.Button{
					{Label: "VIP perks", Action: bot.ActionGoToModule, ModuleID: ModulePerks},
					{Label: "Bulk order", Action: bot.ActionGoToModule, ModuleID: ModuleBulk},
					{Label: "Talk to a person", Action: bot.ActionGoToModule, ModuleID: ModuleAgent},
				},
			}}},
			{ID: ModulePerks, Name: "VIP perks", Cards: []bot.Card{{
				Type: bot.CardCondition,
				Condition: &bot.Condition{Field: bot.FieldTag, Operator: bot.OpAny, Tags: []string{VIPTag},
					MetModuleID: ModulePerksVIP, NotMetModuleID: ModulePerksJoin},
			}}},
			{ID: ModulePerksVIP, Name: "Perks of a VIP", Cards: []bot.Card{
				{Type: bot.CardText, Text: "As a VIP you get free shipping on every order."},
			}},
			{ID: ModulePerksJoin, Name: "Perks: join first", Cards: []bot.Card{{
				Type: bot.CardText, Text: "Free shipping is for VIP members. Join?",
				Buttons: []bot.Button{joinVIP},
			}}},
			{ID: ModuleBulk, Name: "Bulk order", Cards: []bot.Card{{
				Type: bot.CardUserInput, Text: "How many pieces would you like to order?",
				Input: &bot.UserInput{Attribute: BulkAttribute, Type: switchboard.AttrNumber, NextModuleID: ModuleBulkDone,
					InvalidText: "Please send the number of pieces, such as 12."},
			}}},
			{ID: ModuleBulkDone, Name: "Bulk order noted", Cards: []bot.Card{
				{Type: bot.CardText, Text: "Thanks! We noted {{custom:" + BulkAttribute + "}} pieces; a colleague will send you a quote."},
			}},
			agentModule(),
		},
	}
}

// WidgetBot is the demo widget's bot: the menu without what a widget cannot do
// (tags and delays).
func WidgetBot() *bot.Bot {
	return &bot.Bot{
		ID: WidgetBotID, TeamID: events.DemoTeamID, Name: "Demo widget bot",
		ChannelKinds: []switchboard.ChannelKind{switchboard.KindWidget},
		Modules: []bot.Module{
			{ID: ModuleMenu, Name: "Menu", Cards: []bot.Card{{
				Type: bot.CardText, Text: "Hi! What can we do for you?",
				Buttons: []bot.Button{
					{Label: "Opening hours", Action: bot.ActionGoToModule, ModuleID: ModuleHours},
					{Label: "Talk to a person", Action: bot.ActionGoToModule, ModuleID: ModuleAgent},
				},
			}}},
			hoursModule(),
			agentModule(),
		},
	}
}

func hoursModule() bot.Module {
	return bot.Module{ID: ModuleHours, Name: "Opening hours", Cards: []bot.Card{
		{Type: bot.CardText, Text: "We are open every day from 10:00 to 20:00."},
	}}
}

func agentModule() bot.Module {
	return bot.Module{ID: ModuleAgent, Name: "Talk to a person", Cards: []bot.Card{
		{Type: bot.CardLiveAgent, Text: "A colleague will be with you shortly."},
	}}
}

// Refresh returns a sample webhook of package events with its platform
// timestamps moved to now and its signature recomputed with the demo secret.
// The samples were written in March 2026, and Messenger, Instagram and WhatsApp
// rightly refuse to answer a customer who last wrote that long ago (the 24-hour
// window), so `make send` and the end-to-end tests send them as if just written.
func Refresh(req lambdaevents.APIGatewayV2HTTPRequest, now time.Time) (lambdaevents.APIGatewayV2HTTPRequest, error) {
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return req, fmt.Errorf("sample body is flagged base64 but does not decode: %w", err)
		}
		body, req.IsBase64Encoded = string(b), false
	}
	body = msTimestamp.ReplaceAllString(body, strconv.FormatInt(now.UnixMilli(), 10))
	body = secTimestamp.ReplaceAllString(body, `"`+strconv.FormatInt(now.Unix(), 10)+`"`)
	req.Body = body
	headers := make(map[string]string, len(req.Headers))
	for k, v := range req.Headers {
		if !strings.EqualFold(k, "content-length") {
			headers[k] = v
		}
	}
	parts := strings.Split(strings.Trim(req.RawPath, "/"), "/")
	if len(parts) != 3 || parts[0] != "webhooks" {
		return req, fmt.Errorf("sample path %q is not /webhooks/{kind}/{channelId}", req.RawPath)
	}
	switch switchboard.ChannelKind(parts[1]) {
	case switchboard.KindLINE:
		headers[line.SignatureHeader] = line.Sign(events.DemoSecret, []byte(body))
	case switchboard.KindMessenger, switchboard.KindInstagram:
		headers[meta.SignatureHeader] = meta.Sign(events.DemoSecret, []byte(body))
	case switchboard.KindWhatsApp:
		headers[whatsapp.SignatureHeader] = whatsapp.Sign(events.DemoSecret, []byte(body))
	case switchboard.KindWidget:
		headers[widget.SignatureHeader] = widget.Sign(events.DemoSecret, []byte(body))
	default:
		return req, fmt.Errorf("sample path %q names no channel kind", req.RawPath)
	}
	req.Headers = headers
	return req, nil
}

// The samples' timestamps: milliseconds (LINE, Meta, widget) and WhatsApp's
// quoted seconds, all from early March 2026.
var (
	msTimestamp  = regexp.MustCompile(`\b177\d{10}\b`)
	secTimestamp = regexp.MustCompile(`"177\d{7}"`)
)
