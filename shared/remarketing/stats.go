package remarketing

import (
	"context"
	"io"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// CartStats returns the results of a channel's cart reminders for the period
// [from, to), per message number and in total (cart.Summarize): sends, unique
// clicks, and the orders placed in the period credited to the last reminder
// click before them within the attribution window (clicks from before the
// period count for that).
func (s *Service) CartStats(ctx context.Context, teamID, channelID string, from, to time.Time) (cart.Summary, error) {
	if !to.After(from) {
		return cart.Summary{}, switchboard.Errorf(switchboard.EInvalid, "the period must end after it starts")
	}
	sends, err := s.stats.CartSends(ctx, teamID, channelID, from, to)
	if err != nil {
		return cart.Summary{}, err
	}
	clicks, atts, err := s.attributions(ctx, teamID, channelID, from, to)
	if err != nil {
		return cart.Summary{}, err
	}
	return cart.Summarize(sends, clicks, atts, from, to), nil
}

// attributions reads the clicks that may credit orders of [from, to) and those
// orders, and attributes them.
func (s *Service) attributions(ctx context.Context, teamID, channelID string, from, to time.Time) ([]cart.ClickRecord, []cart.Attribution, error) {
	clicks, err := s.stats.CartClicks(ctx, teamID, channelID, from.Add(-s.window), to)
	if err != nil {
		return nil, nil, err
	}
	orders, err := s.stats.CartOrders(ctx, teamID, from, to)
	if err != nil {
		return nil, nil, err
	}
	return clicks, cart.Attribute(clicks, orders, s.window), nil
}

// ExportCartOrders writes the CSV order export of a channel's cart reminders
// for [from, to), at most 31 days in the team's time zone (001:L3724), dates
// in that zone.
func (s *Service) ExportCartOrders(ctx context.Context, w io.Writer, teamID, channelID string, from, to time.Time) error {
	loc, err := s.location(ctx, teamID)
	if err != nil {
		return err
	}
	if err := cart.CheckExportRange(from, to, loc); err != nil {
		return err
	}
	ch, err := s.dir.GetChannel(ctx, teamID, channelID)
	if err != nil {
		return err
	}
	_, atts, err := s.attributions(ctx, teamID, channelID, from, to)
	if err != nil {
		return err
	}
	rows, err := cart.ExportRows(ch.Kind, ch.Name, atts, from, to, loc)
	if err != nil {
		return err
	}
	return cart.WriteCSV(w, rows, loc)
}

// SaveCartConfig validates and stores a team's cart configuration for one of
// its channels (cart.ApplyConfigChange): delays already scheduled keep their
// time, and turning it off voids its pending reminders. Turning it on goes
// through SetActiveCartChannel, which turns the others off (001:L1907). The
// channel's kind comes from the channel record.
func (s *Service) SaveCartConfig(ctx context.Context, cfg cart.Config) (*cart.Config, error) {
	ch, err := s.dir.GetChannel(ctx, cfg.TeamID, cfg.ChannelID)
	if err != nil {
		return nil, err
	}
	cfg.ChannelKind = ch.Kind
	now := s.clock()
	for attempt := 0; attempt < 5; attempt++ {
		old, err := s.carts.GetCartConfig(ctx, cfg.TeamID, cfg.ChannelID)
		if isNotFound(err) {
			old, err = &cart.Config{TeamID: cfg.TeamID, ChannelID: cfg.ChannelID, ChannelKind: ch.Kind}, nil
		}
		if err != nil {
			return nil, err
		}
		enable := cfg.Enabled && !old.Enabled
		want := cfg
		want.Enabled = cfg.Enabled && old.Enabled
		next, err := cart.ApplyConfigChange(*old, want, now)
		if err != nil {
			return nil, err
		}
		if enable {
			// Validate as enabled before storing anything.
			probe := next
			probe.Enabled = true
			if err := probe.Validate(); err != nil {
				return nil, err
			}
		}
		err = s.carts.PutCartConfigs(ctx, &next)
		if switchboard.ErrorCode(err) == switchboard.EConflict {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !enable {
			return &next, nil
		}
		all, err := s.SetActiveCartChannel(ctx, cfg.TeamID, cfg.ChannelID)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if all[i].ChannelID == cfg.ChannelID {
				return &all[i], nil
			}
		}
		return &next, nil
	}
	return nil, switchboard.Errorf(switchboard.EConflict, "the cart configuration keeps changing; try again")
}

// SetActiveCartChannel runs cart remarketing on channelID and turns it off on
// every other channel of the team, all in one transaction (cart.SetActiveChannel);
// an empty channelID turns it off everywhere. Turned-off configurations get a
// new epoch, which voids their pending reminders.
func (s *Service) SetActiveCartChannel(ctx context.Context, teamID, channelID string) ([]cart.Config, error) {
	for attempt := 0; attempt < 5; attempt++ {
		stored, err := s.carts.ListCartConfigs(ctx, teamID)
		if err != nil {
			return nil, err
		}
		in := make([]cart.Config, len(stored))
		for i, c := range stored {
			in[i] = *c
		}
		out, err := cart.SetActiveChannel(in, channelID, s.clock())
		if err != nil {
			return nil, err
		}
		var changed []*cart.Config
		for i := range out {
			if out[i].Enabled != in[i].Enabled || out[i].Epoch != in[i].Epoch {
				changed = append(changed, &out[i])
			}
		}
		err = s.carts.PutCartConfigs(ctx, changed...)
		if switchboard.ErrorCode(err) == switchboard.EConflict {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, switchboard.Errorf(switchboard.EConflict, "cart configurations keep changing; try again")
}
