package dynamo

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// This file is the inbox's storage: the conversation lists (views) of a team,
// read through GSI1 (one partition per view) and GSI2 (one per follower),
// with the collaboration entries that complete a member's own list; the
// newest-first message pages; contact edits; and deleting a conversation's
// history.

// Bounds of one ListConversations call: it reads at most maxViewQueries
// Query pages, each evaluating at most maxViewPage items, however few of
// them pass the filters, then answers with what it found and a cursor.
const (
	maxViewQueries = 4
	maxViewPage    = 250
	// maxCollaborations bounds the collaboration entries a member's list
	// reads (one Query); a member is rarely in more than a handful.
	maxCollaborations = 500
)

// views maps the stored views to the status their conversations have.
var views = map[string]switchboard.ConversationStatus{
	switchboard.ViewPendingHuman: switchboard.StatusPending,
	switchboard.ViewPendingBot:   switchboard.StatusPending,
	switchboard.ViewInProgress:   switchboard.StatusInProgress,
	switchboard.ViewClosed:       switchboard.StatusClosed,
}

// zeroTime is how the zero time.Time is stored, so a filter can tell a
// conversation the customer never wrote in.
var zeroTime = mustMarshal(time.Time{})

func mustMarshal(v any) types.AttributeValue {
	av, err := attributevalue.Marshal(v)
	if err != nil {
		panic("dynamo: marshal constant: " + err.Error()) // only constants reach here
	}
	return av
}

// encodePosition and decodePosition turn a conversation position into the
// opaque cursor the API hands out, and back, checking its shape: a cursor
// cannot name another team's partition, since the partition comes from the
// caller's team, but a malformed one is refused as EInvalid.
func encodePosition(pos string) string {
	if pos == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

func decodePosition(cursor string) (pos, id string, err error) {
	if cursor == "" {
		return "", "", nil
	}
	bad := switchboard.Errorf(switchboard.EInvalid, "cursor is not one this listing returned")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", "", bad
	}
	at, id, ok := strings.Cut(string(b), "#")
	if !ok || !validKeyPart(id) {
		return "", "", bad
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000000000Z", at); err != nil {
		return "", "", bad
	}
	return string(b), id, nil
}

// conversationFilter builds the FilterExpression of q's filters; empty when
// q has none.
func conversationFilter(q switchboard.ConversationQuery, names map[string]string, values map[string]types.AttributeValue) string {
	var parts []string
	if q.ChannelID != "" {
		names["#ch"] = "ChannelID"
		values[":ch"] = &types.AttributeValueMemberS{Value: q.ChannelID}
		parts = append(parts, "#ch = :ch")
	}
	if q.Waiting {
		names["#lc"], names["#lm"] = "LastCustomerAt", "LastMessageAt"
		values[":zero"] = zeroTime
		parts = append(parts, "#lc = #lm AND #lc <> :zero")
	}
	if q.UnreadFor != "" {
		names["#unread"], names["#reader"] = "Unread", q.UnreadFor
		values[":none"] = &types.AttributeValueMemberN{Value: "0"}
		parts = append(parts, "#unread.#reader > :none")
	}
	if q.Participant != "" {
		names["#fid"], names["#collab"] = "FollowerID", "Collaborators"
		values[":p"] = &types.AttributeValueMemberS{Value: q.Participant}
		parts = append(parts, "(#fid = :p OR contains(#collab, :p))")
	}
	if q.Search != "" {
		names["#search"] = "SearchText"
		values[":q"] = &types.AttributeValueMemberS{Value: q.Search}
		parts = append(parts, "contains(#search, :q)")
	}
	return strings.Join(parts, " AND ")
}

// matchesQuery applies q's filters to a conversation read directly (a
// collaboration), exactly as conversationFilter has DynamoDB apply them.
func matchesQuery(c *switchboard.Conversation, q switchboard.ConversationQuery) bool {
	switch {
	case q.ChannelID != "" && c.ChannelID != q.ChannelID,
		q.Waiting && (c.LastCustomerAt.IsZero() || !c.LastCustomerAt.Equal(c.LastMessageAt) || !c.LastMessageAt.Before(q.WaitingSince)),
		q.UnreadFor != "" && c.Unread[q.UnreadFor] <= 0,
		q.Participant != "" && !c.IsParticipant(q.Participant),
		q.Search != "" && !strings.Contains(c.SearchText, q.Search):
		return false
	}
	return true
}

