package awsclient

import (
	"context"
	"maps"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// RequestCounter counts AWS requests by service and operation, so benchmarks
// can report what a webhook delivery really costs in AWS calls and tests can
// hold the code to its request budget.
//
// It keeps two tallies. Attempts (Snapshot, Total) include the SDK's retries,
// since AWS bills and throttles each attempt. Calls count each operation once
// however often it was retried: that is what the code asked for, and what a
// test of an access pattern must assert, because an emulator on a loaded
// machine may drop a connection and cause a retry the code did not choose.
//
// It is safe for concurrent use; the zero value is ready.
type RequestCounter struct {
	mu     sync.Mutex
	counts map[string]int
	calls  map[string]int
}

// counterID names the middleware so installing the counter twice on one
// configuration is detected rather than double-counting.
const counterID = "switchboard.RequestCounter"

// Add installs the counter on cfg. Clients built from cfg afterwards count
// their requests; clients built before are unaffected, because the SDK copies
// APIOptions into each client when it is created.
func (c *RequestCounter) Add(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		if _, ok := stack.Finalize.Get(counterID); ok {
			return nil
		}
		// Initialize runs once per operation, before the retry loop; adding at
		// the end places it after the middleware that names the operation.
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc(counterID,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.count(ctx, &c.calls)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
		if err != nil {
			return err
		}
		// Finalize runs once per attempt, inside the retry loop; adding at the
		// end places it after signing, just before the request goes on the wire.
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc(counterID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.count(ctx, &c.counts)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
}

// count adds one to the operation of ctx in the tally *m (c.counts or
// c.calls).
func (c *RequestCounter) count(ctx context.Context, m *map[string]int) {
	key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[key]++
}

// copyOf returns a copy of the tally *m, never nil.
func (c *RequestCounter) copyOf(m *map[string]int) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(*m))
	maps.Copy(out, *m)
	return out
}

// Calls returns the operations called so far, each once however many attempts
// it took, keyed like Snapshot. The map is a copy.
func (c *RequestCounter) Calls() map[string]int { return c.copyOf(&c.calls) }

// Snapshot returns the attempts so far, keyed "Service.Operation" (for example
// "DynamoDB.PutItem" or "SQS.SendMessageBatch"). The map is a copy.
func (c *RequestCounter) Snapshot() map[string]int { return c.copyOf(&c.counts) }

// Total returns the number of attempts across every service and operation.
func (c *RequestCounter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Reset forgets every count, so one benchmark phase can be measured alone.
func (c *RequestCounter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = nil
	c.calls = nil
}

// Keys returns the counted "Service.Operation" names in sorted order, for
// printing stable reports.
func (c *RequestCounter) Keys() []string {
	snap := c.Snapshot()
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
