package dynamo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// This file is the table's map: every key the store reads or writes is built
// by exactly one function below, one per access pattern. Items that belong to a
// team carry the team id in their partition key, so an id presented by another
// team builds another key and can never reach them. The one exception is the
// channel, which webhooks must find by id alone; its reads check the team.

// key is an item's primary key.
type key struct{ PK, SK string }

// av returns the key as the attribute map GetItem and DeleteItem take.
func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: k.PK},
		attrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// indexKey is an item's key in one of the global secondary indexes.
type indexKey struct{ PK, SK string }

// listing is a Query: the partition to read and the sort-key prefix that
// selects one kind of item in it.
type listing struct {
	Index    string // "" for the table itself
	PK       string
	SKPrefix string
	// NewestFirst reads the sort keys backwards (ULID and time sort keys:
	// newest first).
	NewestFirst bool
}

// validKeyPart reports whether an id may be used inside a key: present, short,
// and free of the '#' separator, so that no id can forge another item's key.
func validKeyPart(s string) bool {
	return s != "" && len(s) <= 256 && !strings.Contains(s, "#")
}

// teamKey: a team by id.
func teamKey(id string) key { return key{"TEAM#" + id, "TEAM"} }

// channelKey: a channel by id alone, which is how a webhook URL names it
// (LookupChannel is one GetItem). GetChannel reads the same item and then
// checks that it belongs to the caller's team.
func channelKey(id string) key { return key{"CHANNEL#" + id, "CHANNEL"} }

// channelInTeam: a channel's entry in GSI1, under its team.
func channelInTeam(teamID, id string) indexKey { return indexKey{"TEAM#" + teamID, "CHANNEL#" + id} }

// channelsOfTeam: every channel of a team, through GSI1.
func channelsOfTeam(teamID string) listing {
	return listing{Index: GSI1, PK: "TEAM#" + teamID, SKPrefix: "CHANNEL#"}
}

// memberKey: a member by team and id. Members live in their team's partition,
// so listing them is a strongly consistent Query of the table.
func memberKey(teamID, id string) key { return key{"TEAM#" + teamID, "MEMBER#" + id} }

// membersOfTeam: every member of a team.
func membersOfTeam(teamID string) listing {
	return listing{PK: "TEAM#" + teamID, SKPrefix: "MEMBER#"}
}

// tokenKey: an API token by the hash of its plaintext, so authenticating a
// request (FindTokenByHash) is one GetItem.
func tokenKey(hash string) key { return key{"TOKEN#" + hash, "TOKEN"} }

// tokenInTeam: a token's entry in GSI1, under its team, by token id.
func tokenInTeam(teamID, id string) indexKey { return indexKey{"TEAM#" + teamID, "TOKEN#" + id} }

// tokensOfTeam: every token of a team, through GSI1.
func tokensOfTeam(teamID string) listing {
	return listing{Index: GSI1, PK: "TEAM#" + teamID, SKPrefix: "TOKEN#"}
}

// ContactID is the id of the contact a platform user is in one channel of a
// team. It is derived rather than generated so that an inbound event, which
// names only the channel and the platform user, addresses its contact directly:
// no lookup index, and two concurrent first messages create the same record.
func ContactID(teamID, channelID, platformUserID string) string {
	h := sha256.New()
	for _, p := range []string{teamID, channelID, platformUserID} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "ct_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// contactKey: a contact by team and id. Each contact is its own partition, so
// a team with millions of contacts has no hot partition.
func contactKey(teamID, id string) key { return key{"TEAM#" + teamID + "#CONTACT#" + id, "CONTACT"} }

// ContactShard is the shard of the team's contact list a contact id falls in:
// a stable hash of the id modulo switchboard.ContactShards.
func ContactShard(id string) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint32(sum[:4]) % switchboard.ContactShards)
}

// contactInShard: a contact's entry in GSI2, in its team's shard.
func contactInShard(teamID, id string) indexKey {
	return indexKey{contactShardPK(teamID, ContactShard(id)), "CONTACT#" + id}
}

// contactsOfShard: one shard of a team's contacts, through GSI2. An audience is
// read by querying every shard in parallel.
func contactsOfShard(teamID string, shard int) listing {
	return listing{Index: GSI2, PK: contactShardPK(teamID, shard), SKPrefix: "CONTACT#"}
}

func contactShardPK(teamID string, shard int) string {
	return fmt.Sprintf("TEAM#%s#CONTACTS#%02d", teamID, shard)
}

