package router

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/queue"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// QueueSender is the part of the SQS publisher the bot queue uses;
// *queue.Publisher satisfies it.
type QueueSender interface {
	Send(ctx context.Context, queueURL string, msgs []queue.Message) error
}

var _ QueueSender = (*queue.Publisher)(nil)

// BotQueue publishes bot requests on bot.fifo, in the conversation's message
// group, deduplicated by the event.
type BotQueue struct {
	// Queue is the URL of bot.fifo.
	Queue     string
	Publisher QueueSender
}

var _ switchboard.BotPublisher = (*BotQueue)(nil)

// sqsSafe escapes the two characters JSON allows raw but SQS refuses in a body
// (U+FFFE and U+FFFF); outside strings JSON is ASCII, so the escapes land
// inside strings and decode to the same value. The inbound queue does the same.
var sqsSafe = strings.NewReplacer("\uFFFE", `\ufffe`, "\uFFFF", `\uffff`)

// PublishBot sends the requests in order, in as few requests as SQS allows.
func (q *BotQueue) PublishBot(ctx context.Context, reqs []switchboard.BotRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	msgs := make([]queue.Message, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		if err := r.Validate(); err != nil {
			return err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return switchboard.Wrap(switchboard.EInternal, err, "encode bot request")
		}
		msgs[i] = queue.Message{Body: sqsSafe.Replace(string(b)), GroupID: r.GroupID(), DedupID: r.DedupID()}
	}
	return q.Publisher.Send(ctx, q.Queue, msgs)
}
