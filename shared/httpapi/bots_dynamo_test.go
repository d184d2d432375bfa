package httpapi

import (
	"fmt"
	"testing"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

var _ BotStore = (*dynamo.Store)(nil)

// TestBotsOnDynamoDB runs the bot routes over the DynamoDB store: entry points
// unique per team, copies, deletes, and nothing reaching across teams.
func TestBotsOnDynamoDB(t *testing.T) {
	cfg := awstest.Config(t)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	store := dynamo.New(ddb, awstest.Table(t, ddb))
	key, hash := switchboard.NewTokenSecret()
	api := &realAPI{t: t, adminKey: key, h: New(Config{Teams: store, Channels: store, Members: store, Tokens: store,
		Contacts: store, Conversations: store, Messages: store, Rules: store, Bots: store, AdminTokenHash: hash})}
	tokenA, a := api.team("Alpha")
	tokenB, _ := api.team("Beta")

	body := fmt.Sprintf(`{"name":"Shop","channelKinds":["line"],"refs":{"sale":"menu"},"welcome":{%q:"menu"},"modules":[
		{"id":"menu","cards":[{"type":"text","text":"Hi","buttons":[{"label":"More","action":"go_to_module","moduleId":"more"}]}]},
		{"id":"more","cards":[{"type":"text","text":"More"}]}]}`, a["channel"])
	created := api.mustCreate(tokenA, "/v1/bots", body)
	id := created["id"].(string)
	if created["version"].(float64) != 1 {
		t.Errorf("created = %v", created)
	}
	// The welcome channel is A's, the ref is taken: a second bot with either is refused.
	if status, out := api.do(tokenA, "POST", "/v1/bots", body); status != 409 {
		t.Errorf("a second bot with the same entry points: %d %v, want 409", status, out)
	}
	if status, _ := api.do(tokenB, "POST", "/v1/bots", body); status != 400 {
		t.Errorf("team B welcoming on team A's channel: %d, want 400", status)
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if status, _ := api.do(tokenB, m, "/v1/bots/"+id, body); status != 404 {
			t.Errorf("team B %s team A's bot: %d, want 404", m, status)
		}
	}
	if status, _ := api.do(tokenB, "POST", "/v1/bots/"+id+"/copy", ""); status != 404 {
		t.Errorf("team B copying team A's bot: %d, want 404", status)
	}

	cp := api.mustCreate(tokenA, "/v1/bots/"+id+"/copy", "")
	if cp["name"] != "Shop (copy)" || cp["refs"] != nil {
		t.Errorf("copy = %v", cp)
	}
	status, updated := api.do(tokenA, "PUT", "/v1/bots/"+id, `{"name":"Shop 2","channelKinds":["line"],"version":1,"modules":[{"id":"menu","cards":[{"type":"text","text":"Hi"}]}]}`)
	if status != 200 || updated["version"].(float64) != 2 || updated["refs"] != nil {
		t.Errorf("PUT = %d %v", status, updated)
	}
	if status, _ := api.do(tokenA, "PUT", "/v1/bots/"+id, `{"name":"Shop 3","channelKinds":["line"],"version":1,"modules":[{"id":"menu","cards":[{"type":"text","text":"Hi"}]}]}`); status != 409 {
		t.Errorf("PUT at an old version: %d, want 409", status)
	}
	// The ref is free again: the copy can take it.
	if status, out := api.do(tokenA, "PUT", "/v1/bots/"+cp["id"].(string), `{"name":"Copy","channelKinds":["line"],"refs":{"sale":"x"},"modules":[{"id":"x","cards":[{"type":"text","text":"x"}]}]}`); status != 200 {
		t.Errorf("taking the freed ref: %d %v", status, out)
	}
	_, list := api.do(tokenA, "GET", "/v1/bots", "")
	if items := list["items"].([]any); len(items) != 2 {
		t.Errorf("list = %v", list)
	}
	if status, _ := api.do(tokenA, "DELETE", "/v1/bots/"+id, ""); status != 204 {
		t.Errorf("DELETE = %d", status)
	}
	if status, _ := api.do(tokenA, "GET", "/v1/bots/"+id, ""); status != 404 {
		t.Errorf("GET after DELETE = %d", status)
	}
}
