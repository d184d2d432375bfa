package dynamo

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/keyword"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// This file is the router's storage: one read of everything an inbound event
// needs (the contact and its conversation) and one transaction that writes
// everything the event changes, claim included. See outbox.go for what happens
// after the commit.

// MaxTransactItems is DynamoDB's limit on the items of one TransactWriteItems.
const MaxTransactItems = 100

// ErrAlreadyProcessed is what ApplyInbound returns when the event's claim
// exists: the event was committed before, by this or an earlier delivery. The
// router then finishes that earlier run's work (GetOutbox) instead of doing it
// again. Its code is EConflict, so a caller that does not handle it retries.
var ErrAlreadyProcessed = &switchboard.Error{Code: switchboard.EConflict, Message: "event already processed"}

// ErrAssigneeUnavailable is what ApplyInbound returns when the member the
// event assigns the conversation to is no longer active and online in the
// store. The router picks assignees from a member list it caches for
// seconds, so a member deactivated or gone offline meanwhile is caught here;
// it then reads the members again and decides again. Its code is EConflict.
var ErrAssigneeUnavailable = &switchboard.Error{Code: switchboard.EConflict, Message: "the assignee is no longer active and online"}

// MessageRef names one stored message.
type MessageRef struct {
	TeamID         string `dynamodbav:"TeamID"`
	ConversationID string `dynamodbav:"ConversationID"`
	MessageID      string `dynamodbav:"MessageID"`
}

// InboundWrite is everything one inbound event changes, written at once by
// ApplyInbound.
type InboundWrite struct {
	TeamID    string
	ChannelID string
	// EventID is the platform's event id; with ChannelID it is the claim
	// (InboundClaim) that makes a redelivery change nothing.
	EventID        string
	ConversationID string
	// Bot is the bot request the event produced, kept with the claim so that a
	// retry after a failed publish can publish it again.
	Bot *switchboard.BotRequest
	// Contact and Conversation are the records as read and then changed, or
	// nil when the event leaves them alone. Their Version is the version that
	// was read (0 for a record that did not exist): the write succeeds only if
	// the stored record is still that version, and stores version+1.
	Contact      *switchboard.Contact
	Conversation *switchboard.Conversation
	// Messages are new messages: the customer's, and the outbound replies with
	// status sending (the outbox).
	Messages []*switchboard.Message
	// ReadMarks are outbound messages that the customer has now read (LINE has
	// no read receipts, 001:L1338); each moves from sent or received to read.
	ReadMarks []MessageRef
	// Triggers are the rule firings to count (001:L4017).
	Triggers []keyword.Trigger
	// AssignStates are the assignment states that the event's assignment
	// advanced, each written only if still at the version read.
	AssignStates []*AssignState
	// TagLogs record the tags the event put on the contact (004), in the
	// contact's partition.
	TagLogs []*switchboard.TagLog
	// Assignee is the member the event assigns the conversation to, if any:
	// the write then also checks that the stored member is still active and
	// not offline (ErrAssigneeUnavailable otherwise).
	Assignee string
}

// ItemCount is how many items ApplyInbound writes for w, which must stay
// within MaxTransactItems.
func (w *InboundWrite) ItemCount() int {
	n := 1 + len(w.Messages) + len(w.ReadMarks) + len(w.AssignStates) + len(w.TagLogs)
	if w.Assignee != "" {
		n++
	}
	if w.Contact != nil {
		n++
	}
	if w.Conversation != nil {
		n++
	}
	type counter struct{ kind, scope, id string }
	seen := map[counter]bool{}
	for _, t := range w.Triggers {
		for _, c := range []counter{{string(t.Kind), ScopeRule, t.RuleID}, {string(t.Kind), ScopeGroup, t.GroupID}, {string(t.Kind), ScopeChannel, t.ChannelID}} {
			if !seen[c] {
				seen[c] = true
				n++
			}
		}
	}
	return n
}

