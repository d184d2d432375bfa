package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

func TestDisposition(t *testing.T) {
	tests := []struct {
		err  error
		want queue.Action
	}{
		{nil, queue.Ack},
		{switchboard.Errorf(switchboard.EInvalid, "x"), queue.Drop},
		{switchboard.Errorf(switchboard.ENotFound, "x"), queue.Drop},
		{switchboard.Errorf(switchboard.EForbidden, "x"), queue.Drop},
		{switchboard.Errorf(switchboard.EUnauthorized, "x"), queue.Drop},
		{switchboard.Errorf(switchboard.ETooLarge, "x"), queue.Drop},
		{fmt.Errorf("wrapped: %w", switchboard.Errorf(switchboard.EInvalid, "x")), queue.Drop},
		{switchboard.Errorf(switchboard.EConflict, "x"), queue.Retry},
		{switchboard.Errorf(switchboard.EUnavailable, "x"), queue.Retry},
		{switchboard.Errorf(switchboard.ERateLimited, "x"), queue.Retry},
		{switchboard.Errorf(switchboard.EInternal, "x"), queue.Retry},
		{switchboard.Errorf("some_new_code", "x"), queue.Retry},
		{errors.New("plain error"), queue.Retry},
		{context.DeadlineExceeded, queue.Retry},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := queue.Disposition(tt.err); got != tt.want {
				t.Fatalf("Disposition(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	var zero queue.Action
	if zero != queue.Retry {
		t.Fatalf("zero Action is %v, want retry so an undecided message is kept", zero)
	}
}

// captureLogs sends the default logger to a buffer for the test's duration.
func captureLogs(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func batch(n int) events.SQSEvent {
	var ev events.SQSEvent
	for i := range n {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("id-%d", i), Body: fmt.Sprintf("secret-body-%d", i)})
	}
	return ev
}

// outcomes makes a handler that fails message i with errs[i] and records which
// messages it handled.
func outcomes(handled *[]string, errs map[string]error) queue.Handler {
	return func(_ context.Context, m events.SQSMessage) error {
		*handled = append(*handled, m.MessageId)
		return errs[m.MessageId]
	}
}

func failureIDs(r events.SQSEventResponse) []string {
	out := []string{}
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

var (
	errRetry = switchboard.Errorf(switchboard.EUnavailable, "down")
	errDrop  = switchboard.Errorf(switchboard.EInvalid, "poison")
)

func TestProcessFIFO(t *testing.T) {
	tests := []struct {
		name        string
		errs        map[string]error
		wantHandled []string
		wantFailed  []string
	}{
		{"all succeed", nil, []string{"id-0", "id-1", "id-2", "id-3"}, []string{}},
		{"retry stops the batch", map[string]error{"id-1": errRetry}, []string{"id-0", "id-1"}, []string{"id-1", "id-2", "id-3"}},
		{"first fails", map[string]error{"id-0": errors.New("boom")}, []string{"id-0"}, []string{"id-0", "id-1", "id-2", "id-3"}},
		{"last fails", map[string]error{"id-3": errRetry}, []string{"id-0", "id-1", "id-2", "id-3"}, []string{"id-3"}},
		{"drop continues", map[string]error{"id-1": errDrop}, []string{"id-0", "id-1", "id-2", "id-3"}, []string{}},
		{"drop then retry", map[string]error{"id-0": errDrop, "id-2": errRetry, "id-3": errRetry}, []string{"id-0", "id-1", "id-2"}, []string{"id-2", "id-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLogs(t)
			var handled []string
			resp := queue.ProcessFIFO(context.Background(), batch(4), outcomes(&handled, tt.errs))
			if !reflect.DeepEqual(handled, tt.wantHandled) {
				t.Fatalf("handled %v, want %v", handled, tt.wantHandled)
			}
			if got := failureIDs(resp); !reflect.DeepEqual(got, tt.wantFailed) {
				t.Fatalf("reported failures %v, want %v", got, tt.wantFailed)
			}
			checkLogs(t, logs, tt.errs)
		})
	}
}

func TestProcessStandard(t *testing.T) {
	tests := []struct {
		name       string
		errs       map[string]error
		wantFailed []string
	}{
		{"all succeed", nil, []string{}},
		{"each retry reported", map[string]error{"id-1": errRetry, "id-3": errors.New("boom")}, []string{"id-1", "id-3"}},
		{"drops not reported", map[string]error{"id-0": errDrop, "id-2": errRetry}, []string{"id-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := captureLogs(t)
			var handled []string
			resp := queue.ProcessStandard(context.Background(), batch(4), outcomes(&handled, tt.errs))
			if want := []string{"id-0", "id-1", "id-2", "id-3"}; !reflect.DeepEqual(handled, want) {
				t.Fatalf("handled %v, want every message %v", handled, want)
			}
			if got := failureIDs(resp); !reflect.DeepEqual(got, tt.wantFailed) {
				t.Fatalf("reported failures %v, want %v", got, tt.wantFailed)
			}
			checkLogs(t, logs, tt.errs)
		})
	}
}

// checkLogs checks that every failed message is logged by id and that no
// message body reaches the log.
func checkLogs(t *testing.T, logs *bytes.Buffer, errs map[string]error) {
	t.Helper()
	out := logs.String()
	if strings.Contains(out, "secret-body") {
		t.Fatalf("a message body was logged: %s", out)
	}
	for id, err := range errs {
		if queue.Disposition(err) == queue.Drop && !strings.Contains(out, `"messageId":"`+id+`"`) {
			t.Fatalf("dropped message %s not logged: %s", id, out)
		}
	}
}

func TestProcessAfterContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, process := range map[string]func(context.Context, events.SQSEvent, queue.Handler) events.SQSEventResponse{
		"fifo": queue.ProcessFIFO, "standard": queue.ProcessStandard,
	} {
		var handled []string
		resp := process(ctx, batch(3), outcomes(&handled, nil))
		if len(handled) != 0 {
			t.Errorf("%s: handled %v after the context ended", name, handled)
		}
		if got, want := failureIDs(resp), []string{"id-0", "id-1", "id-2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: reported %v, want %v", name, got, want)
		}
	}
}