// ListConversations returns one page of one of a team's conversation lists
// (switchboard.ConversationQuery). A stored view is read through GSI1, in
// order of last message, with the filters as a FilterExpression; ViewMine
// merges the member's followed in-progress conversations (GSI2) with the
// conversations the member collaborates on. A call reads at most a few
// Query pages, so a page may hold fewer items than asked while Next is set.
func (s *Store) ListConversations(ctx context.Context, teamID string, q switchboard.ConversationQuery) (*switchboard.ConversationPage, error) {
	if !validKeyPart(teamID) {
		return &switchboard.ConversationPage{}, nil
	}
	if q.Limit <= 0 || q.Limit > MaxPageSize {
		q.Limit = min(max(q.Limit, DefaultPageSize), MaxPageSize)
	}
	pos, id, err := decodePosition(q.Cursor)
	if err != nil {
		return nil, err
	}
	if q.View == switchboard.ViewMine {
		if !validKeyPart(q.MemberID) {
			return nil, switchboard.Errorf(switchboard.EInvalid, "the mine view needs a member")
		}
		return s.listMine(ctx, teamID, q, pos, id)
	}
	if _, ok := views[q.View]; !ok {
		return nil, switchboard.Errorf(switchboard.EInvalid, "view must be pending_human, pending_bot, in_progress, closed or mine")
	}
	var start map[string]types.AttributeValue
	if pos != "" {
		start = conversationViewStart(teamID, q.View, id, pos)
	}
	l := conversationsInView(teamID, q.View)
	items, next, err := s.readView(ctx, l, "", q, start)
	if err != nil {
		return nil, err
	}
	return &switchboard.ConversationPage{Items: items, Next: encodePosition(next)}, nil
}

// readView reads a conversation listing from start, with q's filters, until
// it has q.Limit items or has spent maxViewQueries Queries. prefix is the
// part of the index sort key before the position ("" in GSI1, the status and
// "#" in GSI2). It returns the items and the position to continue after
// ("" when the listing is exhausted).
func (s *Store) readView(ctx context.Context, l listing, prefix string, q switchboard.ConversationQuery, start map[string]types.AttributeValue) ([]*switchboard.Conversation, string, error) {
	pkName, skName := attrGSI1PK, attrGSI1SK
	if l.Index == GSI2 {
		pkName, skName = attrGSI2PK, attrGSI2SK
	}
	names := map[string]string{"#pk": pkName}
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: l.PK}}
	cond := "#pk = :pk"
	switch {
	case q.Waiting:
		names["#sk"] = skName
		values[":before"] = &types.AttributeValueMemberS{Value: prefix + sortTime(q.WaitingSince)}
		if prefix == "" {
			cond += " AND #sk < :before"
		} else {
			values[":prefix"] = &types.AttributeValueMemberS{Value: prefix}
			cond += " AND #sk BETWEEN :prefix AND :before"
		}
	case prefix != "":
		names["#sk"] = skName
		values[":prefix"] = &types.AttributeValueMemberS{Value: prefix}
		cond += " AND begins_with(#sk, :prefix)"
	}
	filter := conversationFilter(q, names, values)
	var out []*switchboard.Conversation
	for range maxViewQueries {
		want := q.Limit - len(out)
		page := int32(want)
		if filter != "" {
			page = int32(min(max(4*want, 50), maxViewPage))
		}
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(l.Index),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
			ScanIndexForward:          aws.Bool(!q.Newest),
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(page),
		}
		if filter != "" {
			in.FilterExpression = aws.String(filter)
		}
		res, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, "", mapErr(err, "list conversations")
		}
		for i, it := range res.Items {
			c, err := decode[switchboard.Conversation](it, "conversation")
			if err != nil {
				return nil, "", err
			}
			out = append(out, c)
			if len(out) == q.Limit {
				if i == len(res.Items)-1 && len(res.LastEvaluatedKey) == 0 {
					return out, "", nil
				}
				return out, conversationPosition(c), nil
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		start = res.LastEvaluatedKey
	}
	sk, _ := start[skName].(*types.AttributeValueMemberS)
	if sk == nil {
		return nil, "", switchboard.Errorf(switchboard.EInternal, "list conversations: a page ended without its sort key")
	}
	return out, strings.TrimPrefix(sk.Value, prefix), nil
}

