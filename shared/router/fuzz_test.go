package router

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// FuzzDecide feeds customer input (text, message kind, button payloads, names)
// through the decision for every starting state. Whatever arrives, the
// decision must not fail on it, must be the same when repeated (the ids a
// retry builds must match), must fit one transaction, and must leave the
// conversation in a status of the state machine.
func FuzzDecide(f *testing.F) {
	f.Add("what is the price?", "text", "", "Amy", uint8(0))
	f.Add("menu", "text", "", "", uint8(1))
	f.Add("", "sticker", "", "", uint8(2))
	f.Add("Talk", "text", switchboard.HumanPayload, "", uint8(3))
	f.Add("buy store 0912-345-678 a@b.co", "text", "Q1", "名字", uint8(4))
	f.Add(" UNSUB ", "text", "", "", uint8(5))
	f.Add("\xff\xfe", "image", "", "\x00", uint8(6))
	starts := []*switchboard.Conversation{
		nil,
		conversation(waCh, switchboard.StatusPending, switchboard.PendingBot, ""),
		conversation(waCh, switchboard.StatusPending, switchboard.PendingHuman, ""),
		conversation(waCh, switchboard.StatusInProgress, "", "agentA"),
		conversation(waCh, switchboard.StatusClosed, "", "agentA"),
		conversation(waCh, switchboard.StatusClosed, "", "agentA", "agentB"),
		conversation(waCh, switchboard.StatusInProgress, "", "agentA", "agentB"),
		func() *switchboard.Conversation {
			c := conversation(waCh, switchboard.StatusPending, switchboard.PendingBot, "")
			c.BotInputUntil = t0.Add(time.Minute)
			return c
		}(),
	}
	f.Fuzz(func(t *testing.T, text, kind, payload, name string, start uint8) {
		w := newWorld()
		w.rules, w.members = rules(), []*switchboard.Member{agentA, agentB, sales}
		w.workingHours = true
		r := w.router(t, t0)
		e := msgEvent(waCh, "ev", &switchboard.InboundMessage{ID: "m", Kind: switchboard.MessageKind(kind), Text: text, QuickReplyPayload: payload})
		e.CustomerName = name
		conv := starts[int(start)%len(starts)]
		var contact *switchboard.Contact
		if conv != nil {
			contact = existingContact(waCh)
		}
		decide := func() *plan {
			var cv *switchboard.Conversation
			if conv != nil {
				cv = cloneConversation(conv)
			}
			var ct *switchboard.Contact
			if contact != nil {
				c := *contact
				ct = &c
			}
			rs, err := r.rules.Get(context.Background(), team)
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.decide(context.Background(), e, waCh, rs, ct, cv)
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			return p
		}
		p, again := decide(), decide()
		if !reflect.DeepEqual(p.write, again.write) {
			t.Fatalf("the same event decided twice differs:\n%+v\n%+v", p.write, again.write)
		}
		c := p.write.Conversation
		switch c.Status {
		case switchboard.StatusPending:
			if c.PendingKind != switchboard.PendingBot && c.PendingKind != switchboard.PendingHuman {
				t.Fatalf("pending with kind %q", c.PendingKind)
			}
		case switchboard.StatusInProgress:
			if c.FollowerID == "" {
				t.Fatal("in progress without a follower")
			}
		default:
			t.Fatalf("status after a customer message = %q", c.Status)
		}
		if items := p.write.ItemCount(); items > dynamo.MaxTransactItems || len(p.outbox) > MaxRepliesPerEvent {
			t.Fatalf("%d transaction items and %d replies", p.write.ItemCount(), len(p.outbox))
		}
		for _, m := range p.write.Messages {
			if m.ConversationID != convID(waCh) || m.TeamID != team {
				t.Fatalf("message %s belongs elsewhere", m.ID)
			}
		}
		if in := p.write.Messages[0]; in.Text != text || in.ID != InboundMessageID(e) {
			t.Fatalf("stored text %q, want %q", in.Text, text)
		}
		if p.bot != nil {
			if err := p.bot.Validate(); err != nil {
				t.Fatalf("bot request: %v", err)
			}
		}
	})
}
