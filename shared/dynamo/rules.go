package dynamo

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/autotag"
	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// A team's routing rules live in one partition (rulesPK): one item per
// auto-reply rule, auto-assign rule and group, one for the auto-tag settings
// and one counter, so the router reads the whole set with one Query and the
// operators' API edits one rule without rewriting the others.

// RuleSetMaxBytes bounds the stored size of a team's rules partition. A Query
// returns at most 1 MB, so keeping the set below this keeps GetRuleSet one
// Query; a write that would pass it is refused with ETooLarge.
const RuleSetMaxBytes = 800 << 10

// replyRuleItem is a stored auto-reply rule.
type replyRuleItem struct {
	keyword.Rule
	TeamID    string
	Version   int64
	UpdatedAt time.Time
}

// assignRuleItem is a stored auto-assign rule.
type assignRuleItem struct {
	keyword.AssignRule
	TeamID    string
	Version   int64
	UpdatedAt time.Time
}

// ruleGroupItem is a stored group of rules. Groups carry no creation time of
// their own; their ids are ULIDs.
type ruleGroupItem struct {
	keyword.Group
	TeamID    string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// autoTagItem is a team's stored auto-tag settings.
type autoTagItem struct {
	autotag.Config
	TeamID    string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

var replyRuleRecord = record[replyRuleItem]{
	what: "auto-reply rule",
	key:  func(r *replyRuleItem) key { return replyRuleKey(r.TeamID, r.ID) },
	meta: func(r *replyRuleItem) (*int64, *time.Time, *time.Time) { return &r.Version, &r.CreatedAt, &r.UpdatedAt },
	keep: func(next, cur *replyRuleItem) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

var assignRuleRecord = record[assignRuleItem]{
	what: "auto-assign rule",
	key:  func(r *assignRuleItem) key { return assignRuleKey(r.TeamID, r.ID) },
	meta: func(r *assignRuleItem) (*int64, *time.Time, *time.Time) {
		return &r.Version, &r.CreatedAt, &r.UpdatedAt
	},
	keep: func(next, cur *assignRuleItem) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

var ruleGroupRecord = record[ruleGroupItem]{
	what: "rule group",
	key:  func(g *ruleGroupItem) key { return ruleGroupKey(g.TeamID, g.ID) },
	meta: func(g *ruleGroupItem) (*int64, *time.Time, *time.Time) { return &g.Version, &g.CreatedAt, &g.UpdatedAt },
	keep: func(next, cur *ruleGroupItem) {
		next.ID, next.TeamID, next.CreatedAt = cur.ID, cur.TeamID, cur.CreatedAt
	},
}

var autoTagRecord = record[autoTagItem]{
	what: "auto-tag settings",
	key:  func(a *autoTagItem) key { return autoTagKey(a.TeamID) },
	meta: func(a *autoTagItem) (*int64, *time.Time, *time.Time) { return &a.Version, &a.CreatedAt, &a.UpdatedAt },
	keep: func(next, cur *autoTagItem) { next.TeamID, next.CreatedAt = cur.TeamID, cur.CreatedAt },
}

// storedRules is the rules partition as read: the decoded set and each item's
// stored size, for the byte budget.
type storedRules struct {
	set   *keyword.RuleSet
	sizes map[key]int
	total int
}

// GetRuleSet reads a team's whole rule set, rules in creation order: one
// strongly consistent Query, since RuleSetMaxBytes keeps the partition within
// one page (should an older, larger set exist, the following pages are read
// too). A team without rules gets an empty set of version 0.
func (s *Store) GetRuleSet(ctx context.Context, teamID string) (*keyword.RuleSet, error) {
	if !validKeyPart(teamID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return nil, err
	}
	return st.set, nil
}

func (s *Store) readRules(ctx context.Context, teamID string) (*storedRules, error) {
	l := rulesOfTeam(teamID)
	st := &storedRules{set: &keyword.RuleSet{}, sizes: map[key]int{}}
	var start map[string]types.AttributeValue
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: l.PK}},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, mapErr(err, "read rules")
		}
		for _, it := range out.Items {
			if err := st.add(it); err != nil {
				return nil, err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	st.set.Sort()
	return st, nil
}

// add decodes one item of the rules partition into the set.
func (st *storedRules) add(it map[string]types.AttributeValue) error {
	pk, _ := it[attrPK].(*types.AttributeValueMemberS)
	sk, _ := it[attrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return switchboard.Errorf(switchboard.EInternal, "read rules: an item came back without its keys")
	}
	size := itemSize(it)
	st.sizes[key{pk.Value, sk.Value}] = size
	st.total += size
	rs := st.set
	switch {
	case strings.HasPrefix(sk.Value, "REPLY#"):
		r, err := decode[replyRuleItem](it, "auto-reply rule")
		if err != nil {
			return err
		}
		rs.Replies = append(rs.Replies, r.Rule)
	case strings.HasPrefix(sk.Value, "ASSIGN#"):
		r, err := decode[assignRuleItem](it, "auto-assign rule")
		if err != nil {
			return err
		}
		rs.Assign = append(rs.Assign, r.AssignRule)
	case strings.HasPrefix(sk.Value, "GROUP#"):
		g, err := decode[ruleGroupItem](it, "rule group")
		if err != nil {
			return err
		}
		rs.Groups = append(rs.Groups, g.Group)
	case sk.Value == "AUTOTAG":
		a, err := decode[autoTagItem](it, "auto-tag settings")
		if err != nil {
			return err
		}
		rs.AutoTag = a.Config
	case sk.Value == "VERSION":
		if n, ok := it["Version"].(*types.AttributeValueMemberN); ok {
			v, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return switchboard.Wrap(switchboard.EInternal, err, "decode rule set version")
			}
			rs.Version = v
		}
	}
	return nil
}

// fits checks that writing item at k keeps the partition within
// RuleSetMaxBytes.
func (st *storedRules) fits(k key, item map[string]types.AttributeValue) error {
	if total := st.total - st.sizes[k] + itemSize(item); total > RuleSetMaxBytes {
		return switchboard.Errorf(switchboard.ETooLarge, "the team's rules would take %d KiB; at most %d KiB are allowed: shorten or delete some rules", total>>10, RuleSetMaxBytes>>10)
	}
	return nil
}

// bumpRuleSet raises the team's rule-set version: one UpdateItem (ADD), so
// concurrent edits each count.
func (s *Store) bumpRuleSet(ctx context.Context, teamID string) error {
	k := ruleSetVersionKey(teamID)
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              k.av(),
		UpdateExpression: aws.String("SET #team = :team, #at = :at ADD #version :one"),
		ExpressionAttributeNames: map[string]string{
			"#team": "TeamID", "#at": "UpdatedAt", "#version": "Version",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":team": &types.AttributeValueMemberS{Value: teamID},
			":at":   &types.AttributeValueMemberS{Value: s.clock().Format(time.RFC3339Nano)},
			":one":  &types.AttributeValueMemberN{Value: "1"},
		},
	})
	return mapErr(err, "bump rule set version")
}

