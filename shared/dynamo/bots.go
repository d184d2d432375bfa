package dynamo

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Bots: one item per bot (its own partition, listed through GSI1) and one
// directory item per team with the team's entry points, written together in
// one transaction so that a ref or a channel's welcome never leads to two
// bots, and so that the bot step resolves a referral or a follow with one
// GetItem.

var botRecord = record[bot.Bot]{
	what: "bot",
	key:  func(b *bot.Bot) key { return botKey(b.TeamID, b.ID) },
	index: func(b *bot.Bot) map[string]string {
		ik := botInTeam(b.TeamID, b.ID)
		return map[string]string{attrGSI1PK: ik.PK, attrGSI1SK: ik.SK}
	},
	meta: func(b *bot.Bot) (*int64, *time.Time, *time.Time) { return &b.Version, &b.CreatedAt, &b.UpdatedAt },
	keep: func(next, cur *bot.Bot) { next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt },
}

// botDirectory is a team's entry points.
type botDirectory struct {
	TeamID string
	// Entries are the named entry points (bot.RefEntry, bot.WelcomeEntry).
	Entries map[string]bot.Entry
	// Modules lists, per module id, the bots that have a module of that id:
	// a module id is a ref of its own when exactly one bot has it.
	Modules   map[string][]string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

var botDirectoryRecord = record[botDirectory]{
	what: "bot directory",
	key:  func(d *botDirectory) key { return botDirectoryKey(d.TeamID) },
	meta: func(d *botDirectory) (*int64, *time.Time, *time.Time) { return &d.Version, &d.CreatedAt, &d.UpdatedAt },
	keep: func(next, cur *botDirectory) { next.TeamID, next.CreatedAt = cur.TeamID, cur.CreatedAt },
}

// without returns the directory less everything of bot id.
func (d *botDirectory) without(id string) *botDirectory {
	out := &botDirectory{TeamID: d.TeamID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version,
		Entries: map[string]bot.Entry{}, Modules: map[string][]string{}}
	for name, e := range d.Entries {
		if e.BotID != id {
			out.Entries[name] = e
		}
	}
	for m, bots := range d.Modules {
		if rest := slices.DeleteFunc(slices.Clone(bots), func(b string) bool { return b == id }); len(rest) > 0 {
			out.Modules[m] = rest
		}
	}
	return out
}

// with adds b's entry points, refusing those another bot holds.
func (d *botDirectory) with(b *bot.Bot) (*botDirectory, error) {
	out := d.without(b.ID)
	for name, e := range b.EntryPoints() {
		if other, ok := out.Entries[name]; ok {
			what, id, _ := strings.Cut(name, ":")
			if what == "welcome" {
				return nil, switchboard.Errorf(switchboard.EConflict, "channel %s already welcomes with bot %s; remove it there first", id, other.BotID)
			}
			return nil, switchboard.Errorf(switchboard.EConflict, "ref %q is already used by bot %s", id, other.BotID)
		}
		out.Entries[name] = e
	}
	for _, m := range b.Modules {
		out.Modules[m.ID] = append(out.Modules[m.ID], b.ID)
	}
	return out, nil
}

func validBotKeys(teamID, id string) bool { return validKeyPart(teamID) && validKeyPart(id) }

// GetBot reads a bot of the team: one GetItem.
func (s *Store) GetBot(ctx context.Context, teamID, id string) (*bot.Bot, error) {
	if !validBotKeys(teamID, id) {
		return nil, notFound("bot")
	}
	return get[bot.Bot](ctx, s, "bot", botKey(teamID, id))
}

// ListBots reads every bot of the team, in id order: one Query of GSI1 per
// megabyte of definitions.
func (s *Store) ListBots(ctx context.Context, teamID string) ([]*bot.Bot, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	return queryAll[bot.Bot](ctx, s, botsOfTeam(teamID), "bot", "list bots")
}

// CreateBot stores a new bot (version 1) and its entry points: one
// BatchGetItem and one TransactWriteItems, again if the directory changed
// meanwhile. An existing id is EConflict, as is a ref or a channel welcome
// another bot of the team already holds.
func (s *Store) CreateBot(ctx context.Context, b *bot.Bot) error {
	if !validBotKeys(b.TeamID, b.ID) {
		return switchboard.Errorf(switchboard.EInvalid, "bot id or team id is missing or malformed")
	}
	stored, err := s.saveBot(ctx, b.TeamID, b.ID, func(cur *bot.Bot) (*bot.Bot, error) {
		if cur != nil {
			return nil, switchboard.Errorf(switchboard.EConflict, "bot %s already exists", b.ID)
		}
		fresh := *b
		fresh.Version, fresh.CreatedAt = 0, time.Time{}
		return &fresh, nil
	})
	if err != nil {
		return err
	}
	*b = *stored
	return nil
}

// UpdateBot applies fn to a bot under an optimistic version check and
// rewrites its entry points with it: per round one BatchGetItem (bot and
// directory) and one TransactWriteItems. A bot of another team is ENotFound.
func (s *Store) UpdateBot(ctx context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error) {
	if !validBotKeys(teamID, id) {
		return nil, notFound("bot")
	}
	return s.saveBot(ctx, teamID, id, func(cur *bot.Bot) (*bot.Bot, error) {
		if cur == nil || cur.TeamID != teamID {
			return nil, notFound("bot")
		}
		ref := *cur
		next, err := fn(cur)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, switchboard.Errorf(switchboard.EInternal, "update of bot returned no bot")
		}
		botRecord.keep(next, &ref)
		next.Version = ref.Version
		return next, nil
	})
}

