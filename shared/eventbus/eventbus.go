// Package eventbus is the EventBridge adapter: it publishes domain events to a
// bus, where rules route them to the functions and queues that react to them.
package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// EventBridge limits the publisher keeps to.
const (
	// MaxEntries is the most events one PutEvents request carries.
	MaxEntries = 10
	// MaxRequestBytes caps the size of one PutEvents request, counted the way
	// EventBridge counts it (see entrySize); one event over it is EInvalid.
	MaxRequestBytes = 256 * 1024
)

// DefaultMaxAttempts bounds how often entries EventBridge reports as failed
// are sent (first send included) before Publish fails.
const DefaultMaxAttempts = 3

// API is the part of the EventBridge client the publisher uses.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ API = (*eventbridge.Client)(nil)

// Event is one domain event to publish.
type Event struct {
	// DetailType names the event for rules ("conversation.closed").
	DetailType string
	// Detail is the event's payload; it must encode to a JSON object.
	Detail any
}

// Publisher publishes events to one bus under one source. Only Bus, Source and
// Client are required.
type Publisher struct {
	Bus    string
	Source string
	Client API
	// Clock stamps each event's time; without one EventBridge stamps the time
	// it received the event.
	Clock switchboard.Clock
	// MaxAttempts overrides DefaultMaxAttempts when positive.
	MaxAttempts int
	// Backoff is the first wait before failed entries are sent again (doubling,
	// with jitter); 50ms when zero.
	Backoff time.Duration
}

// Publish sends events in order: one PutEvents per ten events (or per 256 KiB),
// none for an empty slice. Every event is encoded and checked before anything
// is sent, so an invalid one (EInvalid) sends nothing. Entries EventBridge
// reports as failed are sent again, up to the attempt limit; if some still
// fail, Publish returns EUnavailable naming how many. Events sent before a
// failure stay sent, so rules' targets must tolerate a repeat when the caller
// retries.
func (p *Publisher) Publish(ctx context.Context, evs []Event) error {
	entries := make([]types.PutEventsRequestEntry, len(evs))
	sizes := make([]int, len(evs))
	for i, e := range evs {
		if e.DetailType == "" {
			return switchboard.Errorf(switchboard.EInvalid, "event %d has no detail type", i)
		}
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return switchboard.Wrap(switchboard.EInvalid, err, "event "+e.DetailType+" detail does not encode to JSON")
		}
		if len(b) == 0 || b[0] != '{' {
			return switchboard.Errorf(switchboard.EInvalid, "event %s detail must be a JSON object", e.DetailType)
		}
		entries[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(p.Bus),
			Source:       aws.String(p.Source),
			DetailType:   aws.String(e.DetailType),
			Detail:       aws.String(string(b)),
		}
		if p.Clock != nil {
			entries[i].Time = aws.Time(p.Clock())
		}
		sizes[i] = entrySize(entries[i])
		if sizes[i] > MaxRequestBytes {
			return switchboard.Errorf(switchboard.EInvalid, "event %s is %d bytes; EventBridge takes at most %d", e.DetailType, sizes[i], MaxRequestBytes)
		}
	}
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && end-start < MaxEntries && size+sizes[end] <= MaxRequestBytes {
			size += sizes[end]
			end++
		}
		if err := p.put(ctx, entries[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// entrySize is an entry's size as EventBridge counts it against the request
// limit: 14 bytes for a time, plus the bytes of source, detail type, detail
// and resources.
func entrySize(e types.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func (p *Publisher) put(ctx context.Context, pending []types.PutEventsRequestEntry) error {
	attempts := p.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 50 * time.Millisecond
	}
	total := len(pending)
	for attempt := 1; ; attempt++ {
		out, err := p.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: pending})
		if err != nil {
			return mapErr(err)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		// Result entries line up with request entries; failed ones carry a code.
		var retry []types.PutEventsRequestEntry
		code := ""
		for i, r := range out.Entries {
			if r.ErrorCode != nil && i < len(pending) {
				retry = append(retry, pending[i])
				if code == "" {
					code = aws.ToString(r.ErrorCode)
				}
			}
		}
		if len(retry) == 0 {
			return switchboard.Errorf(switchboard.EInternal, "EventBridge reported %d failed entries without saying which", out.FailedEntryCount)
		}
		if attempt >= attempts {
			return switchboard.Errorf(switchboard.EUnavailable, "%d of %d events could not be published after %d attempts (%s); retry later",
				len(retry), total, attempt, code)
		}
		if err := sleep(ctx, backoff, attempt); err != nil {
			return err
		}
		pending = retry
	}
}

// sleep waits base·2^(attempt-1), jittered, or until ctx ends.
func sleep(ctx context.Context, base time.Duration, attempt int) error {
	d := base << min(attempt-1, 6)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return switchboard.Wrap(switchboard.EUnavailable, ctx.Err(), "publishing cancelled; retry later")
	case <-t.C:
		return nil
	}
}

// mapErr turns a PutEvents request error into a domain error.
func mapErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return switchboard.Wrap(switchboard.EUnavailable, err, "publishing cancelled or timed out; retry later")
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ThrottlingException", "InternalException", "InternalFailure", "ServiceUnavailable":
			return switchboard.Wrap(switchboard.EUnavailable, err, "event bus is busy or unavailable; retry later")
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return switchboard.Wrap(switchboard.EUnavailable, err, "event bus is unavailable; retry later")
		}
		return switchboard.Wrap(switchboard.EInternal, err, "event bus request failed")
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() < 500 {
		return switchboard.Wrap(switchboard.EInternal, err, "event bus request failed")
	}
	return switchboard.Wrap(switchboard.EUnavailable, err, "event bus is unreachable; retry later")
}
