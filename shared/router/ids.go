package router

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Every record an inbound event creates has an id derived from the event
// (its channel and platform id), never a random one: a retry of the same event
// builds the same ids, which is how it finds the outbox of an earlier run that
// crashed after its commit, and why the sends it repeats carry the same
// idempotency keys.

// MaxRepliesPerEvent is the most outbound messages one event produces: the
// most one send carries (LINE's reply takes 1 to 5 messages).
const MaxRepliesPerEvent = 5

// eventULID returns a ULID whose time is when the event happened (so the
// conversation's messages, keyed by id, sort by time) and whose entropy is seq
// followed by a hash of the event, so within the same millisecond the
// customer's message (seq 0) sorts before the replies (seq 1 onwards).
func eventULID(e *switchboard.InboundEvent, seq byte) string {
	ms := e.OccurredAt.UnixMilli()
	if e.OccurredAt.IsZero() || ms < 0 || uint64(ms) > ulid.MaxTime() {
		ms = 0
	}
	sum := eventHash(e, "message")
	var entropy [10]byte
	entropy[0] = seq
	copy(entropy[1:], sum[:9])
	var id ulid.ULID
	_ = id.SetTime(uint64(ms)) // in range: checked above
	_ = id.SetEntropy(entropy[:])
	return id.String()
}

func eventHash(e *switchboard.InboundEvent, purpose string) [32]byte {
	h := sha256.New()
	for _, p := range []string{e.ChannelID, e.ID, purpose} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// InboundMessageID is the id of the customer's message an event stores.
func InboundMessageID(e *switchboard.InboundEvent) string { return eventULID(e, 0) }

// ReplyMessageID is the id of the i-th reply (from 0) to an event; it is also
// the idempotency key of its send.
func ReplyMessageID(e *switchboard.InboundEvent, i int) string { return eventULID(e, byte(1+i)) }

// replyMessageIDs are the ids every reply of an event may have.
func replyMessageIDs(e *switchboard.InboundEvent) []string {
	ids := make([]string, MaxRepliesPerEvent)
	for i := range ids {
		ids[i] = ReplyMessageID(e, i)
	}
	return ids
}

// maxTagsPerEvent bounds the tags one event applies: keyword rules add at
// most keyword.MaxTags each (a reply and an assign rule fire together) and
// auto-tag at most autotag.MaxTags, well within it; the bound keeps the ids
// of TagLogID distinct from the other records of the event.
const maxTagsPerEvent = 200

// TagLogID is the id of the i-th tagging record (from 0) an event writes.
func TagLogID(e *switchboard.InboundEvent, i int) string {
	return eventULID(e, byte(16+min(i, maxTagsPerEvent-1)))
}

// BotRequestID is the id of the bot request an event produces.
func BotRequestID(e *switchboard.InboundEvent) string {
	sum := eventHash(e, "bot")
	return "bot_" + hex.EncodeToString(sum[:16])
}

// customerTime is when the customer acted: the platform's time of the event,
// or now when the platform gave none or a clock ahead of ours.
func customerTime(e *switchboard.InboundEvent, now time.Time) time.Time {
	if e.OccurredAt.IsZero() || e.OccurredAt.After(now) {
		return now
	}
	return e.OccurredAt.UTC()
}
