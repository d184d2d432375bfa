package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/bot"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The bot builder (SPEC §3): bots of modules of cards. Every role may read
// them; writing needs PermManageRules, the roles that edit the team's other
// automatic answers (admin, supervisor, CS manager, marketer), since a bot
// is one. A definition is checked by bot.Validate before it is stored, and a
// refusal answers 400 with the module, card and rule it breaks.

// BotStore is what the API needs of bot storage.
type BotStore interface {
	CreateBot(ctx context.Context, b *bot.Bot) error
	GetBot(ctx context.Context, teamID, id string) (*bot.Bot, error)
	ListBots(ctx context.Context, teamID string) ([]*bot.Bot, error)
	UpdateBot(ctx context.Context, teamID, id string, fn func(*bot.Bot) (*bot.Bot, error)) (*bot.Bot, error)
	DeleteBot(ctx context.Context, teamID, id string) error
	// MarkBotGone marks invalid the auto-reply rules that reply with a
	// deleted bot (001:L4071).
	MarkBotGone(ctx context.Context, teamID, botID string) error
}

// MaxBotBody caps the body of POST and PUT /v1/bots: a definition of many
// modules takes more than MaxRequestBody, and the stored bot must stay within
// one DynamoDB item (400 KB).
const MaxBotBody = 256 << 10

// botInput is the body of POST /v1/bots and PUT /v1/bots/{id}: the whole
// definition. On PUT, version, when sent, must be the stored version, so two
// editors cannot overwrite each other unknowingly.
type botInput struct {
	Name         string                    `json:"name"`
	ChannelKinds []switchboard.ChannelKind `json:"channelKinds"`
	Modules      []bot.Module              `json:"modules"`
	Refs         map[string]string         `json:"refs"`
	Welcome      map[string]string         `json:"welcome"`
	Version      *int64                    `json:"version"`
}

// copyInput is the optional body of POST /v1/bots/{id}/copy.
type copyInput struct {
	Name string `json:"name"`
}

// botSummary is a bot in the list: its definition is fetched one by one.
type botSummary struct {
	ID           string                    `json:"id"`
	Name         string                    `json:"name"`
	ChannelKinds []switchboard.ChannelKind `json:"channelKinds"`
	ModuleCount  int                       `json:"moduleCount"`
	Refs         map[string]string         `json:"refs,omitempty"`
	Welcome      map[string]string         `json:"welcome,omitempty"`
	Version      int64                     `json:"version"`
	CreatedAt    time.Time                 `json:"createdAt"`
	UpdatedAt    time.Time                 `json:"updatedAt"`
}

// botStore returns the bot store, or EUnavailable when the deployment has
// none.
func (h *Handler) botStore() (BotStore, error) {
	return wired(h.bots, "the bot builder is")
}

// wired returns an optional dependency of the handler, or EUnavailable
// saying that what (a subject with its verb, "site keys are") is not
// configured, so a deployment that leaves one out fails loudly on its routes
// rather than at start.
func wired[T any](dep T, what string) (T, error) {
	if any(dep) == nil {
		var zero T
		return zero, switchboard.Errorf(switchboard.EUnavailable, "%s not configured in this deployment", what)
	}
	return dep, nil
}

// decodeBot reads a bot body, up to MaxBotBody; empty is allowed only when
// optional.
func decodeBot(r *request, v any, optional bool) error {
	body, err := apigw.Body(r.raw, MaxBotBody)
	if err != nil {
		return err
	}
	if optional && strings.TrimSpace(string(body)) == "" {
		return nil
	}
	return decodeJSON(body, v)
}

