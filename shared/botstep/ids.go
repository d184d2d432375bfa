package botstep

import (
	"crypto/sha256"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// StepMessageID is the id of a step's i-th message: a ULID whose time is when
// the step was decided (so the conversation's messages sort by time, after
// the customer's message the step answers) and whose entropy is derived from
// the step, so two steps never collide. The ids are kept in the step's claim,
// which is how a retry finds them.
func StepMessageID(requestID string, at time.Time, i int) string {
	ms := at.UnixMilli()
	if ms < 0 || uint64(ms) > ulid.MaxTime() {
		ms = 0
	}
	sum := sha256.Sum256([]byte("botstep\x00" + requestID))
	var entropy [10]byte
	entropy[0] = byte(i)
	copy(entropy[1:], sum[:9])
	var id ulid.ULID
	_ = id.SetTime(uint64(ms)) // in range: checked above
	_ = id.SetEntropy(entropy[:])
	return id.String()
}

// cloneContact copies a contact deeply enough that changing its tags,
// attributes or subscription leaves the one read alone.
func cloneContact(c *switchboard.Contact) *switchboard.Contact {
	cp := *c
	cp.Tags = maps.Clone(c.Tags)
	cp.Attributes = maps.Clone(c.Attributes)
	cp.Bindings = slices.Clone(c.Bindings)
	return &cp
}

// cloneConversation copies a conversation for the same reason.
func cloneConversation(c *switchboard.Conversation) *switchboard.Conversation {
	cp := *c
	cp.Collaborators = slices.Clone(c.Collaborators)
	cp.Unread = maps.Clone(c.Unread)
	return &cp
}

// cutKey splits a "team/id" cache key.
func cutKey(k string) (team, id string, ok bool) { return strings.Cut(k, "/") }

// cacheEntries bounds each configuration cache of a warm Lambda.
const cacheEntries = 2000
