package httpapi

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/apigw"
)

// openAPIDoc is the OpenAPI 3.1 description of this API, served at
// GET /v1/openapi.yaml so clients can be generated from the running deployment.
//
//go:embed openapi.yaml
var openAPIDoc string

func (h *Handler) openAPI(context.Context, *request) (events.APIGatewayV2HTTPResponse, error) {
	resp := apigw.Text(http.StatusOK, openAPIDoc)
	resp.Headers["content-type"] = "application/yaml; charset=utf-8"
	return resp, nil
}