// saveBot is the read-decide-write loop of CreateBot and UpdateBot. build gets
// the stored bot (nil when absent) and returns the bot to store, whose
// Version is the version it replaces (0: a new bot).
func (s *Store) saveBot(ctx context.Context, teamID, id string, build func(cur *bot.Bot) (*bot.Bot, error)) (*bot.Bot, error) {
	for attempt := 0; attempt < s.maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		dir, cur, err := s.readBotAndDirectory(ctx, teamID, id)
		if err != nil {
			return nil, err
		}
		next, err := build(cur)
		if err != nil {
			return nil, err
		}
		if next.TeamID != teamID || next.ID != id {
			return nil, switchboard.Errorf(switchboard.EInvalid, "bot %s is not bot %s of team %s", next.ID, id, teamID)
		}
		nd, err := dir.with(next)
		if err != nil {
			return nil, err
		}
		stored := *next
		now := s.clock()
		bp, err := versionedPut(s, botRecord, &stored, now)
		if err != nil {
			return nil, err
		}
		dp, err := versionedPut(s, botDirectoryRecord, nd, now)
		if err != nil {
			return nil, err
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{bp, dp}})
		if err == nil {
			return &stored, nil
		}
		reasons, ok := cancellationReasons(err)
		if !ok {
			return nil, mapErr(err, "save bot")
		}
		if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" && next.Version == 0 {
			return nil, switchboard.Errorf(switchboard.EConflict, "bot %s already exists", id)
		}
		if !slices.Contains(reasons, "ConditionalCheckFailed") {
			return nil, transactErr(err, reasons, "save bot")
		}
		// The bot or the directory changed since it was read: decide again.
	}
	return nil, switchboard.Errorf(switchboard.EConflict, "the team's bots were changed concurrently %d times in a row; try again", s.maxAttempts)
}

// readBotAndDirectory reads a bot and its team's directory in one
// BatchGetItem; a missing bot is nil, a missing directory an empty one.
func (s *Store) readBotAndDirectory(ctx context.Context, teamID, id string) (*botDirectory, *bot.Bot, error) {
	dk, bk := botDirectoryKey(teamID), botKey(teamID, id)
	found, err := s.batchGet(ctx, []key{dk, bk}, "read bot")
	if err != nil {
		return nil, nil, err
	}
	dir := &botDirectory{TeamID: teamID}
	if it, ok := found[dk]; ok {
		if dir, err = decode[botDirectory](it, "bot directory"); err != nil {
			return nil, nil, err
		}
	}
	var cur *bot.Bot
	if it, ok := found[bk]; ok {
		if cur, err = decode[bot.Bot](it, "bot"); err != nil {
			return nil, nil, err
		}
	}
	return dir, cur, nil
}

// transactErr maps a cancelled transaction whose conditions held.
func transactErr(err error, reasons []string, op string) error {
	for _, r := range reasons {
		switch r {
		case "ValidationError":
			return switchboard.Wrap(switchboard.ETooLarge, err, op+": a record is over DynamoDB's limits (a bot is at most about 350 KB)")
		case "ItemCollectionSizeLimitExceeded":
			return switchboard.Wrap(switchboard.ETooLarge, err, op+": too much data under one key")
		}
	}
	return switchboard.Wrap(switchboard.EUnavailable, err, op+": the transaction collided with another; retry")
}

