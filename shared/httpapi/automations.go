package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/cart"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The settings of the automations that run on timers (SPEC §2 auto-end and
// assignment by working hours, SPEC §6 cart remarketing and payment
// reminders), and the cart statistics. Every role may read a setting;
// changing one, and reading statistics and the order export (which list
// members' orders), needs PermManageRules, the roles that edit the team's
// other automatic messages (admin, supervisor, CS manager, marketer).

// SettingsStore keeps the team's automation switches that the router reads
// with its rules. *dynamo.Store implements it.
type SettingsStore interface {
	GetAssignSettings(ctx context.Context, teamID string) (*switchboard.AssignSettings, error)
	PutAssignSettings(ctx context.Context, teamID string, a *switchboard.AssignSettings) error
}

// Automations configures cart remarketing and payment reminders and reports
// their results. *remarketing.Service implements it; the rules of each
// setting (one active cart channel, scheduled reminders keeping their time,
// moved payment reminders) live there, not here.
type Automations interface {
	CartConfigs(ctx context.Context, teamID string) ([]cart.Config, error)
	SaveCartConfig(ctx context.Context, cfg cart.Config) (*cart.Config, error)
	SetActiveCartChannel(ctx context.Context, teamID, channelID string) ([]cart.Config, error)
	CartStats(ctx context.Context, teamID, channelID string, from, to time.Time) (cart.Summary, error)
	ExportCartOrders(ctx context.Context, w io.Writer, teamID, channelID string, from, to time.Time) error
	PopupPolicy(ctx context.Context, teamID string) (cart.PopupPolicy, error)
	SavePopupPolicy(ctx context.Context, teamID string, p cart.PopupPolicy) (cart.PopupPolicy, error)
	PayReminderSettings(ctx context.Context, teamID string) (payreminder.Settings, error)
	SavePayReminderSettings(ctx context.Context, teamID string, in payreminder.Settings) (payreminder.Settings, error)
}

// settingsStore returns the settings store, or EUnavailable when the
// deployment has none.
func (h *Handler) settingsStore() (SettingsStore, error) {
	return wired(h.settings, "automation settings are")
}

// automationService returns the automations service, or EUnavailable when
// the deployment has none.
func (h *Handler) automationService() (Automations, error) {
	return wired(h.automations, "cart remarketing and payment reminders are")
}

// automationsJSON runs fn with the automations service and answers its
// result as JSON.
func (h *Handler) automationsJSON(fn func(Automations) (any, error)) (events.APIGatewayV2HTTPResponse, error) {
	svc, err := h.automationService()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	v, err := fn(svc)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, v), nil
}

// autoEndView is the auto-end setting as the API shows it: the delay in
// whole minutes, as operators enter it, rather than nanoseconds.
type autoEndView struct {
	Enabled      bool                   `json:"enabled"`
	AfterMinutes int64                  `json:"afterMinutes"`
	Survey       switchboard.SurveyMode `json:"survey"`
	SurveyText   string                 `json:"surveyText"`
}

// automationSettings is the body of PUT /v1/settings/automation and the
// answer of both its routes. The PUT replaces both switches, so a client
// reads, changes and writes the whole document.
type automationSettings struct {
	WorkingHours bool        `json:"workingHours"`
	AutoEnd      autoEndView `json:"autoEnd"`
	UpdatedAt    *time.Time  `json:"updatedAt,omitempty"`
}

func newAutomationSettings(a *switchboard.AssignSettings) automationSettings {
	out := automationSettings{
		WorkingHours: a.WorkingHours,
		AutoEnd: autoEndView{
			Enabled:      a.AutoEnd.Enabled,
			AfterMinutes: int64(a.AutoEnd.After / time.Minute),
			Survey:       a.AutoEnd.Survey,
			SurveyText:   a.AutoEnd.SurveyText,
		},
	}
	if out.AutoEnd.Survey == "" {
		out.AutoEnd.Survey = switchboard.SurveyNone
	}
	if !a.UpdatedAt.IsZero() {
		at := a.UpdatedAt
		out.UpdatedAt = &at
	}
	return out
}

func (h *Handler) getAutomationSettings(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	store, err := h.settingsStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	a, err := store.GetAssignSettings(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, newAutomationSettings(a)), nil
}

