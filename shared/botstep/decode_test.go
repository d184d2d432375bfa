package botstep

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/queue"
	sb "github.com/switchboard-chat/switchboard/shared/switchboard"
	"github.com/switchboard-chat/switchboard/shared/timer"
)

func delayEvent(t *testing.T, kind sb.TimerKind, data string) string {
	t.Helper()
	tm, err := timer.Conversation(kind, team, "bot-delay/ct_1/4", 4, now, sb.ConversationTimer{
		ChannelID: chanID, CustomerID: user, ConversationID: contact, Data: json.RawMessage(data),
	})
	if err != nil {
		t.Fatal(err)
	}
	var ct sb.ConversationTimer
	_ = json.Unmarshal(tm.Payload, &ct)
	ev, err := sb.NewTimerEvent(tm, ct, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestDecode(t *testing.T) {
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	kw := keyword("r1", "menu")
	noBot := keyword("r2", "menu")
	noBot.BotID = ""
	msg := request("r3", TriggerMessage, sb.InboundEvent{Message: &sb.InboundMessage{Kind: sb.MsgText, Text: "hi"}})
	msgless := request("r4", TriggerMessage, sb.InboundEvent{})
	noContact := keyword("r5", "menu")
	noContact.ContactID = ""
	badTrigger := keyword("r6", "menu")
	badTrigger.Trigger = "poke"
	tests := []struct {
		name      string
		body      string
		wantErr   string
		wantID    string
		wantDelay int64
	}{
		{"keyword request", enc(kw), "", "r1", 0},
		{"message request", enc(msg), "", "r3", 0},
		{"delay timer", delayEvent(t, sb.TimerBotDelay, `{"seq":4,"botId":"B1","contactId":"ct_1"}`), "", "timer_", 4},
		{"keyword without bot", enc(noBot), "needs a bot and a module", "", 0},
		{"message request without a message", enc(msgless), "needs an id", "", 0},
		{"request without contact", enc(noContact), "names no contact", "", 0},
		{"unknown trigger", enc(badTrigger), `trigger "poke"`, "", 0},
		{"auto-end timer", delayEvent(t, sb.TimerAutoEnd, `{"seq":4,"contactId":"ct_1"}`), "does not belong on the bot queue", "", 0},
		{"delay timer without step", delayEvent(t, sb.TimerBotDelay, `{"contactId":"ct_1"}`), "needs an id", "", 0},
		{"delay timer with bad data", delayEvent(t, sb.TimerBotDelay, `[1]`), "carries no step", "", 0},
		{"not JSON", "hello", "not JSON", "", 0},
		{"too large", `{"x":"` + strings.Repeat("a", MaxBody) + `"}`, "at most", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := decode(tt.body)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(sb.ErrorMessage(err), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if queue.Disposition(err) != queue.Drop {
					t.Errorf("a malformed message is not dropped: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(j.RequestID, tt.wantID) || j.TeamID != team || j.ConversationID != contact || j.ContactID != contact || j.CustomerID != user {
				t.Errorf("job = %+v", j)
			}
			if (j.Delay != nil) != (tt.wantDelay != 0) || (j.Delay != nil && j.Delay.Seq != tt.wantDelay) {
				t.Errorf("delay = %+v, want seq %d", j.Delay, tt.wantDelay)
			}
		})
	}
}

// FuzzDecode: bot.fifo carries what the router and the timer service wrote,
// but the consumer does not trust it; whatever decodes names its team,
// channel, conversation, contact and customer.
func FuzzDecode(f *testing.F) {
	kw, _ := json.Marshal(keyword("r1", "menu"))
	f.Add(string(kw))
	f.Add(`{"type":"timer","id":"x","teamId":"T","channelId":"C","customerId":"U","timer":{"kind":"bot_delay","conversationId":"c","data":{"seq":1,"contactId":"k"}}}`)
	f.Add(`{"trigger":"message","id":"r","teamId":"T","channelId":"C","conversationId":"c","contactId":"k","event":{"id":"e","customerId":"U","message":{"kind":"text"}}}`)
	f.Add(`{"type":5}`)
	f.Fuzz(func(t *testing.T, body string) {
		j, err := decode(body)
		if err != nil {
			if sb.ErrorCode(err) != sb.EInvalid {
				t.Fatalf("refused with %s: %v", sb.ErrorCode(err), err)
			}
			return
		}
		if j.RequestID == "" || j.TeamID == "" || j.ChannelID == "" || j.ConversationID == "" || j.ContactID == "" || j.CustomerID == "" {
			t.Fatalf("decoded an incomplete job: %+v", j)
		}
		if (j.Request == nil) == (j.Delay == nil) {
			t.Fatalf("job is both or neither a request and a delay: %+v", j)
		}
		if strings.Contains(j.RequestID, "/") {
			t.Fatalf("request id %q would make ambiguous send keys", j.RequestID)
		}
	})
}
