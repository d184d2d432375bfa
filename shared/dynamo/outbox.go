package dynamo

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The outbox: the router commits an event's replies as messages with status
// sending, sends them, then records each outcome here. A message still sending
// after a crash is found again through its event (GetOutbox) and sent again with
// the same idempotency key.

// Outbox is what an event that was already committed left behind.
type Outbox struct {
	// Claimed reports whether the event's claim exists at all.
	Claimed bool
	// Bot is the bot request the event produced, if any.
	Bot *switchboard.BotRequest
	// Messages are the event's messages that exist among the ids asked for,
	// in the order asked.
	Messages []*switchboard.Message
}

// GetOutbox reads an event's claim and its messages by their ids (the router
// derives them from the event) in one strongly consistent BatchGetItem.
func (s *Store) GetOutbox(ctx context.Context, teamID, channelID, eventID, conversationID string, messageIDs []string) (*Outbox, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) || channelID == "" || eventID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team, channel, event or conversation id is missing or malformed")
	}
	ck := inboundClaimKey(channelID, eventID)
	keys := []key{ck}
	for _, id := range messageIDs {
		if validKeyPart(id) {
			keys = append(keys, messageKey(teamID, conversationID, id))
		}
	}
	found, err := s.batchGet(ctx, keys, "read outbox")
	if err != nil {
		return nil, err
	}
	out := &Outbox{}
	if it, ok := found[ck]; ok {
		out.Claimed = true
		var c claimItem
		if err := attributevalue.UnmarshalMap(it, &c); err != nil {
			return nil, switchboard.Wrap(switchboard.EInternal, err, "decode inbound claim")
		}
		out.Bot = c.Bot
	}
	for _, k := range keys[1:] {
		if it, ok := found[k]; ok {
			m, err := decode[switchboard.Message](it, "message")
			if err != nil {
				return nil, err
			}
			out.Messages = append(out.Messages, m)
		}
	}
	return out, nil
}

// pointerItem is the stored pointer from a platform message id to ours.
type pointerItem struct {
	MessageRef
	ChannelID         string `dynamodbav:"ChannelID"`
	PlatformMessageID string `dynamodbav:"PlatformMessageID"`
}

// MarkSent records that an outbound message went out: status sent, the
// platform's id of it, and one pointer per platform id so delivery statuses
// find the message. It is one UpdateItem, or one TransactWriteItems (message
// and pointers together) when the platform returned ids. It applies only to a
// message still sending and reports whether it did; a message that moved on
// meanwhile is left as it is.
func (s *Store) MarkSent(ctx context.Context, ref MessageRef, channelID string, platformIDs []string) (bool, error) {
	var pid string
	if len(platformIDs) > 0 {
		pid = platformIDs[0]
	}
	u, err := s.statusUpdate(ref, switchboard.DeliverySent, "", []switchboard.DeliveryStatus{switchboard.DeliverySending})
	if err != nil {
		return false, err
	}
	if pid != "" {
		*u.UpdateExpression += ", #pmid = :pmid"
		u.ExpressionAttributeNames["#pmid"] = "PlatformMessageID"
		u.ExpressionAttributeValues[":pmid"] = &types.AttributeValueMemberS{Value: pid}
	}
	if len(platformIDs) == 0 {
		_, err := s.client.UpdateItem(ctx, u)
		if isConditionFailed(err) {
			return false, nil
		}
		return err == nil, mapErr(err, "mark message sent")
	}
	if !validKeyPart(channelID) {
		return false, switchboard.Errorf(switchboard.EInvalid, "channel id is missing or malformed")
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 u.TableName,
		Key:                       u.Key,
		UpdateExpression:          u.UpdateExpression,
		ConditionExpression:       u.ConditionExpression,
		ExpressionAttributeNames:  u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues,
	}}}
	seen := map[string]bool{}
	for _, p := range platformIDs {
		if p == "" || seen[p] || len(items) >= MaxTransactItems {
			continue
		}
		seen[p] = true
		item, err := attributevalue.MarshalMap(pointerItem{MessageRef: ref, ChannelID: channelID, PlatformMessageID: p})
		if err != nil {
			return false, switchboard.Wrap(switchboard.EInternal, err, "encode platform message pointer")
		}
		k := platformMessageKey(ref.TeamID, channelID, p)
		item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
		item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons, ok := cancellationReasons(err); ok && len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return false, nil
	}
	return err == nil, mapErr(err, "mark message sent")
}