// conversationKey: a conversation by team and id. Its messages share the
// partition (see messageKey).
func conversationKey(teamID, id string) key {
	return key{"TEAM#" + teamID + "#CONV#" + id, "CONV"}
}

// ConversationView names a list of the inbox that a conversation appears in by
// its status: pending_human, pending_bot, in_progress or closed.
func ConversationView(c *switchboard.Conversation) string {
	if c.Status == switchboard.StatusPending {
		kind := c.PendingKind
		if kind == "" {
			kind = switchboard.PendingHuman
		}
		return string(c.Status) + "_" + string(kind)
	}
	return string(c.Status)
}

// conversationInView: a conversation's entry in GSI1, in its team's list for
// its current view, ordered by the time of its last message (and id, so equal
// times stay distinct).
func conversationInView(c *switchboard.Conversation) indexKey {
	return indexKey{conversationViewPK(c.TeamID, ConversationView(c)), sortTime(c.LastMessageAt) + "#" + c.ID}
}

// conversationsInView: a team's conversations in one view, through GSI1,
// ordered by last message time (read backwards for newest first).
func conversationsInView(teamID, view string) listing {
	return listing{Index: GSI1, PK: conversationViewPK(teamID, view)}
}

func conversationViewPK(teamID, view string) string { return "TEAM#" + teamID + "#CONVS#" + view }

// conversationOfFollower: a followed conversation's entry in GSI2, under its
// follower, by status and last message time, so "mine" is one Query.
func conversationOfFollower(c *switchboard.Conversation) indexKey {
	return indexKey{followerPK(c.TeamID, c.FollowerID), string(c.Status) + "#" + sortTime(c.LastMessageAt) + "#" + c.ID}
}

// conversationsOfFollower: a member's conversations in one status, through GSI2.
func conversationsOfFollower(teamID, memberID string, status switchboard.ConversationStatus) listing {
	return listing{Index: GSI2, PK: followerPK(teamID, memberID), SKPrefix: string(status) + "#"}
}

// conversationsFollowedBy lists every conversation a member follows, whatever its
// status (the member's whole follower partition of GSI2), so a deactivated
// member can be taken out of each without knowing which statuses exist.
func conversationsFollowedBy(teamID, memberID string) listing {
	return listing{Index: GSI2, PK: followerPK(teamID, memberID)}
}

func followerPK(teamID, memberID string) string { return "TEAM#" + teamID + "#FOLLOWER#" + memberID }

// sortTime renders t so that string order is time order.
func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// messageKey: a message by team, conversation and message id. Message ids are
// ULIDs, so the sort key orders a conversation's messages by time.
func messageKey(teamID, conversationID, id string) key {
	return key{"TEAM#" + teamID + "#CONV#" + conversationID, "MSG#" + id}
}

// messagesOfConversation: a conversation's messages, oldest first.
func messagesOfConversation(teamID, conversationID string) listing {
	return listing{PK: "TEAM#" + teamID + "#CONV#" + conversationID, SKPrefix: "MSG#"}
}

// idempotencyKey: a claimed idempotency key. Callers scope their keys (they
// include the team or channel id), so the store treats them as opaque; long
// keys are hashed to stay far below DynamoDB's 2 KB partition-key limit.
func idempotencyKey(k string) key {
	if len(k) > 512 {
		sum := sha256.Sum256([]byte(k))
		k = "sha256:" + hex.EncodeToString(sum[:])
	}
	return key{"IDEMP#" + k, "IDEMP"}
}

// Router access patterns.

// InboundClaim is the idempotency key of one platform event: the platform's
// event id scoped to the channel. The router claims it forever, in the same
// transaction as everything the event changes, so a redelivery however late
// changes nothing.
func InboundClaim(channelID, eventID string) string {
	return "inbound#" + channelID + "#" + eventID
}

// inboundClaimKey: the claim of one platform event. The item also keeps the
// bot request the event produced, so a retry can hand it on again.
func inboundClaimKey(channelID, eventID string) key {
	return idempotencyKey(InboundClaim(channelID, eventID))
}

// platformMessageKey: the pointer from a platform's id of one of our outbound
// messages to the message, so a delivery status, which names only the
// platform's id, finds it with one read. Each pointer is its own partition.
func platformMessageKey(teamID, channelID, platformMessageID string) key {
	if len(platformMessageID) > 512 {
		sum := sha256.Sum256([]byte(platformMessageID))
		platformMessageID = "sha256:" + hex.EncodeToString(sum[:])
	}
	return key{"TEAM#" + teamID + "#PMSG#" + channelID + "#" + platformMessageID, "PMSG"}
}