// listMine is ViewMine: the member's followed in-progress conversations, one
// GSI2 listing, merged in order with the in-progress conversations the member
// collaborates on (a Query of the member's collaboration entries and one
// BatchGetItem of those conversations). Only positions up to where the GSI2
// listing stopped are safe to answer, so collaborations beyond it wait for
// the next page.
func (s *Store) listMine(ctx context.Context, teamID string, q switchboard.ConversationQuery, pos, id string) (*switchboard.ConversationPage, error) {
	status := switchboard.StatusInProgress
	prefix := string(status) + "#"
	var start map[string]types.AttributeValue
	if pos != "" {
		start = conversationFollowerStart(teamID, q.MemberID, status, id, pos)
	}
	fq := q
	fq.Participant = "" // a followed conversation has the member as follower
	followed, followedNext, err := s.readView(ctx, conversationsOfFollower(teamID, q.MemberID, status), prefix, fq, start)
	if err != nil {
		return nil, err
	}
	collabs, err := s.collaborations(ctx, teamID, q.MemberID)
	if err != nil {
		return nil, err
	}
	// after reports whether position a comes after b in the reading order.
	after := func(a, b string) bool {
		if q.Newest {
			return a < b
		}
		return a > b
	}
	var merged []*switchboard.Conversation
	merged = append(merged, followed...)
	for _, c := range collabs {
		p := conversationPosition(c)
		if c.Status != status || !c.IsCollaborator(q.MemberID) || !matchesQuery(c, q) {
			continue
		}
		if pos != "" && !after(p, pos) {
			continue
		}
		if followedNext != "" && after(p, followedNext) {
			continue
		}
		merged = append(merged, c)
	}
	slices.SortFunc(merged, func(a, b *switchboard.Conversation) int {
		c := cmp.Compare(conversationPosition(a), conversationPosition(b))
		if q.Newest {
			return -c
		}
		return c
	})
	page := &switchboard.ConversationPage{Items: merged}
	switch {
	case len(merged) > q.Limit:
		page.Items = merged[:q.Limit]
		page.Next = encodePosition(conversationPosition(page.Items[q.Limit-1]))
	case followedNext != "":
		page.Next = encodePosition(followedNext)
	}
	return page, nil
}

// collaborationItem is a member's collaboration entry.
type collaborationItem struct {
	TeamID         string
	MemberID       string
	ConversationID string
}

// collaborations reads the conversations a member has collaboration entries
// for: one Query and one BatchGetItem per 100 entries. Entries whose
// conversation is gone or no longer has the member are deleted on the way;
// a failure to delete them is not an error, it only leaves them to be read
// and dropped again next time.
func (s *Store) collaborations(ctx context.Context, teamID, memberID string) ([]*switchboard.Conversation, error) {
	items, _, err := queryPage(ctx, s, collaborationsOf(teamID, memberID), nil, maxCollaborations, "list collaborations")
	if err != nil {
		return nil, err
	}
	var keys []key
	for _, it := range items {
		var e collaborationItem
		if err := attributevalue.UnmarshalMap(it, &e); err != nil {
			return nil, switchboard.Wrap(switchboard.EInternal, err, "decode collaboration")
		}
		if validKeyPart(e.ConversationID) {
			keys = append(keys, conversationKey(teamID, e.ConversationID))
		}
	}
	var out []*switchboard.Conversation
	var stale []types.WriteRequest
	for startAt := 0; startAt < len(keys); startAt += 100 {
		batch := keys[startAt:min(startAt+100, len(keys))]
		found, err := s.batchGet(ctx, batch, "read collaborations")
		if err != nil {
			return nil, err
		}
		for _, k := range batch {
			id := strings.TrimPrefix(k.PK, "TEAM#"+teamID+"#CONV#")
			it, ok := found[k]
			if !ok {
				stale = append(stale, deleteRequest(collaborationKey(teamID, memberID, id)))
				continue
			}
			c, err := decode[switchboard.Conversation](it, "conversation")
			if err != nil {
				return nil, err
			}
			if !c.IsCollaborator(memberID) {
				stale = append(stale, deleteRequest(collaborationKey(teamID, memberID, id)))
				continue
			}
			out = append(out, c)
		}
	}
	_ = s.batchWrite(ctx, stale, "drop stale collaborations") // see the doc comment
	return out, nil
}