// DeleteBot deletes a bot and its entry points: one BatchGetItem and one
// TransactWriteItems per round. Rules that reply with the bot stay until
// MarkBotGone marks them.
func (s *Store) DeleteBot(ctx context.Context, teamID, id string) error {
	if !validBotKeys(teamID, id) {
		return notFound("bot")
	}
	for attempt := 0; attempt < s.maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		dir, cur, err := s.readBotAndDirectory(ctx, teamID, id)
		if err != nil {
			return err
		}
		if cur == nil || cur.TeamID != teamID {
			return notFound("bot")
		}
		dp, err := versionedPut(s, botDirectoryRecord, dir.without(id), s.clock())
		if err != nil {
			return err
		}
		del := types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       botKey(teamID, id).av(),
			ConditionExpression:       aws.String("#version = :version"),
			ExpressionAttributeNames:  map[string]string{"#version": "Version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":version": &types.AttributeValueMemberN{Value: itoa(cur.Version)}},
		}}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{del, dp}})
		if err == nil {
			return nil
		}
		reasons, ok := cancellationReasons(err)
		if !ok {
			return mapErr(err, "delete bot")
		}
		if !slices.Contains(reasons, "ConditionalCheckFailed") {
			return transactErr(err, reasons, "delete bot")
		}
	}
	return switchboard.Errorf(switchboard.EConflict, "the team's bots were changed concurrently %d times in a row; try again", s.maxAttempts)
}

// ResolveBotRef finds the module an m.me ref leads to: a ref a bot declared,
// else a module id exactly one bot of the team has. One GetItem; a ref that
// leads nowhere is ENotFound.
func (s *Store) ResolveBotRef(ctx context.Context, teamID, ref string) (bot.Entry, error) {
	dir, err := s.botDirectory(ctx, teamID)
	if err != nil {
		return bot.Entry{}, err
	}
	if e, ok := dir.Entries[bot.RefEntry(ref)]; ok {
		return e, nil
	}
	if bots := dir.Modules[ref]; len(bots) == 1 {
		return bot.Entry{BotID: bots[0], ModuleID: ref}, nil
	}
	return bot.Entry{}, notFound("bot ref")
}

// WelcomeModule finds the module a channel welcomes with: one GetItem; a
// channel without one is ENotFound.
func (s *Store) WelcomeModule(ctx context.Context, teamID, channelID string) (bot.Entry, error) {
	dir, err := s.botDirectory(ctx, teamID)
	if err != nil {
		return bot.Entry{}, err
	}
	if e, ok := dir.Entries[bot.WelcomeEntry(channelID)]; ok {
		return e, nil
	}
	return bot.Entry{}, notFound("welcome module")
}

func (s *Store) botDirectory(ctx context.Context, teamID string) (*botDirectory, error) {
	if !validKeyPart(teamID) {
		return nil, notFound("bot directory")
	}
	d, err := get[botDirectory](ctx, s, "bot directory", botDirectoryKey(teamID))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return &botDirectory{TeamID: teamID}, nil
	}
	return d, err
}

// MarkBotGone marks invalid the auto-reply rules that reply with a bot the
// team deleted (001:L4071): they stop firing until an operator edits them.
// The API calls it after deleting a bot. It costs one Query, then one GetItem
// and PutItem per rule it marks, and one UpdateItem when it marked any.
func (s *Store) MarkBotGone(ctx context.Context, teamID, botID string) error {
	if !validKeyPart(teamID) || botID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "team id or bot id is missing or malformed")
	}
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return err
	}
	bots, channels := map[string]bool{}, map[string]bool{}
	var rules []*keyword.Rule
	for i := range st.set.Replies {
		r := &st.set.Replies[i]
		rules = append(rules, r)
		if r.Reply.BotID != botID {
			bots[r.Reply.BotID] = true
		}
		for _, ch := range r.ChannelIDs {
			channels[ch] = true
		}
	}
	marked := keyword.MarkInvalid(rules, bots, channels)
	for _, id := range marked {
		_, err := update(ctx, s, replyRuleRecord, replyRuleKey(teamID, id), nil, nil, func(cur *replyRuleItem) (*replyRuleItem, error) {
			cur.Invalid = true
			return cur, nil
		})
		if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
			return err
		}
	}
	if len(marked) == 0 {
		return nil
	}
	return s.bumpRuleSet(ctx, teamID)
}
