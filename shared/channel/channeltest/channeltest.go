// Package channeltest holds the checks that every channel package's tests and
// fuzz targets apply, so the channel.Webhook contract is enforced the same way
// for each platform.
package channeltest

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// CheckParse fails t unless a Parse result keeps the channel.Webhook contract:
// a failure is an EInvalid error with no events, and every event is stamped
// with the channel and complete enough for the router (an id, a customer, a
// time, and the payload its type calls for).
func CheckParse(t testing.TB, ch *switchboard.Channel, evs []switchboard.InboundEvent, err error) {
	t.Helper()
	if err != nil {
		if code := switchboard.ErrorCode(err); code != switchboard.EInvalid {
			t.Fatalf("Parse error code = %q, want %q (err %v)", code, switchboard.EInvalid, err)
		}
		if evs != nil {
			t.Fatalf("Parse returned %d events with an error", len(evs))
		}
		return
	}
	for i, e := range evs {
		if e.TeamID != ch.TeamID || e.ChannelID != ch.ID || e.ChannelKind != ch.Kind {
			t.Fatalf("event %d stamped %q/%q/%q, want %q/%q/%q", i, e.TeamID, e.ChannelID, e.ChannelKind, ch.TeamID, ch.ID, ch.Kind)
		}
		if e.TeamID == "" || e.ChannelID == "" {
			t.Fatalf("event %d has no team or channel id", i)
		}
		if e.ID == "" || e.CustomerID == "" || e.OccurredAt.IsZero() {
			t.Fatalf("event %d lacks id, customer or time: %+v", i, e)
		}
		if e.OccurredAt.Location() != time.UTC {
			t.Fatalf("event %d time %v is not UTC", i, e.OccurredAt)
		}
		ok := false
		switch e.Type {
		case switchboard.InMessage:
			ok = e.Message != nil && e.Message.ID != "" && e.Message.Kind != ""
		case switchboard.InPostback:
			ok = e.Postback != nil
		case switchboard.InReferral:
			ok = e.Referral != nil
		case switchboard.InStatus:
			ok = e.Status != nil && e.Status.Status != ""
		case switchboard.InFollow, switchboard.InUnfollow:
			ok = true
		}
		if !ok {
			t.Fatalf("event %d of type %q lacks its payload: %+v", i, e.Type, e)
		}
	}
}

// CheckVerifyError fails t unless a Verify failure is EUnauthorized, the only
// code the contract allows.
func CheckVerifyError(t testing.TB, err error) {
	t.Helper()
	if err != nil && switchboard.ErrorCode(err) != switchboard.EUnauthorized {
		t.Fatalf("Verify error code = %q, want %q (err %v)", switchboard.ErrorCode(err), switchboard.EUnauthorized, err)
	}
}