// recentMessagesOfConversation: a conversation's messages, read newest first
// (the Query runs backwards), for marking recent outbound messages read.
func recentMessagesOfConversation(teamID, conversationID string) listing {
	return messagesOfConversation(teamID, conversationID)
}

// TriggerShards is how many items one trigger counter is spread over.
// Counters are incremented inside the transaction of every inbound event that
// fires a rule, and two transactions touching one item at once conflict; a
// popular rule's count is spread over shards (chosen by conversation) so
// concurrent conversations rarely meet on the same item.
const TriggerShards = 8

// triggerCounterKey: one shard of the count of one rule, group or channel
// (scope) for one feature (kind). A team's counters share one partition, so
// reading them all is one Query.
func triggerCounterKey(teamID, kind, scope, id string, shard int) key {
	return key{triggerCountersPK(teamID), fmt.Sprintf("TRIGGER#%s#%s#%s#%02d", kind, scope, id, shard)}
}

// triggerCountersOfTeam: every counter shard of a team.
func triggerCountersOfTeam(teamID string) listing {
	return listing{PK: triggerCountersPK(teamID), SKPrefix: "TRIGGER#"}
}

func triggerCountersPK(teamID string) string { return "TEAM#" + teamID + "#TRIGGERS" }

// TriggerShard is the counter shard a conversation's triggers go to.
func TriggerShard(conversationID string) int {
	sum := sha256.Sum256([]byte(conversationID))
	return int(binary.BigEndian.Uint32(sum[:4]) % TriggerShards)
}

// assignStateKey: what automatic assignment remembers for one scope (a
// keyword auto-assign rule's sequence, or the team's working-hours
// rotation), in the team's partition beside its members.
func assignStateKey(teamID, scope string) key {
	return key{"TEAM#" + teamID, "ASSIGN#" + scope}
}

// assignSettingsKey: a team's automatic assignment switches, beside its
// assignment states.
func assignSettingsKey(teamID string) key { return key{"TEAM#" + teamID, "ASSIGNSETTINGS"} }

// Timer and cart access patterns.

// TimerShards is how many partitions one due minute's timers are spread over,
// so a burst of timers due in the same minute (a flash sale's carts, a
// broadcast) does not heat one partition, and the dispatcher reads the
// shards in parallel.
const TimerShards = 16

// TimerShard is the bucket shard of a timer: a stable hash of its id.
func TimerShard(id string) int {
	sum := sha256.Sum256([]byte(id))
	return int(binary.BigEndian.Uint32(sum[:4]) % TimerShards)
}

// timerSecond renders a due second so that string order is time order.
const timerSecond = "20060102T150405Z"

// timerKey: a timer in the bucket of its due minute, in its shard. The sort
// key starts with the due second, so a bucket reads in due order, and ends
// with the id, so arming the same timer at the same second writes one item.
func timerKey(t *switchboard.Timer) key {
	return key{timerBucketPK(t.DueAt, TimerShard(t.ID)), t.DueAt.UTC().Format(timerSecond) + "#" + t.ID}
}

func timerBucketPK(minute time.Time, shard int) string {
	return fmt.Sprintf("TIMERS#%s#%02d", minute.UTC().Format("200601021504"), shard)
}

// timersDue: one shard of one due minute's bucket, in due order. Every sort
// key of the bucket starts with the minute.
func timersDue(minute time.Time, shard int) listing {
	return listing{PK: timerBucketPK(minute, shard), SKPrefix: minute.UTC().Format("20060102T1504")}
}

// timerCursorKey: the last due minute the dispatcher finished with.
func timerCursorKey() key { return key{"TIMERS#CURSOR", "CURSOR"} }

// siteKeyKey: a site key by the hash of its plaintext, so authenticating a
// pixel request is one GetItem.
func siteKeyKey(hash string) key { return key{"SITEKEY#" + hash, "SITEKEY"} }

// siteKeyInTeam: a site key's entry in GSI1, under its team.
func siteKeyInTeam(teamID, id string) indexKey { return indexKey{"TEAM#" + teamID, "SITEKEY#" + id} }

// siteKeysOfTeam: every site key of a team, through GSI1.
func siteKeysOfTeam(teamID string) listing {
	return listing{Index: GSI1, PK: "TEAM#" + teamID, SKPrefix: "SITEKEY#"}
}