// MarkFailed records that an outbound message could not be sent, with the
// reason the platform gave: one UpdateItem, applied only to a message still
// sending.
func (s *Store) MarkFailed(ctx context.Context, ref MessageRef, reason string) (bool, error) {
	u, err := s.statusUpdate(ref, switchboard.DeliveryFailed, reason, []switchboard.DeliveryStatus{switchboard.DeliverySending})
	if err != nil {
		return false, err
	}
	_, err = s.client.UpdateItem(ctx, u)
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, mapErr(err, "mark message failed")
}

// FindPlatformMessages returns our messages that the platform knows by ids, in
// one BatchGetItem of their pointers; ids with no pointer (messages that were
// not sent by Switchboard, or whose send is not recorded yet) are left out.
func (s *Store) FindPlatformMessages(ctx context.Context, teamID, channelID string, platformIDs []string) ([]MessageRef, error) {
	if !validKeyPart(teamID) || !validKeyPart(channelID) {
		return nil, nil
	}
	var keys []key
	for _, p := range platformIDs {
		if p != "" {
			keys = append(keys, platformMessageKey(teamID, channelID, p))
		}
	}
	var refs []MessageRef
	for start := 0; start < len(keys); start += 100 { // BatchGetItem takes 100 keys
		found, err := s.batchGet(ctx, keys[start:min(start+100, len(keys))], "find platform messages")
		if err != nil {
			return nil, err
		}
		for _, k := range keys[start:min(start+100, len(keys))] {
			it, ok := found[k]
			if !ok {
				continue
			}
			var p pointerItem
			if err := attributevalue.UnmarshalMap(it, &p); err != nil {
				return nil, switchboard.Wrap(switchboard.EInternal, err, "decode platform message pointer")
			}
			if p.TeamID == teamID {
				refs = append(refs, p.MessageRef)
			}
		}
	}
	return refs, nil
}

// AdvanceStatus sets a message's delivery status to to (with reason, for
// failed) only if its status is one of from, and reports whether it did: one
// conditional UpdateItem. The caller decides which moves are allowed; a message
// already further along is left alone, which makes repeated and out-of-order
// statuses harmless.
func (s *Store) AdvanceStatus(ctx context.Context, ref MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (bool, error) {
	if len(from) == 0 {
		return false, nil
	}
	u, err := s.statusUpdate(ref, to, reason, from)
	if err != nil {
		return false, err
	}
	_, err = s.client.UpdateItem(ctx, u)
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, mapErr(err, "update message status")
}

// statusUpdate builds the conditional update that moves a message's status
// from one of from to to.
func (s *Store) statusUpdate(ref MessageRef, to switchboard.DeliveryStatus, reason string, from []switchboard.DeliveryStatus) (*dynamodb.UpdateItemInput, error) {
	if !validKeyPart(ref.TeamID) || !validKeyPart(ref.ConversationID) || !validKeyPart(ref.MessageID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "message reference is missing or malformed")
	}
	names := map[string]string{"#st": "Status"}
	values := map[string]types.AttributeValue{":to": &types.AttributeValueMemberS{Value: string(to)}}
	update := "SET #st = :to"
	if to == switchboard.DeliveryFailed {
		update += ", #reason = :reason"
		names["#reason"] = "FailureReason"
		values[":reason"] = &types.AttributeValueMemberS{Value: reason}
	}
	cond := "#st IN ("
	for i, f := range from {
		p := ":from" + strconv.Itoa(i)
		if i > 0 {
			cond += ", "
		}
		cond += p
		values[p] = &types.AttributeValueMemberS{Value: string(f)}
	}
	cond += ")"
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       messageKey(ref.TeamID, ref.ConversationID, ref.MessageID).av(),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}, nil
}
