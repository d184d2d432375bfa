package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Timers are stored by due minute (DESIGN.md, Timers): a timer is one item in
// the bucket of its minute, in one of TimerShards shards, and the dispatcher
// reads each minute's shards once the minute is near. Arming is one write and
// dispatching deletes it: two writes per timer over its life, however many
// timers are due at once.

var timerRecord = record[switchboard.Timer]{
	what: "timer",
	key:  func(t *switchboard.Timer) key { return timerKey(t) },
}

// normalizeTimer validates t and gives its due time second precision in UTC.
// A due time before now becomes now: the bucket of a minute already past may
// have been read for the last time, so a timer armed late is due at once.
func (s *Store) normalizeTimer(t *switchboard.Timer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if !validKeyPart(t.TeamID) {
		return switchboard.Errorf(switchboard.EInvalid, "timer team id is malformed")
	}
	now := s.clock().Truncate(time.Second)
	t.DueAt = t.DueAt.UTC().Truncate(time.Second)
	if t.DueAt.Before(now) {
		t.DueAt = now
	}
	return nil
}

// ArmTimers stores timers: one PutItem for a single timer, one BatchWriteItem
// per 25 otherwise, so one write per timer either way. Arming is idempotent:
// the same id at the same due second is the same item. The same id at another
// due second is another item; the earlier one stays and fires too unless it
// is cancelled or moved (MoveTimer), which consumers must tolerate (they
// re-check generation and state). Due times are normalised in place (see
// normalizeTimer), so the caller holds the keys that CancelTimers needs.
func (s *Store) ArmTimers(ctx context.Context, ts ...*switchboard.Timer) error {
	items := make([]map[string]types.AttributeValue, len(ts))
	for i, t := range ts {
		if err := s.normalizeTimer(t); err != nil {
			return err
		}
		item, err := timerRecord.item(t)
		if err != nil {
			return err
		}
		items[i] = item
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: items[0]})
		return mapErr(err, "arm timer")
	}
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = putRequest(it)
	}
	return s.batchWrite(ctx, dedupeRequests(reqs), "arm timers")
}

// MoveTimer re-arms t, which was armed before with due time previous, and
// deletes the earlier item if the move changed its key. The cost of a move is
// therefore one extra write (the delete, in the same BatchWriteItem as the
// put); a caller whose consumer recognises the old timer as stale by its
// generation may use ArmTimers instead and let the old one fire for nothing.
func (s *Store) MoveTimer(ctx context.Context, t *switchboard.Timer, previous time.Time) error {
	if err := s.normalizeTimer(t); err != nil {
		return err
	}
	old := *t
	old.DueAt = previous.UTC().Truncate(time.Second)
	item, err := timerRecord.item(t)
	if err != nil {
		return err
	}
	if previous.IsZero() || timerKey(&old) == timerKey(t) {
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
		return mapErr(err, "move timer")
	}
	return s.batchWrite(ctx, []types.WriteRequest{putRequest(item), deleteRequest(timerKey(&old))}, "move timer")
}

// CancelTimers deletes timers by id and due time (as armed): one
// BatchWriteItem per 25, one write each. Deleting a timer that was already
// dispatched or never armed is not an error; a dispatched timer still fires,
// and its consumer finds nothing to do.
func (s *Store) CancelTimers(ctx context.Context, ts ...*switchboard.Timer) error {
	reqs := make([]types.WriteRequest, 0, len(ts))
	for _, t := range ts {
		c := *t
		c.DueAt = c.DueAt.UTC().Truncate(time.Second)
		reqs = append(reqs, deleteRequest(timerKey(&c)))
	}
	return s.batchWrite(ctx, dedupeRequests(reqs), "cancel timers")
}

// DeleteTimers removes timers the dispatcher has queued; it is CancelTimers
// under the name the dispatcher's interface uses.
func (s *Store) DeleteTimers(ctx context.Context, ts []*switchboard.Timer) error {
	return s.CancelTimers(ctx, ts...)
}

// DueTimers returns one page of one shard of the timers due in minute, in due
// order: one strongly consistent Query. The cursor continues the page; ""
// means the shard is exhausted.
func (s *Store) DueTimers(ctx context.Context, minute time.Time, shard int, cursor string, limit int) ([]*switchboard.Timer, string, error) {
	if shard < 0 || shard >= TimerShards {
		return nil, "", switchboard.Errorf(switchboard.EInvalid, "timer shard must be 0 to %d", TimerShards-1)
	}
	l := timersDue(minute, shard)
	return page[switchboard.Timer](ctx, s, l, cursor, limit, "timer", "read due timers")
}

// timerCursor is the dispatcher's bookmark.
type timerCursor struct {
	Minute    time.Time `dynamodbav:"Minute"`
	UpdatedAt time.Time `dynamodbav:"UpdatedAt"`
}

// TimerCursor returns the last due minute the dispatcher finished with, or
// the zero time before its first run: one GetItem.
func (s *Store) TimerCursor(ctx context.Context) (time.Time, error) {
	c, err := get[timerCursor](ctx, s, "timer cursor", timerCursorKey())
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return c.Minute.UTC(), nil
}

// SetTimerCursor records minute as finished: one conditional PutItem that
// never moves the cursor backwards, so an overlapping older run cannot make
// the next one skip work it already did (it would only repeat it).
func (s *Store) SetTimerCursor(ctx context.Context, minute time.Time) error {
	minute = minute.UTC().Truncate(time.Minute)
	item := timerCursorKey().av()
	item["Minute"] = &types.AttributeValueMemberS{Value: minute.Format(time.RFC3339)}
	item["UpdatedAt"] = &types.AttributeValueMemberS{Value: s.clock().Format(time.RFC3339Nano)}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #m <= :m"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#m": "Minute"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":m": &types.AttributeValueMemberS{Value: minute.Format(time.RFC3339)},
		},
	})
	if isConditionFailed(err) {
		return nil
	}
	return mapErr(err, "set timer cursor")
}

// dedupeRequests keeps the last request per key: BatchWriteItem refuses two
// requests on one key, and arming the same timer twice in one call means the
// last one.
func dedupeRequests(reqs []types.WriteRequest) []types.WriteRequest {
	seen := make(map[string]int, len(reqs))
	out := make([]types.WriteRequest, 0, len(reqs))
	for _, r := range reqs {
		var k map[string]types.AttributeValue
		if r.PutRequest != nil {
			k = r.PutRequest.Item
		} else {
			k = r.DeleteRequest.Key
		}
		id := attrString(k[attrPK]) + "\x00" + attrString(k[attrSK])
		if i, ok := seen[id]; ok {
			out[i] = r
			continue
		}
		seen[id] = len(out)
		out = append(out, r)
	}
	return out
}

func attrString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