// cartConfigKey: a team's cart remarketing configuration for one channel, in
// the team's partition, so all of them are one strongly consistent Query.
func cartConfigKey(teamID, channelID string) key {
	return key{"TEAM#" + teamID, "CARTCFG#" + channelID}
}

// cartConfigsOfTeam: every cart configuration of a team.
func cartConfigsOfTeam(teamID string) listing {
	return listing{PK: "TEAM#" + teamID, SKPrefix: "CARTCFG#"}
}

// popupPolicyKey: a team's binding popup policy, beside its cart
// configurations.
func popupPolicyKey(teamID string) key { return key{"TEAM#" + teamID, "CARTPOPUP"} }

// visitorKey: a website visitor of a team (cart and popup state). Each visitor
// is its own partition, with its contact bindings beside it.
func visitorKey(teamID, visitorID string) key { return key{visitorPK(teamID, visitorID), "VISITOR"} }

// visitorContactKey: the contact a visitor is bound to on one channel, so the
// recipient of a cart reminder is found with one GetItem.
func visitorContactKey(teamID, visitorID, channelID string) key {
	return key{visitorPK(teamID, visitorID), "CONTACT#" + channelID}
}

func visitorPK(teamID, visitorID string) string { return "TEAM#" + teamID + "#VISITOR#" + visitorID }

// cartStatsPK: one month of one kind of cart remarketing record (SENDS,
// CLICKS) of one channel, or of the team's ORDERS (channel ""). Monthly
// partitions keep any one partition small and make a statistics period (at
// most a few months) a handful of range Queries.
func cartStatsPK(teamID, channelID, kind string, month time.Time) string {
	return "TEAM#" + teamID + "#CART#" + channelID + "#" + kind + "#" + month.UTC().Format("200601")
}

