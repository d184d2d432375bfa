package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// memAutomations keeps the automation settings, the cart and payment
// reminder configuration and the site keys in memory, scoped by team the way
// the DynamoDB store and remarketing.Service are: a channel or key of another
// team is ENotFound. The rules behind each setting are tested in packages
// cart, payreminder and remarketing; here only the API's part matters.
type memAutomations struct {
	mu       sync.Mutex
	channels ChannelStore
	settings map[string]switchboard.AssignSettings
	configs  map[string]map[string]cart.Config // team -> channel -> config
	popup    map[string]cart.PopupPolicy
	pay      map[string]payreminder.Settings
	keys     map[string]switchboard.SiteKey // id -> key
	// stats answers CartStats for every channel.
	stats cart.Summary
}

func newMemAutomations(channels ChannelStore) *memAutomations {
	return &memAutomations{
		channels: channels,
		settings: map[string]switchboard.AssignSettings{},
		configs:  map[string]map[string]cart.Config{},
		popup:    map[string]cart.PopupPolicy{},
		pay:      map[string]payreminder.Settings{},
		keys:     map[string]switchboard.SiteKey{},
	}
}

// snapshotTeam serialises everything kept for teamID.
func (m *memAutomations) snapshotTeam(teamID string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []switchboard.SiteKey
	for _, k := range m.keys {
		if k.TeamID == teamID {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].ID < keys[j].ID })
	b, _ := json.Marshal([]any{m.settings[teamID], m.configs[teamID], m.popup[teamID], m.pay[teamID], keys})
	return string(b)
}

func (m *memAutomations) addSiteKey(k switchboard.SiteKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k.ID] = k
}

func (m *memAutomations) GetAssignSettings(_ context.Context, teamID string) (*switchboard.AssignSettings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.settings[teamID]
	return &s, nil
}

func (m *memAutomations) PutAssignSettings(_ context.Context, teamID string, a *switchboard.AssignSettings) error {
	if err := a.AutoEnd.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a.UpdatedAt = testNow
	m.settings[teamID] = *a
	return nil
}

func (m *memAutomations) CartConfigs(ctx context.Context, teamID string) ([]cart.Config, error) {
	chs, err := m.channels.ListChannels(ctx, teamID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []cart.Config{}
	for _, ch := range chs {
		if c, ok := m.configs[teamID][ch.ID]; ok {
			out = append(out, c)
		} else if cart.SupportsKind(ch.Kind) {
			out = append(out, cart.Config{TeamID: teamID, ChannelID: ch.ID, ChannelKind: ch.Kind})
		}
	}
	return out, nil
}

func (m *memAutomations) SaveCartConfig(ctx context.Context, cfg cart.Config) (*cart.Config, error) {
	ch, err := m.channels.GetChannel(ctx, cfg.TeamID, cfg.ChannelID)
	if err != nil {
		return nil, err
	}
	cfg.ChannelKind = ch.Kind
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.configs[cfg.TeamID] == nil {
		m.configs[cfg.TeamID] = map[string]cart.Config{}
	}
	cfg.Version++
	m.configs[cfg.TeamID][cfg.ChannelID] = cfg
	return &cfg, nil
}

func (m *memAutomations) SetActiveCartChannel(ctx context.Context, teamID, channelID string) ([]cart.Config, error) {
	if channelID != "" {
		if _, err := m.channels.GetChannel(ctx, teamID, channelID); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	var in []cart.Config
	for _, c := range m.configs[teamID] {
		in = append(in, c)
	}
	out, err := cart.SetActiveChannel(in, channelID, testNow)
	if err == nil {
		for _, c := range out {
			m.configs[teamID][c.ChannelID] = c
		}
	}
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return m.CartConfigs(ctx, teamID)
}

func (m *memAutomations) CartStats(ctx context.Context, teamID, channelID string, from, to time.Time) (cart.Summary, error) {
	if _, err := m.channels.GetChannel(ctx, teamID, channelID); err != nil {
		return cart.Summary{}, err
	}
	return m.stats, nil
}

func (m *memAutomations) ExportCartOrders(ctx context.Context, w io.Writer, teamID, channelID string, from, to time.Time) error {
	if _, err := m.channels.GetChannel(ctx, teamID, channelID); err != nil {
		return err
	}
	if err := cart.CheckExportRange(from, to, time.UTC); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "Platform,Channel Name\nLINE,%s\n", channelID)
	return err
}

func (m *memAutomations) PopupPolicy(_ context.Context, teamID string) (cart.PopupPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.popup[teamID]; ok {
		return p, nil
	}
	return cart.PopupPolicy{MaxDisplaysPerDay: 1, ShowAfterNthAddToCart: 1}, nil
}

func (m *memAutomations) SavePopupPolicy(_ context.Context, teamID string, p cart.PopupPolicy) (cart.PopupPolicy, error) {
	if err := p.Validate(); err != nil {
		return cart.PopupPolicy{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.popup[teamID] = p
	return p, nil
}

func (m *memAutomations) PayReminderSettings(_ context.Context, teamID string) (payreminder.Settings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.pay[teamID]; ok {
		return s, nil
	}
	return payreminder.DefaultSettings(), nil
}

func (m *memAutomations) SavePayReminderSettings(_ context.Context, teamID string, in payreminder.Settings) (payreminder.Settings, error) {
	if err := in.Validate(); err != nil {
		return payreminder.Settings{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	in.Version = m.pay[teamID].Version + 1
	m.pay[teamID] = in
	return in, nil
}

func (m *memAutomations) CreateSiteKey(_ context.Context, k *switchboard.SiteKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k.ID] = *k
	return nil
}

func (m *memAutomations) ListSiteKeys(_ context.Context, teamID string) ([]*switchboard.SiteKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*switchboard.SiteKey
	for _, k := range m.keys {
		if k.TeamID == teamID {
			out = append(out, &k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memAutomations) DeleteSiteKey(_ context.Context, teamID, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := m.keys[id]; !ok || k.TeamID != teamID {
		return switchboard.Errorf(switchboard.ENotFound, "site key not found")
	}
	delete(m.keys, id)
	return nil
}
