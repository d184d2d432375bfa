package dynamo

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Trigger counter scopes: every firing of a rule counts for the rule, its group
// and the channel it fired on (001:L4017-L4021).
const (
	ScopeRule    = "rule"
	ScopeGroup   = "group"
	ScopeChannel = "channel"
)

// TriggerCount is how often rules fired, for one feature (auto-reply or
// auto-assign) and one rule, group or channel.
type TriggerCount struct {
	Kind  keyword.TriggerKind `dynamodbav:"Kind" json:"kind"`
	Scope string              `dynamodbav:"Scope" json:"scope"`
	ID    string              `dynamodbav:"ID" json:"id"`
	Count int64               `dynamodbav:"Count" json:"count"`
}

// counterUpdates turns rule firings into ADD updates of their counters, one
// per counter item: a transaction may not touch an item twice, so firings that
// share a group or channel are added up first.
func (s *Store) counterUpdates(teamID, conversationID string, triggers []keyword.Trigger) ([]types.TransactWriteItem, error) {
	type counter struct{ kind, scope, id string }
	counts := map[counter]int64{}
	var order []counter
	add := func(c counter) {
		if _, ok := counts[c]; !ok {
			order = append(order, c)
		}
		counts[c]++
	}
	for _, t := range triggers {
		for _, c := range []counter{
			{string(t.Kind), ScopeRule, t.RuleID},
			{string(t.Kind), ScopeGroup, t.GroupID},
			{string(t.Kind), ScopeChannel, t.ChannelID},
		} {
			if c.kind == "" || !validKeyPart(c.kind) || !validKeyPart(c.id) {
				return nil, switchboard.Errorf(switchboard.EInvalid, "trigger %+v has an empty or malformed id", t)
			}
			add(c)
		}
	}
	shard := TriggerShard(conversationID)
	items := make([]types.TransactWriteItem, 0, len(order))
	for _, c := range order {
		k := triggerCounterKey(teamID, c.kind, c.scope, c.id, shard)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:        aws.String(s.table),
			Key:              k.av(),
			UpdateExpression: aws.String("ADD #count :n SET #kind = :kind, #scope = :scope, #id = :id, #team = :team"),
			ExpressionAttributeNames: map[string]string{
				"#count": "Count", "#kind": "Kind", "#scope": "Scope", "#id": "ID", "#team": "TeamID",
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":n":     &types.AttributeValueMemberN{Value: itoa(counts[c])},
				":kind":  &types.AttributeValueMemberS{Value: c.kind},
				":scope": &types.AttributeValueMemberS{Value: c.scope},
				":id":    &types.AttributeValueMemberS{Value: c.id},
				":team":  &types.AttributeValueMemberS{Value: teamID},
			},
		}})
	}
	return items, nil
}

// TriggerCounts returns every trigger count of the team, its shards added up,
// ordered by kind, scope and id: one strongly consistent Query per megabyte of
// counters (one, for any real team).
func (s *Store) TriggerCounts(ctx context.Context, teamID string) ([]TriggerCount, error) {
	if !validKeyPart(teamID) {
		return nil, nil
	}
	type id struct{ kind, scope, id string }
	sums := map[id]int64{}
	var start map[string]types.AttributeValue
	for {
		items, last, err := queryPage(ctx, s, triggerCountersOfTeam(teamID), start, 0, "list trigger counts")
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			var c TriggerCount
			if err := attributevalue.UnmarshalMap(it, &c); err != nil {
				return nil, switchboard.Wrap(switchboard.EInternal, err, "decode trigger count")
			}
			sums[id{string(c.Kind), c.Scope, c.ID}] += c.Count
		}
		if len(last) == 0 {
			break
		}
		start = last
	}
	out := make([]TriggerCount, 0, len(sums))
	for k, n := range sums {
		out = append(out, TriggerCount{Kind: keyword.TriggerKind(k.kind), Scope: k.scope, ID: k.id, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.ID < b.ID
	})
	return out, nil
}