// claimItem is the stored claim of one inbound event.
type claimItem struct {
	ClaimedAt      time.Time               `dynamodbav:"ClaimedAt"`
	TeamID         string                  `dynamodbav:"TeamID"`
	ConversationID string                  `dynamodbav:"ConversationID"`
	Bot            *switchboard.BotRequest `dynamodbav:"Bot,omitempty"`
}

// LoadInbound reads a contact and the conversation of the same id (the router
// keeps one conversation per contact) in one strongly consistent BatchGetItem.
// Either is nil when it does not exist yet.
func (s *Store) LoadInbound(ctx context.Context, teamID, contactID string) (*switchboard.Contact, *switchboard.Conversation, error) {
	if !validKeyPart(teamID) || !validKeyPart(contactID) {
		return nil, nil, switchboard.Errorf(switchboard.EInvalid, "team id or contact id is missing or malformed")
	}
	ck, vk := contactKey(teamID, contactID), conversationKey(teamID, contactID)
	items, err := s.batchGet(ctx, []key{ck, vk}, "load contact and conversation")
	if err != nil {
		return nil, nil, err
	}
	var (
		contact *switchboard.Contact
		conv    *switchboard.Conversation
	)
	if it, ok := items[ck]; ok {
		if contact, err = decode[switchboard.Contact](it, "contact"); err != nil {
			return nil, nil, err
		}
	}
	if it, ok := items[vk]; ok {
		if conv, err = decode[switchboard.Conversation](it, "conversation"); err != nil {
			return nil, nil, err
		}
	}
	return contact, conv, nil
}

// ApplyInbound writes w in one TransactWriteItems: the claim (only if absent),
// the contact and the conversation (only if still at the version read), the new
// messages, the read marks, the trigger counters (ADD) and the assignment
// states. Nothing is written unless everything is.
//
// A claim that exists is ErrAlreadyProcessed. Any other failed condition (a
// concurrent change of the contact, the conversation, an assignment state or
// a marked message) is EConflict: re-read and decide again. Transactions
// colliding on the same items, and throttling, are EUnavailable.
func (s *Store) ApplyInbound(ctx context.Context, w *InboundWrite) error {
	items, err := s.inboundItems(w)
	if err != nil {
		return err
	}
	if len(items) > MaxTransactItems {
		return switchboard.Errorf(switchboard.EInternal, "inbound event %s needs %d writes; a transaction takes at most %d", w.EventID, len(items), MaxTransactItems)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	reasons, ok := cancellationReasons(err)
	if !ok {
		return mapErr(err, "apply inbound event")
	}
	if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return ErrAlreadyProcessed
	}
	if w.Assignee != "" && len(reasons) == len(items) && reasons[len(reasons)-1] == "ConditionalCheckFailed" {
		return ErrAssigneeUnavailable
	}
	for _, r := range reasons {
		if r == "ConditionalCheckFailed" {
			return switchboard.Wrap(switchboard.EConflict, err, "the contact or conversation changed concurrently; decide again")
		}
	}
	for _, r := range reasons {
		if r == "ValidationError" {
			return switchboard.Wrap(switchboard.EInternal, err, "apply inbound event: a write was refused")
		}
		if r == "ItemCollectionSizeLimitExceeded" {
			return switchboard.Wrap(switchboard.ETooLarge, err, "apply inbound event: too much data under one key")
		}
	}
	return switchboard.Wrap(switchboard.EUnavailable, err, "apply inbound event: the transaction collided with another; retry")
}

