package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// BatchAPI is the part of the DynamoDB client that writes many items in one
// request. It is separate from API so the fakes of the older tests need not
// grow; the SDK client implements both, and the methods that need it say so.
type BatchAPI interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ BatchAPI = (*dynamodb.Client)(nil)

// MaxBatchWrite is the most items one BatchWriteItem takes.
const MaxBatchWrite = 25

// maxBatchRounds bounds how often items DynamoDB left unprocessed (throttled)
// are sent again before the write fails with EUnavailable.
const maxBatchRounds = 8

// batcher returns the client's batch operations, or EInternal when the client
// given to New lacks them (a test fake).
func (s *Store) batcher() (BatchAPI, error) {
	b, ok := s.client.(BatchAPI)
	if !ok {
		return nil, switchboard.Errorf(switchboard.EInternal, "the DynamoDB client does not support batch writes")
	}
	return b, nil
}

// batchWrite applies puts and deletes (no two on one key) in requests of at
// most MaxBatchWrite items, sending unprocessed items again with backoff. Each
// item is one write; the request count is ceil(n/25) when nothing is throttled.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest, op string) error {
	if len(reqs) == 0 {
		return nil
	}
	b, err := s.batcher()
	if err != nil {
		return err
	}
	for start := 0; start < len(reqs); start += MaxBatchWrite {
		pending := reqs[start:min(start+MaxBatchWrite, len(reqs))]
		for round := 0; len(pending) > 0; round++ {
			if round >= maxBatchRounds {
				return switchboard.Errorf(switchboard.EUnavailable, "%s: %d items stayed unprocessed; retry later", op, len(pending))
			}
			if round > 0 {
				if err := backoff(ctx, round); err != nil {
					return err
				}
			}
			out, err := b.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems: map[string][]types.WriteRequest{s.table: pending},
			})
			if err != nil {
				return mapErr(err, op)
			}
			pending = out.UnprocessedItems[s.table]
		}
	}
	return nil
}

func putRequest(item map[string]types.AttributeValue) types.WriteRequest {
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
}

func deleteRequest(k key) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.av()}}
}

// rangeListing is a Query of one partition between two sort keys (both
// inclusive), for the records keyed by time.
type rangeListing struct {
	PK       string
	From, To string
}

// queryRange reads every item of a range listing, strongly consistently, in
// sort-key order: one Query per megabyte.
func queryRange[T any](ctx context.Context, s *Store, l rangeListing, what, op string) ([]*T, error) {
	var all []*T
	var start map[string]types.AttributeValue
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			KeyConditionExpression: aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
			ExpressionAttributeNames: map[string]string{
				"#pk": attrPK,
				"#sk": attrSK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: l.PK},
				":from": &types.AttributeValueMemberS{Value: l.From},
				":to":   &types.AttributeValueMemberS{Value: l.To},
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, mapErr(err, op)
		}
		for _, it := range out.Items {
			v, err := decode[T](it, what)
			if err != nil {
				return nil, err
			}
			all = append(all, v)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return all, nil
		}
		start = out.LastEvaluatedKey
	}
}

// attributevalueMarshal encodes v as an item's attributes (keys not included).
func attributevalueMarshal(v any, what string) (map[string]types.AttributeValue, error) {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode "+what)
	}
	return m, nil
}

// asErr is errors.As, named so call sites read as the condition they test.
func asErr(err error, target any) bool { return err != nil && errors.As(err, target) }
