package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// record tells the generic read, create and update code how one domain type
// is keyed and where its bookkeeping fields are.
type record[T any] struct {
	// what names the type in error messages ("channel").
	what string
	// key is the item's primary key.
	key func(*T) key
	// index returns the item's secondary-index attributes, if any.
	index func(*T) map[string]string
	// meta points at the record's version and timestamps.
	meta func(*T) (version *int64, createdAt, updatedAt *time.Time)
	// keep copies the fields that identify the record (and so its key) from
	// the stored version into an updated one, so an update function cannot
	// move a record or forge its history.
	keep func(next, cur *T)
}

// item is v as a table item: its attributes plus its keys.
func (r record[T]) item(v *T) (map[string]types.AttributeValue, error) {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode "+r.what)
	}
	k := r.key(v)
	m[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
	m[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
	if r.index != nil {
		for name, val := range r.index(v) {
			m[name] = &types.AttributeValueMemberS{Value: val}
		}
	}
	return m, nil
}

// decode turns an item back into a record.
func decode[T any](item map[string]types.AttributeValue, what string) (*T, error) {
	v := new(T)
	if err := attributevalue.UnmarshalMap(item, v); err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "decode "+what)
	}
	return v, nil
}

// get reads one item strongly consistently: one GetItem.
func get[T any](ctx context.Context, s *Store, what string, k key) (*T, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            k.av(),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, mapErr(err, "get "+what)
	}
	if out.Item == nil {
		return nil, notFound(what)
	}
	return decode[T](out.Item, what)
}

func notFound(what string) error {
	return switchboard.Errorf(switchboard.ENotFound, "%s not found", what)
}

// create stamps v (version 1, CreatedAt and UpdatedAt) and writes it only if
// no item has its key: one PutItem. An existing item is EConflict.
func create[T any](ctx context.Context, s *Store, r record[T], v *T) error {
	version, createdAt, updatedAt := r.meta(v)
	now := s.clock()
	if createdAt.IsZero() {
		*createdAt = now
	}
	*updatedAt = *createdAt
	*version = 1
	item, err := r.item(v)
	if err != nil {
		return err
	}
	return putNew(ctx, s, r.what, item)
}

// putNew writes item only if no item has its key: one PutItem. An existing
// item is EConflict.
func putNew(ctx context.Context, s *Store, what string, item map[string]types.AttributeValue) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	})
	if isConditionFailed(err) {
		return switchboard.Errorf(switchboard.EConflict, "%s already exists", what)
	}
	return mapErr(err, "create "+what)
}

// update is the optimistic read-apply-write loop behind every Update method:
// read the record, apply fn, write the result only if the version is still the
// one read, and on a lost race start over, at most s.maxAttempts times (then
// EConflict). Each round is one GetItem and one PutItem.
//
// visible, when set, hides records the caller may not see (ENotFound). fresh,
// when set, makes the update an upsert: a missing record starts as fresh() and
// is written only if it still does not exist. An error from fn aborts the
// update and is returned unchanged.
func update[T any](ctx context.Context, s *Store, r record[T], k key, visible func(*T) bool, fresh func() *T, fn func(*T) (*T, error)) (*T, error) {
	for attempt := 0; attempt < s.maxAttempts; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		cur, err := get[T](ctx, s, r.what, k)
		exists := err == nil
		switch {
		case err == nil:
			if visible != nil && !visible(cur) {
				return nil, notFound(r.what)
			}
		case fresh != nil && switchboard.ErrorCode(err) == switchboard.ENotFound:
			cur = fresh()
			v, c, u := r.meta(cur)
			*v, *c, *u = 0, s.clock(), s.clock()
		default:
			return nil, err
		}
		version, _, _ := r.meta(cur)
		old := *version
		ref := *cur // fn may modify cur in place; keep the identity it was read with
		next, err := fn(cur)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, switchboard.Errorf(switchboard.EInternal, "update of %s returned no %s", r.what, r.what)
		}
		r.keep(next, &ref)
		nv, _, nu := r.meta(next)
		*nv = old + 1
		*nu = s.clock()
		item, err := r.item(next)
		if err != nil {
			return nil, err
		}
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
		if exists {
			in.ConditionExpression = aws.String("#version = :version")
			in.ExpressionAttributeNames = map[string]string{"#version": "Version"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":version": &types.AttributeValueMemberN{Value: itoa(old)},
			}
		} else {
			in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
			in.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
		}
		_, err = s.client.PutItem(ctx, in)
		if isConditionFailed(err) {
			continue
		}
		if err != nil {
			return nil, mapErr(err, "update "+r.what)
		}
		return next, nil
	}
	return nil, switchboard.Errorf(switchboard.EConflict, "%s was changed concurrently %d times in a row; try again", r.what, s.maxAttempts)
}

// remove deletes the item at k if it exists and, when teamID is set, belongs
// to that team: one DeleteItem. Anything else is ENotFound.
func remove(ctx context.Context, s *Store, what string, k key, teamID string) error {
	in := &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.table),
		Key:                      k.av(),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	}
	if teamID != "" {
		in.ConditionExpression = aws.String("attribute_exists(#pk) AND #team = :team")
		in.ExpressionAttributeNames["#team"] = "TeamID"
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":team": &types.AttributeValueMemberS{Value: teamID}}
	}
	_, err := s.client.DeleteItem(ctx, in)
	if isConditionFailed(err) {
		return notFound(what)
	}
	return mapErr(err, "delete "+what)
}

// queryPage reads one page of a listing, in sort-key order, starting after
// start: one Query. It returns the raw items and the key to continue from (nil
// when DynamoDB says the listing is exhausted).
func queryPage(ctx context.Context, s *Store, l listing, start map[string]types.AttributeValue, limit int32, op string) ([]map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
	pkName, skName := attrPK, attrSK
	switch l.Index {
	case GSI1:
		pkName, skName = attrGSI1PK, attrGSI1SK
	case GSI2:
		pkName, skName = attrGSI2PK, attrGSI2SK
	}
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": pkName,
			"#sk": skName,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: l.PK},
			":prefix": &types.AttributeValueMemberS{Value: l.SKPrefix},
		},
		ExclusiveStartKey: start,
	}
	if l.Index != "" {
		in.IndexName = aws.String(l.Index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if l.NewestFirst {
		in.ScanIndexForward = aws.Bool(false)
	}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, nil, mapErr(err, op)
	}
	return out.Items, out.LastEvaluatedKey, nil
}

// page reads one page of a listing after cursor, decoded into T, and the cursor
// of the next page ("" at the end): one Query.
func page[T any](ctx context.Context, s *Store, l listing, cursor string, limit int, what, op string) ([]*T, string, error) {
	start, err := decodeCursor(cursor, l)
	if err != nil {
		return nil, "", err
	}
	items, last, err := queryPage(ctx, s, l, start, pageSize(limit), op)
	if err != nil {
		return nil, "", err
	}
	out := make([]*T, 0, len(items))
	for _, it := range items {
		v, err := decode[T](it, what)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, encodeCursor(last), nil
}

// queryAll reads a whole listing: one Query per megabyte of items, so one
// Query for the handful of channels, members or tokens a team has.
func queryAll[T any](ctx context.Context, s *Store, l listing, what, op string) ([]*T, error) {
	var all []*T
	var start map[string]types.AttributeValue
	for {
		items, last, err := queryPage(ctx, s, l, start, 0, op)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			v, err := decode[T](it, what)
			if err != nil {
				return nil, err
			}
			all = append(all, v)
		}
		if len(last) == 0 {
			return all, nil
		}
		start = last
	}
}
