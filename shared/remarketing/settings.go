package remarketing

import (
	"context"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
)

// CartConfigs returns the cart configuration of every channel of the team
// that can run cart remarketing, in the order ListChannels gives: the stored
// one, or an empty, disabled one for a channel never configured, so the
// settings page can list every choice. Configurations of deleted channels are
// left out.
func (s *Service) CartConfigs(ctx context.Context, teamID string) ([]cart.Config, error) {
	channels, err := s.dir.ListChannels(ctx, teamID)
	if err != nil {
		return nil, err
	}
	stored, err := s.carts.ListCartConfigs(ctx, teamID)
	if err != nil {
		return nil, err
	}
	byChannel := make(map[string]*cart.Config, len(stored))
	for _, c := range stored {
		byChannel[c.ChannelID] = c
	}
	out := []cart.Config{}
	for _, ch := range channels {
		if !cart.SupportsKind(ch.Kind) {
			continue
		}
		if c, ok := byChannel[ch.ID]; ok {
			out = append(out, *c)
			continue
		}
		out = append(out, cart.Config{TeamID: teamID, ChannelID: ch.ID, ChannelKind: ch.Kind, Messages: []cart.MessageConfig{}})
	}
	return out, nil
}

// PopupPolicy returns the team's binding popup policy (the default when it
// was never saved).
func (s *Service) PopupPolicy(ctx context.Context, teamID string) (cart.PopupPolicy, error) {
	return s.carts.GetPopupPolicy(ctx, teamID)
}

// SavePopupPolicy validates and stores the team's binding popup policy. It
// applies from the visitor's next add-to-cart: counts already kept for the
// day stay.
func (s *Service) SavePopupPolicy(ctx context.Context, teamID string, p cart.PopupPolicy) (cart.PopupPolicy, error) {
	if err := p.Validate(); err != nil {
		return cart.PopupPolicy{}, err
	}
	if err := s.carts.PutPopupPolicy(ctx, teamID, p); err != nil {
		return cart.PopupPolicy{}, err
	}
	return p, nil
}

// PayReminderSettings returns the team's payment reminder setting (the
// default, off, when it was never saved).
func (s *Service) PayReminderSettings(ctx context.Context, teamID string) (payreminder.Settings, error) {
	return s.payments.GetPayReminderSettings(ctx, teamID)
}
