package dynamo

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// This file is the bot step's storage, built like the router's: one read of
// everything a step needs (session, contact, conversation), one transaction
// that commits everything it changes together with its claim and its outbox,
// then the sends and their outcomes (outbox.go's statuses).

// BotStepClaimTTL is how long a bot step's claim is kept: longer than a
// message can stay on bot.fifo (four days), so every redelivery finds it.
const BotStepClaimTTL = 7 * 24 * time.Hour

var botSessionRecord = record[bot.Session]{
	what: "bot session",
	key:  func(s *bot.Session) key { return botSessionKey(s.TeamID, s.ConversationID) },
	meta: func(s *bot.Session) (*int64, *time.Time, *time.Time) { return &s.Version, &s.CreatedAt, &s.UpdatedAt },
	keep: func(next, cur *bot.Session) {
		next.TeamID, next.ConversationID, next.CreatedAt = cur.TeamID, cur.ConversationID, cur.CreatedAt
	},
}

// BotState is what a bot step reads before it decides.
type BotState struct {
	// Session is the conversation's session; a new one (version 0, only its
	// team and conversation set) when none is stored.
	Session *bot.Session
	// Contact and Conversation are nil when they do not exist.
	Contact      *switchboard.Contact
	Conversation *switchboard.Conversation
}

// LoadBotState reads a conversation's bot session, its contact and the
// conversation in one strongly consistent BatchGetItem.
func (s *Store) LoadBotState(ctx context.Context, teamID, conversationID, contactID string) (*BotState, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) || !validKeyPart(contactID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team, conversation or contact id is missing or malformed")
	}
	sk, ck, vk := botSessionKey(teamID, conversationID), contactKey(teamID, contactID), conversationKey(teamID, conversationID)
	found, err := s.batchGet(ctx, []key{sk, ck, vk}, "load bot state")
	if err != nil {
		return nil, err
	}
	st := &BotState{Session: &bot.Session{TeamID: teamID, ConversationID: conversationID}}
	if it, ok := found[sk]; ok {
		if st.Session, err = decode[bot.Session](it, "bot session"); err != nil {
			return nil, err
		}
	}
	if it, ok := found[ck]; ok {
		if st.Contact, err = decode[switchboard.Contact](it, "contact"); err != nil {
			return nil, err
		}
	}
	if it, ok := found[vk]; ok {
		if st.Conversation, err = decode[switchboard.Conversation](it, "conversation"); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// GetBotSession reads a conversation's bot session: one GetItem. A
// conversation without one is ENotFound.
func (s *Store) GetBotSession(ctx context.Context, teamID, conversationID string) (*bot.Session, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) {
		return nil, notFound("bot session")
	}
	return get[bot.Session](ctx, s, "bot session", botSessionKey(teamID, conversationID))
}

// BotOutbox is what a committed bot step still has to send, kept in its
// claim: a retry of the step sends what is left of it rather than deciding
// again, with the same message ids and so the same idempotency keys.
type BotOutbox struct {
	ChannelID      string `dynamodbav:"ChannelID"`
	PlatformUserID string `dynamodbav:"PlatformUserID"`
	ReplyToken     string `dynamodbav:"ReplyToken,omitempty"`
	// LastCustomerAt is when the customer last wrote, for the windows.
	LastCustomerAt time.Time `dynamodbav:"LastCustomerAt"`
	// MessageIDs are the stored messages, one per message of Messages.
	MessageIDs []string                      `dynamodbav:"MessageIDs"`
	Messages   []switchboard.OutboundMessage `dynamodbav:"Messages"`
}

// botClaimItem is the stored claim of a bot step.
type botClaimItem struct {
	ClaimedAt      time.Time  `dynamodbav:"ClaimedAt"`
	TeamID         string     `dynamodbav:"TeamID"`
	ConversationID string     `dynamodbav:"ConversationID"`
	Outbox         *BotOutbox `dynamodbav:"Outbox,omitempty"`
}

// BotStepWrite is everything one bot step changes, written at once by
// CommitBotStep.
type BotStepWrite struct {
	TeamID string
	// RequestID names the step (the bot request's id, or the delay timer's
	// firing id); with TeamID it is the claim (BotStepClaim).
	RequestID      string
	ConversationID string
	// Session is the session after the step; its Version is the version it
	// was read at (0 for a new one), which the write requires.
	Session *bot.Session
	// Contact and Conversation are the records as read and then changed, at
	// the version read; nil when the step leaves them alone.
	Contact      *switchboard.Contact
	Conversation *switchboard.Conversation
	// Messages are the outbound messages with status sending.
	Messages []*switchboard.Message
	// Outbox is what to send; it is kept in the claim.
	Outbox *BotOutbox
	// TagLogs record the tags the step applied.
	TagLogs []*switchboard.TagLog
	// Timer is a delay card's timer, armed with the commit.
	Timer *switchboard.Timer
}

