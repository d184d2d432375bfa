package switchboard

import (
	"fmt"
	"time"
)

// The messaging windows of Meta's platforms (001:L3616, 001:L4350): a page may
// answer freely for StandardWindow after the customer's last message, and a
// human agent may still answer, tagged, up to HumanAgentWindow.
const (
	StandardWindow   = 24 * time.Hour
	HumanAgentWindow = 7 * 24 * time.Hour
)

// Messenger and Instagram messaging_type values. The Send API needs one on
// every message so Meta can check it against the window.
const (
	// MessagingResponse answers a customer's message inside the 24 h window.
	MessagingResponse = "RESPONSE"
	// MessagingUpdate is a message the page sends on its own inside the window.
	MessagingUpdate = "UPDATE"
	// MessagingTag is a message outside the window, allowed only by its tag.
	MessagingTag = "MESSAGE_TAG"
)

// TagHumanAgent is the only message tag Switchboard uses: it lets a person
// answer a Messenger or Instagram customer between 24 hours and 7 days after
// their last message. Automated and promotional messages may not carry it.
const TagHumanAgent = "HUMAN_AGENT"

// Window is what a send must add to stay inside the platform's messaging
// window. It is empty for platforms without a window (LINE, the widget) and
// for WhatsApp, whose window is enforced by refusing non-template messages.
type Window struct {
	// MessagingType is the Messenger/Instagram messaging_type.
	MessagingType string
	// Tag is the Messenger/Instagram message tag, set with MessagingTag.
	Tag string
}

// Valid reports whether p is one of the known purposes. Senders refuse an
// unknown purpose rather than guess, because on Meta's platforms the purpose
// decides what may be sent after 24 hours.
func (p SendPurpose) Valid() bool {
	switch p {
	case PurposeResponse, PurposeAgent, PurposeSystem, PurposeMarketing:
		return true
	}
	return false
}

// CheckWindow decides whether msgs may be sent now on a channel of kind for
// purpose, given when the customer last wrote, and what the send must carry.
// It runs before any call to the platform, so a closed window never costs a
// request and always fails with a reason an operator can read. A zero
// lastCustomerAt means the customer never wrote, which is outside every
// window. A lastCustomerAt in the future (clock skew) counts as just now.
//
// Refusals are EForbidden; an unknown kind or purpose is EInvalid.
func CheckWindow(kind ChannelKind, purpose SendPurpose, lastCustomerAt, now time.Time, msgs []OutboundMessage) (Window, error) {
	if !purpose.Valid() {
		return Window{}, Errorf(EInvalid, "send purpose %q must be one of response, agent, system, marketing", purpose)
	}
	switch kind {
	case KindLINE, KindWidget:
		return Window{}, nil
	case KindMessenger, KindInstagram:
		return metaWindow(kind, purpose, lastCustomerAt, now)
	case KindWhatsApp:
		return Window{}, whatsAppWindow(lastCustomerAt, now, msgs)
	}
	return Window{}, Errorf(EInvalid, "channel kind %q has no sender", kind)
}

// metaWindow applies Messenger's and Instagram's rules: anything inside 24
// hours, only tagged human-agent replies up to 7 days, nothing after.
func metaWindow(kind ChannelKind, purpose SendPurpose, last, now time.Time) (Window, error) {
	platform := "Messenger"
	if kind == KindInstagram {
		platform = "Instagram"
	}
	if kind == KindInstagram && purpose == PurposeMarketing {
		return Window{}, Errorf(EForbidden, "Instagram does not allow broadcast or marketing messages")
	}
	if last.IsZero() {
		return Window{}, Errorf(EForbidden, "the customer has never written to this %s account; %s only allows messages to customers who wrote first", platform, platform)
	}
	age := now.Sub(last)
	if age < StandardWindow {
		switch purpose {
		case PurposeSystem, PurposeMarketing:
			return Window{MessagingType: MessagingUpdate}, nil
		default:
			return Window{MessagingType: MessagingResponse}, nil
		}
	}
	if age >= HumanAgentWindow {
		return Window{}, Errorf(EForbidden, "the customer last wrote %s ago; %s allows agent replies for 7 days", daysAgo(age), platform)
	}
	if purpose != PurposeAgent {
		return Window{}, Errorf(EForbidden, "the customer last wrote %s ago; outside 24 hours %s allows only replies typed by an agent (%s messages are refused)", hoursOrDays(age), platform, purpose)
	}
	return Window{MessagingType: MessagingTag, Tag: TagHumanAgent}, nil
}

// whatsAppWindow lets anything through inside 24 hours and only approved
// templates outside, as the Cloud API would (error 131047) after billing a
// request for nothing.
func whatsAppWindow(last, now time.Time, msgs []OutboundMessage) error {
	if !last.IsZero() && now.Sub(last) < StandardWindow {
		return nil
	}
	for i, m := range msgs {
		if m.Template == nil {
			when := "has never written"
			if !last.IsZero() {
				when = "last wrote " + hoursOrDays(now.Sub(last)) + " ago"
			}
			return Errorf(EForbidden, "message %d is not a template but the customer %s; outside 24 hours WhatsApp only delivers approved templates (error 131047, re-engagement message)", i+1, when)
		}
	}
	return nil
}

// daysAgo renders an age in whole days, the unit of Messenger's 7-day rule.
func daysAgo(age time.Duration) string {
	d := int(age / (24 * time.Hour))
	if d == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", d)
}

// hoursOrDays renders an age past 24 hours in hours below two days, else days.
func hoursOrDays(age time.Duration) string {
	if age < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(age/time.Hour))
	}
	return daysAgo(age)
}
