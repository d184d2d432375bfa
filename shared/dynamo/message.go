package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var messageRecord = record[switchboard.Message]{
	what: "message",
	key:  func(m *switchboard.Message) key { return messageKey(m.TeamID, m.ConversationID, m.ID) },
}

// PutMessage writes a message, replacing any earlier version of it (a delivery
// status update, or the same inbound event redelivered): one PutItem. The id
// must be a ULID (switchboard.NewID), which is what orders ListMessages.
func (s *Store) PutMessage(ctx context.Context, m *switchboard.Message) error {
	if !validKeyPart(m.ID) || !validKeyPart(m.TeamID) || !validKeyPart(m.ConversationID) {
		return switchboard.Errorf(switchboard.EInvalid, "message id, team id or conversation id is missing or malformed")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.clock()
	}
	item, err := messageRecord.item(m)
	if err != nil {
		return err
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return mapErr(err, "put message")
}

// ListMessages returns one page of a conversation's messages, oldest first:
// one strongly consistent Query. The cursor continues after the last message
// returned; "" means there are no more (a page may come back full with a cursor
// that then yields nothing).
func (s *Store) ListMessages(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) {
		return nil, "", nil
	}
	return page[switchboard.Message](ctx, s, messagesOfConversation(teamID, conversationID), cursor, limit, "message", "list messages")
}