func (h *Handler) putAutomationSettings(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	store, err := h.settingsStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in automationSettings
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Bound the minutes before multiplying, so a huge number cannot wrap
	// around into a valid-looking duration.
	if in.AutoEnd.AfterMinutes < 0 || in.AutoEnd.AfterMinutes > int64(switchboard.MaxAutoEndAfter/time.Minute) {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid,
			"autoEnd.afterMinutes must be 1 to %d (7 days)", int64(switchboard.MaxAutoEndAfter/time.Minute))
	}
	a := &switchboard.AssignSettings{
		WorkingHours: in.WorkingHours,
		AutoEnd: switchboard.AutoEnd{
			Enabled:    in.AutoEnd.Enabled,
			After:      time.Duration(in.AutoEnd.AfterMinutes) * time.Minute,
			Survey:     in.AutoEnd.Survey,
			SurveyText: in.AutoEnd.SurveyText,
		},
	}
	if err := store.PutAssignSettings(ctx, r.caller.TeamID, a); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, newAutomationSettings(a)), nil
}

// cartConfigInput is the body of PUT /v1/cart/configs/{channelId}: the whole
// configuration of one channel. The channel comes from the path, its kind
// from the channel record.
type cartConfigInput struct {
	Enabled      bool                 `json:"enabled"`
	Messages     []cart.MessageConfig `json:"messages"`
	RestartCycle cart.Delay           `json:"restartCycle"`
	DoNotDisturb cart.DoNotDisturb    `json:"doNotDisturb"`
}

// cartConfigView is a configuration as the API shows it, with the warnings
// the settings page should show beside a valid one.
type cartConfigView struct {
	cart.Config
	Advisories []string `json:"advisories"`
}

func newCartConfigView(c cart.Config) cartConfigView {
	if c.Messages == nil {
		c.Messages = []cart.MessageConfig{}
	}
	v := cartConfigView{Config: c, Advisories: c.Advisories()}
	if v.Advisories == nil {
		v.Advisories = []string{}
	}
	return v
}

func cartConfigViews(cs []cart.Config) list[cartConfigView] {
	items := make([]cartConfigView, 0, len(cs))
	for _, c := range cs {
		items = append(items, newCartConfigView(c))
	}
	return list[cartConfigView]{Items: items}
}

func (h *Handler) listCartConfigs(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		cs, err := svc.CartConfigs(ctx, r.caller.TeamID)
		return cartConfigViews(cs), err
	})
}

func (h *Handler) putCartConfig(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		var in cartConfigInput
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		saved, err := svc.SaveCartConfig(ctx, cart.Config{
			TeamID:       r.caller.TeamID,
			ChannelID:    r.param("channelId"),
			Enabled:      in.Enabled,
			Messages:     in.Messages,
			RestartCycle: in.RestartCycle,
			DoNotDisturb: in.DoNotDisturb,
		})
		if err != nil {
			return nil, err
		}
		return newCartConfigView(*saved), nil
	})
}

// activeChannelInput is the body of PUT /v1/cart/active-channel.
type activeChannelInput struct {
	// ChannelID is the channel to run cart remarketing on; empty turns it
	// off on every channel.
	ChannelID *string `json:"channelId"`
}

func (h *Handler) setActiveCartChannel(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		var in activeChannelInput
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if in.ChannelID == nil {
			return nil, switchboard.Errorf(switchboard.EInvalid, `channelId is required; send "" to turn cart remarketing off on every channel`)
		}
		cs, err := svc.SetActiveCartChannel(ctx, r.caller.TeamID, *in.ChannelID)
		return cartConfigViews(cs), err
	})
}

func (h *Handler) getPopupPolicy(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		return svc.PopupPolicy(ctx, r.caller.TeamID)
	})
}

func (h *Handler) putPopupPolicy(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		var in cart.PopupPolicy
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return svc.SavePopupPolicy(ctx, r.caller.TeamID, in)
	})
}

// indexStatsView is one row of the cart statistics, with the two rates the
// statistics page shows (001:L3741).
type indexStatsView struct {
	Index        int     `json:"index"`
	Sends        int     `json:"sends"`
	UniqueClicks int     `json:"uniqueClicks"`
	CTR          float64 `json:"ctr"`
	Orders       int     `json:"orders"`
	Conversion   float64 `json:"conversion"`
	// Revenue is per currency, as decimal strings ("1280.00"), since
	// amounts in different currencies do not add.
	Revenue map[string]string `json:"revenue"`
}