// NoteCollaborations writes a collaboration entry for each collaborator of c,
// so each finds c in their own list: one BatchWriteItem per 25
// collaborators (at most 5, switchboard.MaxCollaborators). Call it after
// every change that may add a collaborator; entries are idempotent.
func (s *Store) NoteCollaborations(ctx context.Context, c *switchboard.Conversation) error {
	if !validKeyPart(c.TeamID) || !validKeyPart(c.ID) {
		return switchboard.Errorf(switchboard.EInvalid, "conversation id or team id is missing or malformed")
	}
	var reqs []types.WriteRequest
	for _, m := range c.Collaborators {
		if !validKeyPart(m) {
			continue
		}
		item, err := attributevalue.MarshalMap(collaborationItem{TeamID: c.TeamID, MemberID: m, ConversationID: c.ID})
		if err != nil {
			return switchboard.Wrap(switchboard.EInternal, err, "encode collaboration")
		}
		k := collaborationKey(c.TeamID, m, c.ID)
		item[attrPK] = &types.AttributeValueMemberS{Value: k.PK}
		item[attrSK] = &types.AttributeValueMemberS{Value: k.SK}
		reqs = append(reqs, putRequest(item))
	}
	return s.batchWrite(ctx, reqs, "note collaborations")
}

// ForgetCollaboration deletes a member's collaboration entry for a
// conversation they no longer collaborate on: one DeleteItem; a missing entry
// is fine.
func (s *Store) ForgetCollaboration(ctx context.Context, teamID, memberID, conversationID string) error {
	if !validKeyPart(teamID) || !validKeyPart(memberID) || !validKeyPart(conversationID) {
		return nil
	}
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table),
		Key:       collaborationKey(teamID, memberID, conversationID).av(),
	})
	return mapErr(err, "forget collaboration")
}

// MemberConversationIDs returns the ids of the team's conversations that
// memberID follows, in any status, or has a collaboration entry for, each
// once and in order, for taking a deactivated member out of them (SPEC §2,
// 001:L4752). It reads the member's whole follower partition of GSI2 and
// their collaboration entries, one Query per megabyte of each, page after
// page, projecting only the ids. The list may hold conversations that no
// longer involve the member: GSI2 is eventually consistent and collaboration
// entries may be stale. For the same reason a conversation the member began
// to follow a moment ago may be missing. Callers check each conversation
// inside its optimistic update (switchboard.Conversation.OnMemberDeactivated).
func (s *Store) MemberConversationIDs(ctx context.Context, teamID, memberID string) ([]string, error) {
	return s.memberConversationIDs(ctx, teamID, memberID, 0)
}

// memberConversationIDs is MemberConversationIDs with Queries of at most
// page items (0: no limit but DynamoDB's megabyte), so a test can make it
// cross pages.
func (s *Store) memberConversationIDs(ctx context.Context, teamID, memberID string, page int32) ([]string, error) {
	if !validKeyPart(teamID) || !validKeyPart(memberID) {
		return nil, nil
	}
	followed, err := s.queryStrings(ctx, conversationsFollowedBy(teamID, memberID), "ID", page, "list followed conversations")
	if err != nil {
		return nil, err
	}
	collab, err := s.queryStrings(ctx, collaborationsOf(teamID, memberID), "ConversationID", page, "list collaborations")
	if err != nil {
		return nil, err
	}
	ids := slices.DeleteFunc(append(followed, collab...), func(id string) bool { return !validKeyPart(id) })
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// queryStrings reads a whole listing, Query after Query, and returns the
// string attribute attr of each item, projecting nothing else. page bounds
// the items of one Query (0: DynamoDB's megabyte). A listing of the table
// itself is read strongly consistently; an index cannot be.
func (s *Store) queryStrings(ctx context.Context, l listing, attr string, page int32, op string) ([]string, error) {
	pkName, skName := attrPK, attrSK
	switch l.Index {
	case GSI1:
		pkName, skName = attrGSI1PK, attrGSI1SK
	case GSI2:
		pkName, skName = attrGSI2PK, attrGSI2SK
	}
	names := map[string]string{"#pk": pkName, "#attr": attr}
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: l.PK}}
	cond := "#pk = :pk"
	if l.SKPrefix != "" {
		names["#sk"] = skName
		values[":prefix"] = &types.AttributeValueMemberS{Value: l.SKPrefix}
		cond += " AND begins_with(#sk, :prefix)"
	}
	var out []string
	var start map[string]types.AttributeValue
	for {
		in := &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String(cond),
			ProjectionExpression:      aws.String("#attr"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
			ExclusiveStartKey:         start,
		}
		if l.Index != "" {
			in.IndexName = aws.String(l.Index)
		} else {
			in.ConsistentRead = aws.Bool(true)
		}
		if page > 0 {
			in.Limit = aws.Int32(page)
		}
		res, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, mapErr(err, op)
		}
		for _, it := range res.Items {
			if v, ok := it[attr].(*types.AttributeValueMemberS); ok {
				out = append(out, v.Value)
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = res.LastEvaluatedKey
	}
}