// putRule is the shared body of the Put methods: read the set, check the
// rule against it and the byte budget, then create or replace the item (one
// optimistic round, retried on a lost race) and bump the version. check runs
// against the set as read; build makes the item from the rule.
func putRule[T any](ctx context.Context, s *Store, teamID string, r record[T], k key, v *T, check func(*keyword.RuleSet) error) (*T, error) {
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if err := check(st.set); err != nil {
		return nil, err
	}
	fresh := func() *T { c := *v; return &c }
	next, err := update(ctx, s, r, k, nil, fresh, func(*T) (*T, error) {
		c := *v
		item, err := r.item(&c)
		if err != nil {
			return nil, err
		}
		if err := st.fits(k, item); err != nil {
			return nil, err
		}
		return &c, nil
	})
	if err != nil {
		return nil, err
	}
	return next, s.bumpRuleSet(ctx, teamID)
}

// updateRule is the shared body of the Update methods: like putRule, but fn
// edits the stored rule and a missing rule is ENotFound.
func updateRule[T any](ctx context.Context, s *Store, teamID string, r record[T], k key, fn func(*T) (*T, error), check func(*keyword.RuleSet, *T) error) (*T, error) {
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return nil, err
	}
	next, err := update(ctx, s, r, k, nil, nil, func(cur *T) (*T, error) {
		next, err := fn(cur)
		if err != nil {
			return nil, err
		}
		if err := check(st.set, next); err != nil {
			return nil, err
		}
		item, err := r.item(next)
		if err != nil {
			return nil, err
		}
		if err := st.fits(k, item); err != nil {
			return nil, err
		}
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	return next, s.bumpRuleSet(ctx, teamID)
}

// deleteRules deletes the items at keys (ENotFound when the first is
// missing) and bumps the version.
func (s *Store) deleteRules(ctx context.Context, teamID, what string, keys ...key) error {
	if err := remove(ctx, s, what, keys[0], teamID); err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, k := range keys[1:] {
		reqs = append(reqs, deleteRequest(k))
	}
	if err := s.batchWrite(ctx, reqs, "delete "+what); err != nil {
		return err
	}
	return s.bumpRuleSet(ctx, teamID)
}

func validRuleKeys(teamID, id string) error {
	if !validKeyPart(teamID) || !validKeyPart(id) {
		return switchboard.Errorf(switchboard.EInvalid, "team id or rule id is missing or malformed")
	}
	return nil
}

// PutReplyRule creates the auto-reply rule r.ID or replaces it, after
// Rule.Validate and keyword.RuleSet.CheckReply against the stored set (its
// group must exist and hold its channels). A new rule is stamped with the
// store's clock, an existing one keeps its creation time, so the order of
// rules stays the order of creation; r is updated in place. It costs one Query,
// one GetItem and one PutItem, and one UpdateItem for the version.
func (s *Store) PutReplyRule(ctx context.Context, teamID string, r *keyword.Rule) error {
	if err := validRuleKeys(teamID, r.ID); err != nil {
		return err
	}
	v := &replyRuleItem{Rule: *r, TeamID: teamID}
	next, err := putRule(ctx, s, teamID, replyRuleRecord, replyRuleKey(teamID, r.ID), v, func(rs *keyword.RuleSet) error {
		return rs.CheckReply(r, nil)
	})
	if err != nil {
		return err
	}
	*r = next.Rule
	return nil
}

// UpdateReplyRule applies fn to a stored auto-reply rule under an optimistic
// version check and validates the result like PutReplyRule.
func (s *Store) UpdateReplyRule(ctx context.Context, teamID, id string, fn func(*keyword.Rule) (*keyword.Rule, error)) (*keyword.Rule, error) {
	if err := validRuleKeys(teamID, id); err != nil {
		return nil, notFound("auto-reply rule")
	}
	next, err := updateRule(ctx, s, teamID, replyRuleRecord, replyRuleKey(teamID, id), func(cur *replyRuleItem) (*replyRuleItem, error) {
		r, err := fn(&cur.Rule)
		if err != nil {
			return nil, err
		}
		cur.Rule = *r
		cur.ID = id
		return cur, nil
	}, func(rs *keyword.RuleSet, it *replyRuleItem) error {
		return rs.CheckReply(&it.Rule, nil)
	})
	if err != nil {
		return nil, err
	}
	return &next.Rule, nil
}

// DeleteReplyRule deletes an auto-reply rule: one DeleteItem and one
// UpdateItem. A missing rule is ENotFound.
func (s *Store) DeleteReplyRule(ctx context.Context, teamID, id string) error {
	if err := validRuleKeys(teamID, id); err != nil {
		return notFound("auto-reply rule")
	}
	return s.deleteRules(ctx, teamID, "auto-reply rule", replyRuleKey(teamID, id))
}

// PutAssignRule creates or replaces an auto-assign rule, like PutReplyRule.
func (s *Store) PutAssignRule(ctx context.Context, teamID string, r *keyword.AssignRule) error {
	if err := validRuleKeys(teamID, r.ID); err != nil {
		return err
	}
	v := &assignRuleItem{AssignRule: *r, TeamID: teamID}
	next, err := putRule(ctx, s, teamID, assignRuleRecord, assignRuleKey(teamID, r.ID), v, func(rs *keyword.RuleSet) error {
		return rs.CheckAssign(r, nil, nil)
	})
	if err != nil {
		return err
	}
	*r = next.AssignRule
	return nil
}

// UpdateAssignRule applies fn to a stored auto-assign rule, like
// UpdateReplyRule.
func (s *Store) UpdateAssignRule(ctx context.Context, teamID, id string, fn func(*keyword.AssignRule) (*keyword.AssignRule, error)) (*keyword.AssignRule, error) {
	if err := validRuleKeys(teamID, id); err != nil {
		return nil, notFound("auto-assign rule")
	}
	next, err := updateRule(ctx, s, teamID, assignRuleRecord, assignRuleKey(teamID, id), func(cur *assignRuleItem) (*assignRuleItem, error) {
		r, err := fn(&cur.AssignRule)
		if err != nil {
			return nil, err
		}
		cur.AssignRule = *r
		cur.ID = id
		return cur, nil
	}, func(rs *keyword.RuleSet, it *assignRuleItem) error {
		return rs.CheckAssign(&it.AssignRule, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return &next.AssignRule, nil
}

// DeleteAssignRule deletes an auto-assign rule, like DeleteReplyRule.
func (s *Store) DeleteAssignRule(ctx context.Context, teamID, id string) error {
	if err := validRuleKeys(teamID, id); err != nil {
		return notFound("auto-assign rule")
	}
	return s.deleteRules(ctx, teamID, "auto-assign rule", assignRuleKey(teamID, id))
}

// PutRuleGroup creates or replaces a group of rules, after Group.Validate and
// keyword.RuleSet.CheckGroup (no rule of the group may be left with a channel
// the group no longer has).
func (s *Store) PutRuleGroup(ctx context.Context, teamID string, g *keyword.Group) error {
	if err := validRuleKeys(teamID, g.ID); err != nil {
		return err
	}
	v := &ruleGroupItem{Group: *g, TeamID: teamID}
	next, err := putRule(ctx, s, teamID, ruleGroupRecord, ruleGroupKey(teamID, g.ID), v, func(rs *keyword.RuleSet) error {
		return rs.CheckGroup(g, nil)
	})
	if err != nil {
		return err
	}
	*g = next.Group
	return nil
}

// UpdateRuleGroup applies fn to a stored group (enable or pause it per
// channel, rename it), validated like PutRuleGroup.
func (s *Store) UpdateRuleGroup(ctx context.Context, teamID, id string, fn func(*keyword.Group) (*keyword.Group, error)) (*keyword.Group, error) {
	if err := validRuleKeys(teamID, id); err != nil {
		return nil, notFound("rule group")
	}
	next, err := updateRule(ctx, s, teamID, ruleGroupRecord, ruleGroupKey(teamID, id), func(cur *ruleGroupItem) (*ruleGroupItem, error) {
		g, err := fn(&cur.Group)
		if err != nil {
			return nil, err
		}
		cur.Group = *g
		cur.ID = id
		return cur, nil
	}, func(rs *keyword.RuleSet, it *ruleGroupItem) error {
		return rs.CheckGroup(&it.Group, nil)
	})
	if err != nil {
		return nil, err
	}
	return &next.Group, nil
}

// DeleteRuleGroup deletes a group together with its rules of both kinds,
// which cannot fire without it (the seed deletes keyword replies by group,
// 001:L1314): one Query, one DeleteItem, a BatchWriteItem per 25 rules and
// one UpdateItem. A missing group is ENotFound.
func (s *Store) DeleteRuleGroup(ctx context.Context, teamID, id string) error {
	if err := validRuleKeys(teamID, id); err != nil {
		return notFound("rule group")
	}
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return err
	}
	keys := []key{ruleGroupKey(teamID, id)}
	replies, assigns := st.set.GroupRules(id)
	for _, r := range replies {
		keys = append(keys, replyRuleKey(teamID, r))
	}
	for _, r := range assigns {
		keys = append(keys, assignRuleKey(teamID, r))
	}
	return s.deleteRules(ctx, teamID, "rule group", keys...)
}

// PutAutoTagConfig replaces the team's auto-tag settings after
// autotag.Config.Validate: one Query (the byte budget), one GetItem, one
// PutItem and one UpdateItem.
func (s *Store) PutAutoTagConfig(ctx context.Context, teamID string, cfg autotag.Config) error {
	if !validKeyPart(teamID) {
		return switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	v := &autoTagItem{Config: cfg, TeamID: teamID}
	_, err := putRule(ctx, s, teamID, autoTagRecord, autoTagKey(teamID), v, func(*keyword.RuleSet) error { return nil })
	return err
}

// MarkChannelGone marks invalid the rules and groups that target a channel
// the team deleted (keyword.RuleSet.ChannelGone): they stop firing until an
// operator edits them. The API calls it after deleting a channel. It costs
// one Query, then one GetItem and PutItem per item it marks, and one
// UpdateItem when it marked any; marking again changes nothing.
func (s *Store) MarkChannelGone(ctx context.Context, teamID, channelID string) error {
	if !validKeyPart(teamID) || channelID == "" {
		return switchboard.Errorf(switchboard.EInvalid, "team id or channel id is missing or malformed")
	}
	st, err := s.readRules(ctx, teamID)
	if err != nil {
		return err
	}
	replies, assigns, groups := st.set.ChannelGone(channelID)
	for _, id := range replies {
		_, err := update(ctx, s, replyRuleRecord, replyRuleKey(teamID, id), nil, nil, func(cur *replyRuleItem) (*replyRuleItem, error) {
			cur.Invalid = true
			return cur, nil
		})
		if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
			return err
		}
	}
	for _, id := range assigns {
		_, err := update(ctx, s, assignRuleRecord, assignRuleKey(teamID, id), nil, nil, func(cur *assignRuleItem) (*assignRuleItem, error) {
			cur.Invalid = true
			return cur, nil
		})
		if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
			return err
		}
	}
	for _, id := range groups {
		_, err := update(ctx, s, ruleGroupRecord, ruleGroupKey(teamID, id), nil, nil, func(cur *ruleGroupItem) (*ruleGroupItem, error) {
			cur.Invalid = true
			return cur, nil
		})
		if err != nil && switchboard.ErrorCode(err) != switchboard.ENotFound {
			return err
		}
	}
	if len(replies)+len(assigns)+len(groups) == 0 {
		return nil
	}
	return s.bumpRuleSet(ctx, teamID)
}

// itemSize estimates an item's stored size the way DynamoDB counts it:
// attribute names plus values, with a few bytes of overhead per list or map
// element.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return len(x.Value)/2 + 1
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}