// cartStatsSK orders a month's records by time, then id.
func cartStatsSK(at time.Time, id string) string {
	return at.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

// payReminderSettingsKey: a team's payment reminder setting.
func payReminderSettingsKey(teamID string) key { return key{"TEAM#" + teamID, "PAYREMINDER"} }

// paymentOrderKey: an order reported for payment reminders, with its reminder.
func paymentOrderKey(teamID, orderID string) key {
	return key{"TEAM#" + teamID + "#PAYORDER#" + orderID, "PAYORDER"}
}

// pendingPaymentReminder: a reminder still to be sent, in GSI1 under its
// team, so a changed setting can reschedule every pending one (003:L175).
func pendingPaymentReminder(teamID, orderID string) indexKey {
	return indexKey{"TEAM#" + teamID + "#PAYREMINDERS", "ORDER#" + orderID}
}

// pendingPaymentReminders: a team's pending payment reminders, through GSI1.
func pendingPaymentReminders(teamID string) listing {
	return listing{Index: GSI1, PK: "TEAM#" + teamID + "#PAYREMINDERS", SKPrefix: "ORDER#"}
}

// Inbox access patterns.

// rulesPK is the partition of a team's routing rules: auto-reply and
// auto-assign rules, their groups, the auto-tag settings and the set's
// version, so the router reads all of it with one Query (GetRuleSet).
func rulesPK(teamID string) string { return "TEAM#" + teamID + "#RULES" }

// replyRuleKey: one keyword auto-reply rule. Rule ids are ULIDs, so the sort
// key orders the rules by creation.
func replyRuleKey(teamID, id string) key { return key{rulesPK(teamID), "REPLY#" + id} }

// assignRuleKey: one keyword auto-assign rule.
func assignRuleKey(teamID, id string) key { return key{rulesPK(teamID), "ASSIGN#" + id} }

// ruleGroupKey: one group of rules.
func ruleGroupKey(teamID, id string) key { return key{rulesPK(teamID), "GROUP#" + id} }

// autoTagKey: the team's auto-tag settings.
func autoTagKey(teamID string) key { return key{rulesPK(teamID), "AUTOTAG"} }

// ruleSetVersionKey: the counter that goes up with every change of the team's
// rules (keyword.RuleSet.Version).
func ruleSetVersionKey(teamID string) key { return key{rulesPK(teamID), "VERSION"} }

// rulesOfTeam: everything in the rules partition.
func rulesOfTeam(teamID string) listing { return listing{PK: rulesPK(teamID)} }

// conversationPosition is where a conversation sits in every conversation
// list: its last message time, then its id. It is the tail of both its GSI1
// key (conversationInView) and its GSI2 key (conversationOfFollower), and it
// is what the inbox's cursors hold.
func conversationPosition(c *switchboard.Conversation) string {
	return sortTime(c.LastMessageAt) + "#" + c.ID
}

// conversationViewStart is the ExclusiveStartKey that continues a view's
// listing after the conversation at position pos.
func conversationViewStart(teamID, view, id, pos string) map[string]types.AttributeValue {
	k := conversationKey(teamID, id).av()
	k[attrGSI1PK] = &types.AttributeValueMemberS{Value: conversationViewPK(teamID, view)}
	k[attrGSI1SK] = &types.AttributeValueMemberS{Value: pos}
	return k
}

// conversationFollowerStart is the ExclusiveStartKey that continues a
// member's followed conversations in one status after position pos.
func conversationFollowerStart(teamID, memberID string, status switchboard.ConversationStatus, id, pos string) map[string]types.AttributeValue {
	k := conversationKey(teamID, id).av()
	k[attrGSI2PK] = &types.AttributeValueMemberS{Value: followerPK(teamID, memberID)}
	k[attrGSI2SK] = &types.AttributeValueMemberS{Value: string(status) + "#" + pos}
	return k
}

// collaborationKey: a member's collaboration on a conversation, so "mine"
// finds the collaborations of a member (GSI2 keys only the follower). The
// inbox writes it when it adds a collaborator and forgets it when it removes
// one; a reader checks the conversation itself, so a stale entry only costs a
// read.
func collaborationKey(teamID, memberID, conversationID string) key {
	return key{collaborationsPK(teamID, memberID), "CONV#" + conversationID}
}

// collaborationsOf: every collaboration entry of a member.
func collaborationsOf(teamID, memberID string) listing {
	return listing{PK: collaborationsPK(teamID, memberID), SKPrefix: "CONV#"}
}

func collaborationsPK(teamID, memberID string) string {
	return "TEAM#" + teamID + "#COLLAB#" + memberID
}

// tagLogKey: one record of the tagging log of a contact, in the contact's own
// partition. Ids are ULIDs, so the log reads in time order.
func tagLogKey(teamID, contactID, id string) key {
	return key{contactKey(teamID, contactID).PK, "TAGLOG#" + id}
}

// tagLogsOfContact: a contact's tagging log, oldest first.
func tagLogsOfContact(teamID, contactID string) listing {
	return listing{PK: contactKey(teamID, contactID).PK, SKPrefix: "TAGLOG#"}
}

// conversationItems: everything in a conversation's partition, the
// conversation and its messages, for deleting its history.
func conversationItems(teamID, id string) listing {
	return listing{PK: conversationKey(teamID, id).PK}
}

// Bot access patterns.

// botKey: a bot by team and id. Each bot is its own partition: a definition
// may take hundreds of kilobytes, and the bot step reads one by id.
func botKey(teamID, id string) key { return key{"TEAM#" + teamID + "#BOT#" + id, "BOT"} }

// botInTeam: a bot's entry in GSI1, under its team's bots.
func botInTeam(teamID, id string) indexKey { return indexKey{botsPK(teamID), "BOT#" + id} }

// botsOfTeam: every bot of a team, through GSI1.
func botsOfTeam(teamID string) listing {
	return listing{Index: GSI1, PK: botsPK(teamID), SKPrefix: "BOT#"}
}

func botsPK(teamID string) string { return "TEAM#" + teamID + "#BOTS" }

// botDirectoryKey: the team's bot entry points (m.me refs, welcome modules
// per channel, module ids), so the bot step resolves a referral or a follow
// with one GetItem. Saving or deleting a bot rewrites it in the same
// transaction as the bot.
func botDirectoryKey(teamID string) key { return key{botsPK(teamID), "DIRECTORY"} }

// botSessionKey: the bot session of a conversation, in the conversation's
// partition, so deleting a conversation's history deletes it too, and a
// reader of the conversation can fetch it in the same BatchGetItem.
func botSessionKey(teamID, conversationID string) key {
	return key{conversationKey(teamID, conversationID).PK, "BOTSESSION"}
}

// BotStepClaim is the idempotency key of one bot step: the bot request's id
// (or a delay timer's firing id) within the team. The bot step claims it in
// the transaction that commits the step, and the claim keeps what the step
// has to send, so a retry sends what is left instead of deciding again.
func BotStepClaim(teamID, requestID string) string {
	return "botstep#" + teamID + "#" + requestID
}

// botStepClaimKey: the claim of one bot step.
func botStepClaimKey(teamID, requestID string) key {
	return idempotencyKey(BotStepClaim(teamID, requestID))
}