// CommitBotStep writes w in one TransactWriteItems: the claim (only if
// absent, with the outbox), the session, contact and conversation (only if
// still at the version read), the messages, the tagging log and the timer.
// A claim that exists is ErrAlreadyProcessed: the step was committed before,
// and GetBotOutbox finds what it left to send. Any other failed condition is
// EConflict: read and decide again.
func (s *Store) CommitBotStep(ctx context.Context, w *BotStepWrite) error {
	items, err := s.botStepItems(w)
	if err != nil {
		return err
	}
	if len(items) > MaxTransactItems {
		return switchboard.Errorf(switchboard.EInternal, "bot step %s needs %d writes; a transaction takes at most %d", w.RequestID, len(items), MaxTransactItems)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons, ok := cancellationReasons(err)
	if !ok {
		return mapErr(err, "commit bot step")
	}
	if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return ErrAlreadyProcessed
	}
	if slices.Contains(reasons, "ConditionalCheckFailed") {
		return switchboard.Wrap(switchboard.EConflict, err, "the session, contact or conversation changed concurrently; decide again")
	}
	return transactErr(err, reasons, "commit bot step")
}

func (s *Store) botStepItems(w *BotStepWrite) ([]types.TransactWriteItem, error) {
	if !validKeyPart(w.TeamID) || !validKeyPart(w.ConversationID) || w.RequestID == "" || w.Session == nil {
		return nil, switchboard.Errorf(switchboard.EInvalid, "bot step write needs a team, conversation, request id and session")
	}
	now := s.clock()
	claim, err := attributevalue.MarshalMap(botClaimItem{ClaimedAt: now, TeamID: w.TeamID, ConversationID: w.ConversationID, Outbox: w.Outbox})
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode bot step claim")
	}
	ck := botStepClaimKey(w.TeamID, w.RequestID)
	claim[attrPK] = &types.AttributeValueMemberS{Value: ck.PK}
	claim[attrSK] = &types.AttributeValueMemberS{Value: ck.SK}
	claim[TTLAttribute] = &types.AttributeValueMemberN{Value: itoa(now.Add(BotStepClaimTTL).Unix())}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                aws.String(s.table),
		Item:                     claim,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	}}}

	sess := *w.Session
	if sess.TeamID != w.TeamID || sess.ConversationID != w.ConversationID {
		return nil, switchboard.Errorf(switchboard.EInvalid, "the session is not the session of conversation %s", w.ConversationID)
	}
	put, err := versionedPut(s, botSessionRecord, &sess, now)
	if err != nil {
		return nil, err
	}
	if !sess.ExpiresAt.IsZero() {
		put.Put.Item[TTLAttribute] = &types.AttributeValueMemberN{Value: itoa(sess.ExpiresAt.Unix())}
	}
	items = append(items, put)

	puts, err := s.conversationPuts(w.TeamID, w.ConversationID, w.Contact, w.Conversation, now)
	if err != nil {
		return nil, err
	}
	items = append(items, puts...)
	for _, m := range w.Messages {
		if m.TeamID != w.TeamID || m.ConversationID != w.ConversationID || !validKeyPart(m.ID) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "message %s does not belong to the step's conversation", m.ID)
		}
		item, err := messageRecord.item(m)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	for _, l := range w.TagLogs {
		if l.TeamID != w.TeamID || !validKeyPart(l.ContactID) || !validKeyPart(l.ID) || l.Tag == "" {
			return nil, switchboard.Errorf(switchboard.EInvalid, "tag log needs a team, contact, id and tag")
		}
		item, err := tagLogRecord.item(l)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	if w.Timer != nil {
		t := *w.Timer
		if t.TeamID != w.TeamID {
			return nil, switchboard.Errorf(switchboard.EInvalid, "timer %s is not a timer of team %s", t.ID, w.TeamID)
		}
		if err := s.normalizeTimer(&t); err != nil {
			return nil, err
		}
		item, err := timerRecord.item(&t)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	return items, nil
}

// BotOutboxState is what an earlier run of a bot step left behind.
type BotOutboxState struct {
	// Claimed reports whether the step was committed.
	Claimed bool
	Outbox  *BotOutbox
	// Status is each outbox message's delivery status (in MessageIDs order);
	// "" for a message that is not stored.
	Status []switchboard.DeliveryStatus
}

// GetBotOutbox reads a committed step's claim and the statuses of its
// messages: one GetItem and, when the step sent anything, one BatchGetItem.
func (s *Store) GetBotOutbox(ctx context.Context, teamID, requestID, conversationID string) (*BotOutboxState, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) || requestID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team, conversation or request id is missing or malformed")
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: botStepClaimKey(teamID, requestID).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, mapErr(err, "read bot step claim")
	}
	st := &BotOutboxState{}
	if out.Item == nil {
		return st, nil
	}
	st.Claimed = true
	var c botClaimItem
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "decode bot step claim")
	}
	st.Outbox = c.Outbox
	if c.Outbox == nil || len(c.Outbox.MessageIDs) == 0 {
		return st, nil
	}
	keys := make([]key, 0, len(c.Outbox.MessageIDs))
	for _, id := range c.Outbox.MessageIDs {
		if !validKeyPart(id) {
			return nil, switchboard.Errorf(switchboard.EInternal, "bot step claim holds a malformed message id")
		}
		keys = append(keys, messageKey(teamID, conversationID, id))
	}
	found, err := s.batchGet(ctx, keys, "read bot outbox")
	if err != nil {
		return nil, err
	}
	st.Status = make([]switchboard.DeliveryStatus, len(keys))
	for i, k := range keys {
		if it, ok := found[k]; ok {
			m, err := decode[switchboard.Message](it, "message")
			if err != nil {
				return nil, err
			}
			st.Status[i] = m.Status
		}
	}
	return st, nil
}