// inboundItems builds the transaction of ApplyInbound; the claim comes first,
// so its index in the cancellation reasons is 0, and the assignee's check
// last.
func (s *Store) inboundItems(w *InboundWrite) ([]types.TransactWriteItem, error) {
	if !validKeyPart(w.TeamID) || !validKeyPart(w.ChannelID) || !validKeyPart(w.ConversationID) || w.EventID == "" {
		return nil, switchboard.Errorf(switchboard.EInvalid, "inbound write needs a team, channel, conversation and event id")
	}
	now := s.clock()
	claim, err := attributevalue.MarshalMap(claimItem{ClaimedAt: now, TeamID: w.TeamID, ConversationID: w.ConversationID, Bot: w.Bot})
	if err != nil {
		return nil, switchboard.Wrap(switchboard.EInternal, err, "encode inbound claim")
	}
	ck := inboundClaimKey(w.ChannelID, w.EventID)
	claim[attrPK] = &types.AttributeValueMemberS{Value: ck.PK}
	claim[attrSK] = &types.AttributeValueMemberS{Value: ck.SK}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName:                aws.String(s.table),
		Item:                     claim,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
	}}}
	puts, err := s.conversationPuts(w.TeamID, w.ConversationID, w.Contact, w.Conversation, now)
	if err != nil {
		return nil, err
	}
	items = append(items, puts...)
	for _, m := range w.Messages {
		if m.TeamID != w.TeamID || m.ConversationID != w.ConversationID || !validKeyPart(m.ID) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "message %s does not belong to the event's conversation", m.ID)
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		item, err := messageRecord.item(m)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	for _, r := range w.ReadMarks {
		u, err := s.statusUpdate(r, switchboard.DeliveryRead, "", []switchboard.DeliveryStatus{switchboard.DeliverySent, switchboard.DeliveryReceived})
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 u.TableName,
			Key:                       u.Key,
			UpdateExpression:          u.UpdateExpression,
			ConditionExpression:       u.ConditionExpression,
			ExpressionAttributeNames:  u.ExpressionAttributeNames,
			ExpressionAttributeValues: u.ExpressionAttributeValues,
		}})
	}
	for _, l := range w.TagLogs {
		if l.TeamID != w.TeamID || w.Contact == nil || l.ContactID != w.Contact.ID || !validKeyPart(l.ID) || l.Tag == "" {
			return nil, switchboard.Errorf(switchboard.EInvalid, "tag log %s is not a log of the event's contact", l.ID)
		}
		item, err := tagLogRecord.item(l)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	}
	counters, err := s.counterUpdates(w.TeamID, w.ConversationID, w.Triggers)
	if err != nil {
		return nil, err
	}
	items = append(items, counters...)
	for _, a := range w.AssignStates {
		put, err := s.assignStatePut(w.TeamID, a)
		if err != nil {
			return nil, err
		}
		items = append(items, put)
	}
	if w.Assignee != "" {
		if !validKeyPart(w.Assignee) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "assignee id %q is malformed", w.Assignee)
		}
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                aws.String(s.table),
			Key:                      memberKey(w.TeamID, w.Assignee).av(),
			ConditionExpression:      aws.String("#active = :true AND #status <> :offline"),
			ExpressionAttributeNames: map[string]string{"#active": "Active", "#status": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":true":    &types.AttributeValueMemberBOOL{Value: true},
				":offline": &types.AttributeValueMemberS{Value: string(switchboard.MemberOffline)},
			},
		}})
	}
	return items, nil
}

// versionedPut stamps a copy of a record read at some version (0: absent) with
// the next version and writes it only if the stored record is still at the
// version read.
func versionedPut[T any](s *Store, r record[T], v *T, now time.Time) (types.TransactWriteItem, error) {
	version, createdAt, updatedAt := r.meta(v)
	old := *version
	if createdAt.IsZero() {
		*createdAt = now
	}
	*version, *updatedAt = old+1, now
	item, err := r.item(v)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	put := &types.Put{TableName: aws.String(s.table), Item: item}
	if old == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		put.ConditionExpression = aws.String("#version = :version")
		put.ExpressionAttributeNames = map[string]string{"#version": "Version"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":version": &types.AttributeValueMemberN{Value: itoa(old)}}
	}
	return types.TransactWriteItem{Put: put}, nil
}

// reasonsRE reads the cancellation codes out of the exception's message, for
// servers (DynamoDB Local among them) that leave CancellationReasons empty:
// "Transaction cancelled, please refer cancellation reasons for specific
// reasons [ConditionalCheckFailed, None]".
var reasonsRE = regexp.MustCompile(`\[([A-Za-z, ]*)\]\s*$`)