func (h *Handler) listBots(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	bs, err := bots.ListBots(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := make([]botSummary, 0, len(bs))
	for _, b := range bs {
		items = append(items, botSummary{
			ID: b.ID, Name: b.Name, ChannelKinds: b.ChannelKinds, ModuleCount: len(b.Modules),
			Refs: b.Refs, Welcome: b.Welcome, Version: b.Version, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		})
	}
	return apigw.JSON(http.StatusOK, list[botSummary]{Items: items}), nil
}

func (h *Handler) getBot(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	b, err := bots.GetBot(ctx, r.caller.TeamID, r.param("id"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, b), nil
}

func (h *Handler) createBot(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in botInput
	if err := decodeBot(r, &in, false); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if in.Version != nil {
		return events.APIGatewayV2HTTPResponse{}, switchboard.Errorf(switchboard.EInvalid, "a new bot has no version; send version only when replacing a bot")
	}
	b := &bot.Bot{ID: h.newID(), TeamID: r.caller.TeamID}
	in.apply(b, h.newID)
	if err := h.checkBot(ctx, b); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := bots.CreateBot(ctx, b); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, b), nil
}

// apply copies the definition onto b, naming modules that came without an
// id (nothing can lead to them yet, so any fresh id will do).
func (in *botInput) apply(b *bot.Bot, newID switchboard.IDGen) {
	b.Name, b.ChannelKinds, b.Modules, b.Refs, b.Welcome = strings.TrimSpace(in.Name), in.ChannelKinds, in.Modules, in.Refs, in.Welcome
	for i := range b.Modules {
		if b.Modules[i].ID == "" {
			b.Modules[i].ID = newID()
		}
	}
}

// checkBot validates a definition, and its welcome channels against the
// team's: each must exist and be of a kind the bot serves.
func (h *Handler) checkBot(ctx context.Context, b *bot.Bot) error {
	if err := bot.Validate(b, nil); err != nil {
		return err
	}
	if len(b.Welcome) == 0 {
		return nil
	}
	chs, err := h.channels.ListChannels(ctx, b.TeamID)
	if err != nil {
		return err
	}
	kinds := map[string]switchboard.ChannelKind{}
	for _, c := range chs {
		kinds[c.ID] = c.Kind
	}
	for ch := range b.Welcome {
		k, ok := kinds[ch]
		if !ok {
			return switchboard.Errorf(switchboard.EInvalid, "welcome names channel %s, which is not a channel of the team", ch)
		}
		if !b.Serves(k) {
			return switchboard.Errorf(switchboard.EInvalid, "welcome names channel %s, a %s channel, but the bot is not published on %s", ch, k, k)
		}
	}
	return nil
}

func (h *Handler) updateBot(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in botInput
	if err := decodeBot(r, &in, false); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	b, err := bots.UpdateBot(ctx, r.caller.TeamID, r.param("id"), func(cur *bot.Bot) (*bot.Bot, error) {
		if in.Version != nil && *in.Version != cur.Version {
			return nil, switchboard.Errorf(switchboard.EConflict, "the bot was changed since version %d (it is at version %d); reload it and edit again", *in.Version, cur.Version)
		}
		in.apply(cur, h.newID)
		return cur, h.checkBot(ctx, cur)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusOK, b), nil
}

func (h *Handler) deleteBot(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	id := r.param("id")
	if _, err := bots.GetBot(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// The rules that reply with the bot are marked invalid first (001:L4071):
	// marking is idempotent, so if the delete then fails, retrying it marks
	// nothing new and deletes; the other order could leave rules unmarked.
	if err := bots.MarkBotGone(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := bots.DeleteBot(ctx, r.caller.TeamID, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
}

// copyBot copies a bot (001:L3756, 「複製」): a new bot with new module ids,
// its buttons, branches and delays leading to the copies. Refs and welcomes
// are not copied, since an entry point leads to one bot only.
func (h *Handler) copyBot(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	bots, err := h.botStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in copyInput
	if err := decodeBot(r, &in, true); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	src, err := bots.GetBot(ctx, r.caller.TeamID, r.param("id"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = copyName(src.Name)
	}
	b := bot.Copy(src, h.newID(), name, h.newID)
	if err := h.checkBot(ctx, b); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := bots.CreateBot(ctx, b); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, b), nil
}

// copyName is "<name> (copy)", cut so it stays within bot.MaxNameLen.
func copyName(name string) string {
	const suffix = " (copy)"
	max := bot.MaxNameLen - utf8.RuneCountInString(suffix)
	if utf8.RuneCountInString(name) > max {
		name = string([]rune(name)[:max])
	}
	return name + suffix
}
