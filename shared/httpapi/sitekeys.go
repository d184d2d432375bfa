package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// Site keys authenticate a team's website to the pixel endpoints (package
// remarketing). Like API tokens, only their hash is stored and the plaintext
// is shown once, so they are managed with the tokens permission.

// SiteKeyStore is what the API needs of site key storage.
type SiteKeyStore interface {
	CreateSiteKey(ctx context.Context, k *switchboard.SiteKey) error
	ListSiteKeys(ctx context.Context, teamID string) ([]*switchboard.SiteKey, error)
	DeleteSiteKey(ctx context.Context, teamID, id string) error
}

// siteKeyCreate is the body of POST /v1/site-keys.
type siteKeyCreate struct {
	Name string                  `json:"name"`
	Kind switchboard.SiteKeyKind `json:"kind"`
}

// siteKeyView is a site key as the API lists it: never its hash.
type siteKeyView struct {
	ID        string                  `json:"id"`
	Name      string                  `json:"name"`
	Kind      switchboard.SiteKeyKind `json:"kind"`
	CreatedAt time.Time               `json:"createdAt"`
}

// createdSiteKeyView answers POST /v1/site-keys: the one time the key itself
// is shown.
type createdSiteKeyView struct {
	siteKeyView
	Key string `json:"key"`
}

func newSiteKeyView(k *switchboard.SiteKey) siteKeyView {
	return siteKeyView{ID: k.ID, Name: k.Name, Kind: k.Kind, CreatedAt: k.CreatedAt}
}

// siteKeyStore returns the site key store, or EUnavailable when the
// deployment has none.
func (h *Handler) siteKeyStore() (SiteKeyStore, error) {
	return wired(h.siteKeys, "site keys are")
}

func (h *Handler) listSiteKeys(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	store, err := h.siteKeyStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	ks, err := store.ListSiteKeys(ctx, r.caller.TeamID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	items := make([]siteKeyView, 0, len(ks))
	for _, k := range ks {
		items = append(items, newSiteKeyView(k))
	}
	return apigw.JSON(http.StatusOK, list[siteKeyView]{Items: items}), nil
}

func (h *Handler) createSiteKey(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	store, err := h.siteKeyStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in siteKeyCreate
	if err := decode(r, &in); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	k := &switchboard.SiteKey{ID: h.newID(), TeamID: r.caller.TeamID, Name: in.Name, Kind: in.Kind, CreatedAt: h.now().UTC()}
	if err := k.Validate(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	plaintext, hash := switchboard.NewSiteKeySecret(k.Kind)
	k.Hash = hash
	if err := store.CreateSiteKey(ctx, k); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.JSON(http.StatusCreated, createdSiteKeyView{siteKeyView: newSiteKeyView(k), Key: plaintext}), nil
}

func (h *Handler) deleteSiteKey(ctx context.Context, r *request) (events.APIGatewayV2HTTPResponse, error) {
	store, err := h.siteKeyStore()
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if err := store.DeleteSiteKey(ctx, r.caller.TeamID, r.param("id")); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return apigw.Empty(http.StatusNoContent), nil
}
