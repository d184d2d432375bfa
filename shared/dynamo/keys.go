package dynamo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

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