// cancellationReasons returns the per-item codes of a cancelled transaction,
// in the order of its items, and whether err is a cancelled transaction.
func cancellationReasons(err error) ([]string, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	var out []string
	for _, r := range tce.CancellationReasons {
		out = append(out, aws.ToString(r.Code))
	}
	if len(out) > 0 {
		return out, true
	}
	if m := reasonsRE.FindStringSubmatch(tce.ErrorMessage()); m != nil {
		for _, p := range strings.Split(m[1], ",") {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out, true
}

// RecentMessages returns up to limit of a conversation's newest messages,
// newest first: one strongly consistent Query read backwards.
func (s *Store) RecentMessages(ctx context.Context, teamID, conversationID string, limit int) ([]*switchboard.Message, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) {
		return nil, nil
	}
	l := recentMessagesOfConversation(teamID, conversationID)
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK,
			"#sk": attrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: l.PK},
			":prefix": &types.AttributeValueMemberS{Value: l.SKPrefix},
		},
		ScanIndexForward: aws.Bool(false),
		ConsistentRead:   aws.Bool(true),
		Limit:            aws.Int32(pageSize(limit)),
	})
	if err != nil {
		return nil, mapErr(err, "list recent messages")
	}
	msgs := make([]*switchboard.Message, 0, len(out.Items))
	for _, it := range out.Items {
		m, err := decode[switchboard.Message](it, "message")
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// batchGet reads keys strongly consistently with BatchGetItem, asking again
// for keys DynamoDB leaves unprocessed (at most s.maxAttempts rounds), and
// returns the items found by key.
func (s *Store) batchGet(ctx context.Context, keys []key, op string) (map[key]map[string]types.AttributeValue, error) {
	found := make(map[key]map[string]types.AttributeValue, len(keys))
	if len(keys) == 0 {
		return found, nil
	}
	seen := map[key]bool{}
	req := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			req = append(req, k.av())
		}
	}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt >= s.maxAttempts {
			return nil, switchboard.Errorf(switchboard.EUnavailable, "%s: storage kept %d keys unprocessed; retry later", op, len(req))
		}
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{s.table: {Keys: req, ConsistentRead: aws.Bool(true)}},
		})
		if err != nil {
			return nil, mapErr(err, op)
		}
		for _, it := range out.Responses[s.table] {
			pk, _ := it[attrPK].(*types.AttributeValueMemberS)
			sk, _ := it[attrSK].(*types.AttributeValueMemberS)
			if pk == nil || sk == nil {
				return nil, switchboard.Errorf(switchboard.EInternal, "%s: an item came back without its keys", op)
			}
			found[key{pk.Value, sk.Value}] = it
		}
		req = out.UnprocessedKeys[s.table].Keys
	}
	return found, nil
}

// conversationPuts returns the versioned puts of the contact and conversation
// one step changed (router event or bot step), after checking they belong to
// the step's team and conversation. Either may be nil: not changed.
func (s *Store) conversationPuts(teamID, conversationID string, contact *switchboard.Contact, conv *switchboard.Conversation, now time.Time) ([]types.TransactWriteItem, error) {
	var items []types.TransactWriteItem
	if contact != nil {
		c := *contact
		if c.TeamID != teamID || !validKeyPart(c.ID) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "contact %s is not a contact of team %s", c.ID, teamID)
		}
		put, err := versionedPut(s, contactRecord, &c, now)
		if err != nil {
			return nil, err
		}
		items = append(items, put)
	}
	if conv != nil {
		c := *conv
		if c.TeamID != teamID || c.ID != conversationID {
			return nil, switchboard.Errorf(switchboard.EInvalid, "conversation %s is not the conversation %s of this step", c.ID, conversationID)
		}
		put, err := versionedPut(s, conversationRecord, &c, now)
		if err != nil {
			return nil, err
		}
		items = append(items, put)
	}
	return items, nil
}