func newIndexStatsView(s cart.IndexStats) indexStatsView {
	v := indexStatsView{
		Index: s.Index, Sends: s.Sends, UniqueClicks: s.UniqueClicks, CTR: s.CTR(),
		Orders: s.Orders, Conversion: s.Conversion(), Revenue: make(map[string]string, len(s.Revenue)),
	}
	for cur, a := range s.Revenue {
		v.Revenue[cur] = a.String()
	}
	return v
}

// cartStatsView answers GET /v1/cart/configs/{channelId}/stats.
type cartStatsView struct {
	ChannelID string           `json:"channelId"`
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	ByIndex   []indexStatsView `json:"byIndex"`
	Total     indexStatsView   `json:"total"`
}

func (h *Handler) cartStats(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		from, to, err := h.period(ctx, r)
		if err != nil {
			return nil, err
		}
		channelID := r.param("channelId")
		if _, err := h.channels.GetChannel(ctx, r.caller.TeamID, channelID); err != nil {
			return nil, err
		}
		s, err := svc.CartStats(ctx, r.caller.TeamID, channelID, from, to)
		if err != nil {
			return nil, err
		}
		out := cartStatsView{ChannelID: channelID, From: from, To: to, ByIndex: make([]indexStatsView, 0, len(s.ByIndex)), Total: newIndexStatsView(s.Total)}
		for _, i := range s.ByIndex {
			out.ByIndex = append(out.ByIndex, newIndexStatsView(i))
		}
		return out, nil
	})
}

// exportCartOrders answers the order export as a CSV download (001:L3724).
func (h *Handler) exportCartOrders(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	svc, err := h.automationService()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	from, to, err := h.period(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	channelID := r.param("channelId")
	var buf bytes.Buffer
	if err := svc.ExportCartOrders(ctx, &buf, r.caller.TeamID, channelID, from, to); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	name := fmt.Sprintf("cart-orders-%s-%s-%s.csv", channelID, from.UTC().Format("20060102T150405Z"), to.UTC().Format("20060102T150405Z"))
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers: map[string]string{
			"content-type":        "text/csv; charset=utf-8",
			"content-disposition": `attachment; filename="` + name + `"`,
		},
		Body: buf.String(),
	}, nil
}

// period reads the from and to query parameters of the statistics and the
// export, in the team's time zone (parsePeriod).
func (h *Handler) period(ctx context.Context, r *request) (time.Time, time.Time, error) {
	t, err := h.teams.GetTeam(ctx, r.caller.TeamID)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return parsePeriod(r.query(), t.Location())
}

// parsePeriod reads a reporting period [from, to) from the from and to query
// parameters. Each is a date (2026-11-01), read in loc, or an RFC 3339 time.
// A date as to includes that whole day, as a date picker means it: from
// 2026-11-01 to 2026-11-30 is all of November.
func parsePeriod(q url.Values, loc *time.Location) (time.Time, time.Time, error) {
	parse := func(name string, endOfDay bool) (time.Time, error) {
		s := q.Get(name)
		if s == "" {
			return time.Time{}, switchboard.Errorf(switchboard.EInvalid, "%s is required: a date such as 2026-11-01 or an RFC 3339 time", name)
		}
		if len(s) > 64 {
			return time.Time{}, switchboard.Errorf(switchboard.EInvalid, "%s is too long", name)
		}
		if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
			if endOfDay {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, switchboard.Errorf(switchboard.EInvalid, "%s must be a date such as 2026-11-01 or an RFC 3339 time such as 2026-11-01T00:00:00+08:00", name)
		}
		return t, nil
	}
	from, err := parse("from", false)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err := parse("to", true)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !to.After(from) {
		return time.Time{}, time.Time{}, switchboard.Errorf(switchboard.EInvalid, "the period must end after it starts")
	}
	return from, to, nil
}

func (h *Handler) getPayReminder(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		return svc.PayReminderSettings(ctx, r.caller.TeamID)
	})
}

// payReminderInput is the body of PUT /v1/payment-reminder: the whole setting.
type payReminderInput struct {
	Enabled   bool   `json:"enabled"`
	DaysAfter int    `json:"daysAfter"`
	Hour      int    `json:"hour"`
	Message   string `json:"message"`
	Button    string `json:"button"`
}

func (h *Handler) putPayReminder(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	return h.automationsJSON(func(svc Automations) (any, error) {
		var in payReminderInput
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return svc.SavePayReminderSettings(ctx, r.caller.TeamID, payreminder.Settings{
			Enabled: in.Enabled, DaysAfter: in.DaysAfter, Hour: in.Hour, Message: in.Message, Button: in.Button,
		})
	})
}
