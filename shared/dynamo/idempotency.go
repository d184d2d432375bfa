package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Claim records key and reports true the first time: one conditional PutItem.
// With ttl > 0 the claim lapses after ttl (rounded up to the whole second the
// TTL attribute holds) and the key can be claimed again; ttl 0 claims forever.
// DynamoDB deletes expired items only eventually, so an item whose expiresAt
// has passed counts as absent here.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if key == "" {
		return false, switchboard.Errorf(switchboard.EInvalid, "idempotency key is empty")
	}
	if ttl < 0 {
		return false, switchboard.Errorf(switchboard.EInvalid, "idempotency ttl is negative")
	}
	now := s.clock()
	k := idempotencyKey(key)
	item := k.av()
	item["ClaimedAt"] = &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)}
	if ttl > 0 {
		exp := now.Add(ttl)
		secs := exp.Unix()
		if exp.After(time.Unix(secs, 0)) {
			secs++ // round up: a claim never lapses before its ttl
		}
		item[TTLAttribute] = &types.AttributeValueMemberN{Value: itoa(secs)}
	}
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #exp <= :now"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: itoa(now.Unix())},
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err, "claim idempotency key")
	}
	return true, nil
}
