package dynamo

import (
	"context"
	"time"

	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var paymentOrderRecord = record[payreminder.TrackedOrder]{
	what: "order",
	key:  func(p *payreminder.TrackedOrder) key { return paymentOrderKey(p.TeamID, p.Order.ID) },
	index: func(p *payreminder.TrackedOrder) map[string]string {
		if !p.Open() {
			return nil
		}
		ik := pendingPaymentReminder(p.TeamID, p.Order.ID)
		return map[string]string{attrGSI1PK: ik.PK, attrGSI1SK: ik.SK}
	},
	meta: func(p *payreminder.TrackedOrder) (*int64, *time.Time, *time.Time) {
		return &p.Version, &p.CreatedAt, &p.UpdatedAt
	},
	keep: func(next, cur *payreminder.TrackedOrder) {
		next.TeamID, next.CreatedAt = cur.TeamID, cur.CreatedAt
		next.Order.ID, next.Order.TeamID = cur.Order.ID, cur.TeamID
	},
}

// GetPaymentOrder reads an order of the team: one GetItem.
func (s *Store) GetPaymentOrder(ctx context.Context, teamID, orderID string) (*payreminder.TrackedOrder, error) {
	if !validKeyPart(teamID) || !validKeyPart(orderID) {
		return nil, notFound("order")
	}
	return get[payreminder.TrackedOrder](ctx, s, "order", paymentOrderKey(teamID, orderID))
}

// UpdatePaymentOrder applies fn to the order, creating it if it does not
// exist, under an optimistic version check: one GetItem and one PutItem per
// round. A new order reaches fn with its team and id set and version 0.
func (s *Store) UpdatePaymentOrder(ctx context.Context, teamID, orderID string, fn func(*payreminder.TrackedOrder) (*payreminder.TrackedOrder, error)) (*payreminder.TrackedOrder, error) {
	if !validKeyPart(teamID) || !validKeyPart(orderID) {
		return nil, switchboard.Errorf(switchboard.EInvalid, "team id or order id is missing or malformed")
	}
	fresh := func() *payreminder.TrackedOrder {
		return &payreminder.TrackedOrder{TeamID: teamID, Order: payreminder.Order{ID: orderID, TeamID: teamID}}
	}
	return update(ctx, s, paymentOrderRecord, paymentOrderKey(teamID, orderID), nil, fresh, fn)
}

// ListPendingPaymentReminders returns one page of the team's orders whose
// reminder is open (payreminder.TrackedOrder.Open): one Query of GSI1 (eventually consistent, so
// an order reported a moment ago may be missing).
func (s *Store) ListPendingPaymentReminders(ctx context.Context, teamID, cursor string, limit int) ([]*payreminder.TrackedOrder, string, error) {
	if !validKeyPart(teamID) {
		return nil, "", nil
	}
	l := pendingPaymentReminders(teamID)
	return page[payreminder.TrackedOrder](ctx, s, l, cursor, limit, "order", "list pending payment reminders")
}

// payReminderSettings is a team's setting with the team it belongs to and
// the record's bookkeeping at the top level, where the optimistic update's
// condition looks for Version.
type payReminderSettings struct {
	TeamID    string
	Settings  payreminder.Settings
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// settings returns the setting with the record's version and update time.
func (p *payReminderSettings) settings() payreminder.Settings {
	out := p.Settings
	out.Version, out.UpdatedAt = p.Version, p.UpdatedAt
	return out
}

var payReminderSettingsRecord = record[payReminderSettings]{
	what: "payment reminder setting",
	key:  func(p *payReminderSettings) key { return payReminderSettingsKey(p.TeamID) },
	meta: func(p *payReminderSettings) (*int64, *time.Time, *time.Time) {
		return &p.Version, &p.CreatedAt, &p.UpdatedAt
	},
	keep: func(next, cur *payReminderSettings) { next.TeamID, next.CreatedAt = cur.TeamID, cur.CreatedAt },
}

// GetPayReminderSettings reads the team's payment reminder setting, or
// payreminder.DefaultSettings (off, version 0) when it was never saved: one
// GetItem.
func (s *Store) GetPayReminderSettings(ctx context.Context, teamID string) (payreminder.Settings, error) {
	if !validKeyPart(teamID) {
		return payreminder.Settings{}, notFound("team")
	}
	p, err := get[payReminderSettings](ctx, s, "payment reminder setting", payReminderSettingsKey(teamID))
	if switchboard.ErrorCode(err) == switchboard.ENotFound {
		return payreminder.DefaultSettings(), nil
	}
	if err != nil {
		return payreminder.Settings{}, err
	}
	return p.settings(), nil
}

// UpdatePayReminderSettings applies fn to the team's setting (the default when
// never saved) under an optimistic version check: one GetItem and one PutItem
// per round. The version and update time fn returns are ignored; the store
// sets them.
func (s *Store) UpdatePayReminderSettings(ctx context.Context, teamID string, fn func(payreminder.Settings) (payreminder.Settings, error)) (payreminder.Settings, error) {
	if !validKeyPart(teamID) {
		return payreminder.Settings{}, switchboard.Errorf(switchboard.EInvalid, "team id is missing or malformed")
	}
	fresh := func() *payReminderSettings {
		return &payReminderSettings{TeamID: teamID, Settings: payreminder.DefaultSettings()}
	}
	out, err := update(ctx, s, payReminderSettingsRecord, payReminderSettingsKey(teamID), nil, fresh, func(p *payReminderSettings) (*payReminderSettings, error) {
		next, err := fn(p.settings())
		if err != nil {
			return nil, err
		}
		p.Settings = next
		return p, nil
	})
	if err != nil {
		return payreminder.Settings{}, err
	}
	return out.settings(), nil
}
