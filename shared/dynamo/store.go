// Package dynamo stores Switchboard's records in one DynamoDB table (DESIGN.md,
// Storage). Every key is built in keys.go, one function per access pattern;
// every write that must not race is conditional; nothing scans the table.
//
// Records are stored as the attributes of the domain structs (field names as
// attribute names) plus the key attributes, so an item read back in the console
// is the record itself. Channel secrets are stored with the channel (the table
// is encrypted at rest) and never appear in an error or a log line.
package dynamo

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// API is the part of the DynamoDB client the store uses, so tests can fake it
// with a struct of functions.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	// BatchGetItem, TransactWriteItems and UpdateItem let the router read a
	// contact and its conversation in one request, commit everything an
	// inbound event changes at once, and record a send's outcome in place.
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Store implements the domain's store interfaces over one table.
type Store struct {
	client      API
	table       string
	now         switchboard.Clock
	maxAttempts int
}

// The store implements every store interface of the domain.
var (
	_ switchboard.TeamStore         = (*Store)(nil)
	_ switchboard.ChannelStore      = (*Store)(nil)
	_ switchboard.MemberStore       = (*Store)(nil)
	_ switchboard.TokenStore        = (*Store)(nil)
	_ switchboard.ContactStore      = (*Store)(nil)
	_ switchboard.ConversationStore = (*Store)(nil)
	_ switchboard.MessageStore      = (*Store)(nil)
	_ switchboard.IdempotencyStore  = (*Store)(nil)
)

// DefaultMaxAttempts bounds the read-apply-write rounds of an optimistic update
// before it gives up with EConflict. Contention on one record is rare (one
// conversation is processed in order by its FIFO group), so five rounds only
// run out when something keeps rewriting the record.
const DefaultMaxAttempts = 5

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that stamps CreatedAt and UpdatedAt and decides
// whether an idempotency key has expired.
func WithClock(c switchboard.Clock) Option { return func(s *Store) { s.now = c } }

// WithMaxAttempts overrides DefaultMaxAttempts for optimistic updates.
func WithMaxAttempts(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.maxAttempts = n
		}
	}
}

// New returns a store over table.
func New(client API, table string, opts ...Option) *Store {
	s := &Store{client: client, table: table, now: time.Now, maxAttempts: DefaultMaxAttempts}
	for _, o := range opts {
		o(s)
	}
	return s
}

// clock returns the current time in UTC, without the monotonic reading, as it
// will read back from the table.
func (s *Store) clock() time.Time { return s.now().UTC().Round(0) }

// backoff waits a little before the next optimistic round, with jitter so that
// writers that just collided do not collide again; it returns early with the
// context's error when ctx ends.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(5<<min(attempt, 5)) * time.Millisecond
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "storage request cancelled")
	case <-t.C:
		return nil
	}
}