// MarkBotSent records that messages of one send went out: status sent, the
// platform's id of each (platformIDs[i] is refs[i]'s, where the platform
// returned one) and one pointer per platform id, so delivery statuses find
// them. It is one TransactWriteItems for the whole send. A message that is no
// longer sending fails the transaction; the messages are then marked one by
// one (MarkSent), each only if still sending.
func (s *Store) MarkBotSent(ctx context.Context, refs []MessageRef, channelID string, platformIDs []string) error {
	if len(refs) == 0 {
		return nil
	}
	if !validKeyPart(channelID) {
		return switchboard.Errorf(switchboard.EInvalid, "channel id is missing or malformed")
	}
	var items []types.TransactWriteItem
	for i, ref := range refs {
		u, err := s.statusUpdate(ref, switchboard.DeliverySent, "", []switchboard.DeliveryStatus{switchboard.DeliverySending})
		if err != nil {
			return err
		}
		pid := ""
		if i < len(platformIDs) {
			pid = platformIDs[i]
		}
		if pid != "" {
			*u.UpdateExpression += ", #pmid = :pmid"
			u.ExpressionAttributeNames["#pmid"] = "PlatformMessageID"
			u.ExpressionAttributeValues[":pmid"] = &types.AttributeValueMemberS{Value: pid}
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues,
		}})
		if pid == "" {
			continue
		}
		item, err := attributevalue.MarshalMap(pointerItem{MessageRef: ref, ChannelID: channelID, PlatformMessageID: pid})
		if err != nil {
			return switchboard.Wrap(switchboard.EInternal, err, "encode platform message pointer")
		}
		k := platformMessageKey(ref.TeamID, channelID, pid)
		item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
		item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	if len(items) > MaxTransactItems {
		return switchboard.Errorf(switchboard.EInternal, "a send of %d messages is too large to record at once", len(refs))
	}
	_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons, ok := cancellationReasons(err)
	if !ok || !slices.Contains(reasons, "ConditionalCheckFailed") {
		if ok {
			return transactErr(err, reasons, "mark bot messages sent")
		}
		return mapErr(err, "mark bot messages sent")
	}
	for i, ref := range refs {
		var ids []string
		if i < len(platformIDs) && platformIDs[i] != "" {
			ids = []string{platformIDs[i]}
		}
		if _, err := s.MarkSent(ctx, ref, channelID, ids); err != nil {
			return err
		}
	}
	return nil
}

// MarkBotFailed records that messages could not be sent, with the reason:
// one conditional UpdateItem each, applied only to messages still sending.
func (s *Store) MarkBotFailed(ctx context.Context, refs []MessageRef, reason string) error {
	for _, ref := range refs {
		if _, err := s.MarkFailed(ctx, ref, reason); err != nil {
			return err
		}
	}
	return nil
}
