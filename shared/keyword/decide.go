package keyword

import (
	"slices"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Input is what the router knows when a customer's message arrives.
type Input struct {
	ChannelID string
	// Status is the conversation's status before the message (StatusOf).
	Status Status
	Kind   switchboard.MessageKind
	Text   string
	// ReplyRules and AssignRules are the team's rules; Groups holds the groups
	// of both (their ids do not clash).
	ReplyRules  []*Rule
	AssignRules []*AssignRule
	Groups      []*Group
}

// Decision is which rules a message triggered, before anyone is assigned.
// The router picks an assignee among Assign.Candidates with assign.Pick and
// then calls Resolve, because whether the reply goes out depends on who was
// assigned.
type Decision struct {
	ChannelID string
	// Reply is the auto-reply rule the message matched, if any.
	Reply *Rule
	// Assign is the auto-assign rule the message matched, if any.
	Assign *AssignRule
}

// Decide matches the message against both kinds of rules. Only text messages
// take part: images, files and stickers trigger neither (auto-assign
// explicitly ignores stickers, 001:L4204), even when a platform attaches text
// to them.
func Decide(in Input) Decision {
	d := Decision{ChannelID: in.ChannelID}
	if in.Kind != switchboard.MsgText && in.Kind != "" {
		return d
	}
	if r, ok := Match(in.ReplyRules, in.Groups, in.ChannelID, in.Status, in.Text); ok {
		d.Reply = r
	}
	if r, ok := MatchAssign(in.AssignRules, in.Groups, in.ChannelID, in.Status, in.Text); ok {
		d.Assign = r
	}
	return d
}

// Outcome is what the router does for the message.
type Outcome struct {
	// Reply is the auto-reply to send, nil for none. A rule whose reply kind is
	// none still appears here: it tags and counts, and the conversation goes to
	// the bot.
	Reply *Rule
	// Assignee is who to make follower (Conversation.Follow), nil for nobody.
	Assignee *switchboard.Member
	// Tags to add to the contact, from the rules that fired, each once.
	Tags []string
	// Triggers to count, one per rule that fired.
	Triggers []Trigger
}

// MatchedBot reports whether the message counts as answered by the bot, for
// Conversation.OnCustomerMessage.
func (o Outcome) MatchedBot() bool { return o.Reply != nil }

// Resolve combines the decision with the member chosen for the assign rule
// (nil when there was no rule or nobody eligible). A CS assignee gets both the
// auto-reply and the assignment; a sales assignee gets only the assignment and
// the reply rule does not fire at all (001:L3992-L3994, L4177-L4179). When
// nobody could be assigned the reply still goes out, since it is then the
// customer's only answer.
func (d Decision) Resolve(assignee *switchboard.Member) Outcome {
	var o Outcome
	if d.Assign != nil {
		o.Assignee = assignee
		o.Tags = appendNew(o.Tags, d.Assign.Tags...)
		o.Triggers = append(o.Triggers, Trigger{TriggerAssign, d.Assign.ID, d.Assign.GroupID, d.ChannelID})
	} else {
		assignee = nil
	}
	if d.Reply != nil && (assignee == nil || !assignee.Role.IsSales()) {
		o.Reply = d.Reply
		o.Tags = appendNew(o.Tags, d.Reply.Tags...)
		o.Triggers = append(o.Triggers, Trigger{TriggerReply, d.Reply.ID, d.Reply.GroupID, d.ChannelID})
	}
	return o
}

func appendNew(dst []string, xs ...string) []string {
	for _, x := range xs {
		if !slices.Contains(dst, x) {
			dst = append(dst, x)
		}
	}
	return dst
}
