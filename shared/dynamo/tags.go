package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// A contact's tagging log (004: which tag, when, on which channel and how)
// is kept beside the contact, in its partition, one item per tagging, so the
// contact item itself stays small however often it is tagged.

var tagLogRecord = record[switchboard.TagLog]{
	what: "tag log",
	key:  func(l *switchboard.TagLog) key { return tagLogKey(l.TeamID, l.ContactID, l.ID) },
}

// AddTagLogs writes tagging records: one BatchWriteItem per 25. Each record
// needs a ULID id (switchboard.NewID), which orders the log.
func (s *Store) AddTagLogs(ctx context.Context, logs []*switchboard.TagLog) error {
	reqs := make([]types.WriteRequest, 0, len(logs))
	for _, l := range logs {
		if !validKeyPart(l.TeamID) || !validKeyPart(l.ContactID) || !validKeyPart(l.ID) || l.Tag == "" {
			return switchboard.Errorf(switchboard.EInvalid, "tag log needs a team, contact, id and tag")
		}
		item, err := tagLogRecord.item(l)
		if err != nil {
			return err
		}
		reqs = append(reqs, putRequest(item))
	}
	return s.batchWrite(ctx, reqs, "add tag logs")
}

// ListTagLogs returns one page of a contact's tagging log, newest first, and
// the cursor of the next page: one strongly consistent Query read backwards.
func (s *Store) ListTagLogs(ctx context.Context, teamID, contactID, cursor string, limit int) ([]*switchboard.TagLog, string, error) {
	if !validKeyPart(teamID) || !validKeyPart(contactID) {
		return nil, "", nil
	}
	l := tagLogsOfContact(teamID, contactID)
	l.NewestFirst = true
	return page[switchboard.TagLog](ctx, s, l, cursor, limit, "tag log", "list tag logs")
}

// DeleteTagLogs deletes every record of one tag from a contact's log, as
// removing the tag does (004): one Query per megabyte of the log, filtered
// to the tag, and one BatchWriteItem per 25 records. It returns how many it
// deleted.
func (s *Store) DeleteTagLogs(ctx context.Context, teamID, contactID, tag string) (int, error) {
	if !validKeyPart(teamID) || !validKeyPart(contactID) || tag == "" {
		return 0, nil
	}
	l := tagLogsOfContact(teamID, contactID)
	var reqs []types.WriteRequest
	var start map[string]types.AttributeValue
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
			FilterExpression:       aws.String("#tag = :tag"),
			ProjectionExpression:   aws.String("#pk, #sk"),
			ExpressionAttributeNames: map[string]string{
				"#pk": attrPK, "#sk": attrSK, "#tag": "Tag",
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: l.PK},
				":prefix": &types.AttributeValueMemberS{Value: l.SKPrefix},
				":tag":    &types.AttributeValueMemberS{Value: tag},
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return 0, mapErr(err, "find tag logs")
		}
		for _, it := range out.Items {
			if sk, ok := it[attrSK].(*types.AttributeValueMemberS); ok {
				reqs = append(reqs, deleteRequest(key{l.PK, sk.Value}))
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if err := s.batchWrite(ctx, reqs, "delete tag logs"); err != nil {
		return 0, err
	}
	return len(reqs), nil
}