// ListMessagesNewestFirst returns one page of a conversation's messages,
// newest first, and the cursor of the next (older) page: one strongly
// consistent Query read backwards.
func (s *Store) ListMessagesNewestFirst(ctx context.Context, teamID, conversationID, cursor string, limit int) ([]*switchboard.Message, string, error) {
	if !validKeyPart(teamID) || !validKeyPart(conversationID) {
		return nil, "", nil
	}
	l := messagesOfConversation(teamID, conversationID)
	l.NewestFirst = true
	return page[switchboard.Message](ctx, s, l, cursor, limit, "message", "list messages")
}

// GetContacts reads contacts of a team by id: one strongly consistent
// BatchGetItem per 100 ids. Ids that name no contact are left out.
func (s *Store) GetContacts(ctx context.Context, teamID string, ids []string) (map[string]*switchboard.Contact, error) {
	out := map[string]*switchboard.Contact{}
	if !validKeyPart(teamID) {
		return out, nil
	}
	var keys []key
	for _, id := range ids {
		if validKeyPart(id) {
			keys = append(keys, contactKey(teamID, id))
		}
	}
	for startAt := 0; startAt < len(keys); startAt += 100 {
		found, err := s.batchGet(ctx, keys[startAt:min(startAt+100, len(keys))], "read contacts")
		if err != nil {
			return nil, err
		}
		for _, it := range found {
			c, err := decode[switchboard.Contact](it, "contact")
			if err != nil {
				return nil, err
			}
			if c.TeamID == teamID {
				out[c.ID] = c
			}
		}
	}
	return out, nil
}

// UpdateContact applies fn to a contact of the team under an optimistic
// version check: one GetItem and one PutItem per round. Unlike UpsertContact
// it never creates one: a missing contact is ENotFound.
func (s *Store) UpdateContact(ctx context.Context, teamID, id string, fn func(*switchboard.Contact) (*switchboard.Contact, error)) (*switchboard.Contact, error) {
	if !validKeyPart(teamID) || !validKeyPart(id) {
		return nil, notFound("contact")
	}
	return update(ctx, s, contactRecord, contactKey(teamID, id), nil, nil, fn)
}

// DeleteConversation deletes a conversation and its whole message history
// (001:L2399: deleted conversations cannot be recovered), and its
// collaborators' entries: one Query per megabyte of keys, then one
// BatchWriteItem per 25 items, the conversation itself last so that a failure
// half-way leaves it visible to be deleted again. A missing conversation is
// ENotFound. The contact stays.
func (s *Store) DeleteConversation(ctx context.Context, teamID, id string) error {
	if !validKeyPart(teamID) || !validKeyPart(id) {
		return notFound("conversation")
	}
	conv, err := get[switchboard.Conversation](ctx, s, "conversation", conversationKey(teamID, id))
	if err != nil {
		return err
	}
	l := conversationItems(teamID, id)
	var reqs []types.WriteRequest
	var start map[string]types.AttributeValue
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ProjectionExpression:      aws.String("#pk, #sk"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: l.PK}},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return mapErr(err, "list conversation history")
		}
		for _, it := range out.Items {
			sk, _ := it[attrSK].(*types.AttributeValueMemberS)
			if sk != nil && sk.Value != conversationKey(teamID, id).SK {
				reqs = append(reqs, deleteRequest(key{l.PK, sk.Value}))
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	for _, m := range conv.Collaborators {
		if validKeyPart(m) {
			reqs = append(reqs, deleteRequest(collaborationKey(teamID, m, id)))
		}
	}
	if err := s.batchWrite(ctx, reqs, "delete conversation history"); err != nil {
		return err
	}
	return remove(ctx, s, "conversation", conversationKey(teamID, id), teamID)
}

// MarkMessageSent records that an agent's message went out, with the
// platform's ids of it (MarkSent on the message's reference).
func (s *Store) MarkMessageSent(ctx context.Context, m *switchboard.Message, channelID string, platformIDs []string) (bool, error) {
	return s.MarkSent(ctx, MessageRef{TeamID: m.TeamID, ConversationID: m.ConversationID, MessageID: m.ID}, channelID, platformIDs)
}

// MarkMessageFailed records that an agent's message could not be sent, with
// the reason (MarkFailed on the message's reference).
func (s *Store) MarkMessageFailed(ctx context.Context, m *switchboard.Message, reason string) (bool, error) {
	return s.MarkFailed(ctx, MessageRef{TeamID: m.TeamID, ConversationID: m.ConversationID, MessageID: m.ID}, reason)
}
