package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/awsclient/awstest"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The DynamoDB store satisfies every store interface of the API.
var (
	_ ContactStore      = (*dynamo.Store)(nil)
	_ ConversationStore = (*dynamo.Store)(nil)
	_ MessageStore      = (*dynamo.Store)(nil)
	_ RuleStore         = (*dynamo.Store)(nil)
)

// inboxAPI is the API over DynamoDB Local with direct access to the store, to
// put contacts and conversations where the router would.
type inboxAPI struct {
	t       *testing.T
	h       *Handler
	store   *dynamo.Store
	counter *awsclient.RequestCounter
	admin   string
	sent    []switchboard.SendRequest
	mu      sync.Mutex
}

func newInboxAPI(t *testing.T) *inboxAPI {
	t.Helper()
	cfg := awstest.Config(t)
	a := &inboxAPI{t: t, counter: &awsclient.RequestCounter{}}
	a.counter.Add(&cfg)
	ddb := awsclient.DynamoDB(cfg, awstest.Endpoint(t, awstest.EnvDynamoDB))
	a.store = dynamo.New(ddb, awstest.Table(t, ddb), dynamo.WithMaxAttempts(20))
	sender := &fakeSender{send: func(_ context.Context, r switchboard.SendRequest) (switchboard.SendResult, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.sent = append(a.sent, r)
		return switchboard.SendResult{PlatformMessageIDs: []string{fmt.Sprintf("pm-%d", len(a.sent))}}, nil
	}}
	key, hash := switchboard.NewTokenSecret()
	a.admin = key
	a.h = New(Config{
		Teams: a.store, Channels: a.store, Members: a.store, Tokens: a.store,
		Contacts: a.store, Conversations: a.store, Messages: a.store, Rules: a.store,
		Senders:        map[switchboard.ChannelKind]switchboard.Sender{switchboard.KindLINE: sender},
		AdminTokenHash: hash,
	})
	return a
}

func (a *inboxAPI) do(token, method, pathAndQuery, body string) (int, string) {
	a.t.Helper()
	path, query, _ := strings.Cut(pathAndQuery, "?")
	ev := events.APIGatewayV2HTTPRequest{
		RawPath: path, RawQueryString: query, Body: body,
		Headers: map[string]string{"authorization": "Bearer " + token, "content-type": "application/json"},
	}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.SourceIP = "203.0.113.7"
	resp, err := a.h.Handle(context.Background(), ev)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

func (a *inboxAPI) must(token, method, path, body string, into any) {
	a.t.Helper()
	status, out := a.do(token, method, path, body)
	if status < 200 || status > 299 {
		a.t.Fatalf("%s %s = %d: %s", method, path, status, out)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(out), into); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// team is one team of the test: its admin token, channel and members with
// tokens of their own.
type team struct {
	id, admin, channel string
	tokens             map[string]string // member name to token
	members            map[string]string // member name to id
}

func (a *inboxAPI) team(name string) *team {
	var created struct {
		Team  struct{ ID string }
		Token struct{ Secret string }
	}
	a.must(a.admin, "POST", "/v1/teams", `{"name":"`+name+`"}`, &created)
	tm := &team{id: created.Team.ID, admin: created.Token.Secret, tokens: map[string]string{}, members: map[string]string{}}
	var ch struct{ ID string }
	a.must(tm.admin, "POST", "/v1/channels", `{"kind":"line","name":"LINE","platformId":"U1"}`, &ch)
	tm.channel = ch.ID
	return tm
}

// member creates a member of role (sales roles in branch) and a token for it.
func (a *inboxAPI) member(tm *team, name string, role switchboard.Role, branch string) {
	var m struct{ ID string }
	a.must(tm.admin, "POST", "/v1/members", fmt.Sprintf(`{"name":%q,"role":%q,"branchId":%q,"status":"online"}`, name, role, branch), &m)
	var tok struct{ Secret string }
	a.must(tm.admin, "POST", "/v1/tokens", fmt.Sprintf(`{"name":%q,"memberId":%q}`, name, m.ID), &tok)
	tm.tokens[name], tm.members[name] = tok.Secret, m.ID
}

// conversation puts a contact and its conversation in the store as the
// router would, the customer's last message minutesAgo before now.
func (a *inboxAPI) conversation(tm *team, user, name, branch string, minutesAgo int, edit func(*switchboard.Conversation)) string {
	a.t.Helper()
	ctx := context.Background()
	ct, err := a.store.UpsertContact(ctx, tm.id, tm.channel, user, func(c *switchboard.Contact) (*switchboard.Contact, error) {
		c.NativeName, c.BranchID, c.ChannelKind, c.Subscribed = name, branch, switchboard.KindLINE, true
		return c, nil
	})
	if err != nil {
		a.t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Duration(minutesAgo) * time.Minute)
	c := &switchboard.Conversation{
		ID: ct.ID, TeamID: tm.id, ContactID: ct.ID, ChannelID: tm.channel,
		Status: switchboard.StatusPending, PendingKind: switchboard.PendingHuman,
		Unread: map[string]int{switchboard.PendingReader: 1}, LastMessageAt: at, LastCustomerAt: at,
	}
	c.IndexContact(ct)
	c.IndexMessage("hello from " + name)
	if edit != nil {
		edit(c)
	}
	if err := a.store.CreateConversation(ctx, c); err != nil {
		a.t.Fatal(err)
	}
	return c.ID
}

func itemIDs(body string) []string {
	var l conversationList
	_ = json.Unmarshal([]byte(body), &l)
	var out []string
	for _, it := range l.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestConcurrentFollowOnDynamoDB: two agents follow one pending
// conversation at the same moment; the optimistic version lets exactly one
// win and the other gets 409. Several rounds, so both orders occur. Two
// supervisors always get 409; of two CS agents, one who reads the
// conversation only after the other followed it no longer sees a colleague's
// conversation and gets 404, as SPEC §2's visibility wants.
func TestConcurrentFollowOnDynamoDB(t *testing.T) {
	a := newInboxAPI(t)
	tm := a.team("Race")
	for _, tt := range []struct {
		role  switchboard.Role
		loser []int
	}{
		{switchboard.RoleSupervisor, []int{409}},
		{switchboard.RoleCSAgent, []int{409, 404}},
	} {
		t.Run(string(tt.role), func(t *testing.T) {
			ann, bob := "ann-"+string(tt.role), "bob-"+string(tt.role)
			a.member(tm, ann, tt.role, "")
			a.member(tm, bob, tt.role, "")
			winners := map[string]int{}
			for round := range 6 {
				id := a.conversation(tm, fmt.Sprintf("U-%s-%d", tt.role, round), "Race", "", 5, nil)
				var wg sync.WaitGroup
				var mu sync.Mutex
				start := make(chan struct{})
				codes := map[string]int{}
				for _, who := range []string{ann, bob} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						status, _ := a.do(tm.tokens[who], "POST", "/v1/conversations/"+id+"/follow", "")
						mu.Lock()
						codes[who] = status
						mu.Unlock()
					}()
				}
				close(start)
				wg.Wait()
				ok := 0
				for who, code := range codes {
					switch {
					case code == 200:
						ok++
						winners[who]++
					case !slices.Contains(tt.loser, code):
						t.Errorf("round %d: %s got %d, want 200 or one of %v", round, who, code, tt.loser)
					}
				}
				if ok != 1 {
					t.Fatalf("round %d: codes %v, want exactly one 200", round, codes)
				}
				c, err := a.store.GetConversation(context.Background(), tm.id, id)
				if err != nil {
					t.Fatal(err)
				}
				if c.Version != 2 || c.Status != switchboard.StatusInProgress {
					t.Errorf("round %d: version %d status %s, want one write", round, c.Version, c.Status)
				}
				for who, code := range codes {
					if code == 200 && c.FollowerID != tm.members[who] {
						t.Errorf("round %d: %s won but %s follows", round, who, c.FollowerID)
					}
				}
			}
			t.Logf("winners over the rounds: %v", winners)
		})
	}
}

func TestInboxViewsOnDynamoDB(t *testing.T) {
	a := newInboxAPI(t)
	tm := a.team("Views")
	a.member(tm, "ann", switchboard.RoleCSAgent, "")
	a.member(tm, "sue", switchboard.RoleSupervisor, "")
	old := a.conversation(tm, "U-old", "Old Wang", "", 130, nil)
	mid := a.conversation(tm, "U-mid", "Mid Lin", "", 70, nil)
	fresh := a.conversation(tm, "U-new", "New Chen", "", 5, nil)
	bot := a.conversation(tm, "U-bot", "Bot Hsu", "", 50, func(c *switchboard.Conversation) { c.PendingKind = switchboard.PendingBot })

	tests := []struct {
		who, query string
		want       []string
	}{
		{"sue", "view=pending_human", []string{old, mid, fresh}},
		{"sue", "view=pending_human&sort=newest", []string{fresh, mid, old}},
		{"sue", "view=pending_human&waitingMinutes=60", []string{old, mid}},
		{"sue", "view=pending_human&waitingMinutes=120", []string{old}},
		{"sue", "view=pending_bot", []string{bot}},
		{"ann", "view=pending_human&limit=1", []string{old}},
	}
	for _, tt := range tests {
		_, body := a.do(tm.tokens[tt.who], "GET", "/v1/conversations?"+tt.query, "")
		if got := itemIDs(body); !slices.Equal(got, tt.want) {
			t.Errorf("%s %q = %v, want %v", tt.who, tt.query, got, tt.want)
		}
	}

	// Ann follows the oldest; Sue follows the newest and adds Ann.
	a.must(tm.tokens["ann"], "POST", "/v1/conversations/"+old+"/follow", "", nil)
	a.must(tm.tokens["sue"], "POST", "/v1/conversations/"+fresh+"/follow", "", nil)
	a.must(tm.tokens["sue"], "POST", "/v1/conversations/"+fresh+"/collaborators", `{"memberIds":["`+tm.members["ann"]+`"]}`, nil)
	_, body := a.do(tm.tokens["ann"], "GET", "/v1/conversations?view=mine", "")
	if got, want := itemIDs(body), []string{fresh, old}; !slices.Equal(got, want) {
		t.Errorf("ann's mine = %v, want %v", got, want)
	}
	_, body = a.do(tm.tokens["sue"], "GET", "/v1/conversations?view=mine", "")
	if got, want := itemIDs(body), []string{fresh}; !slices.Equal(got, want) {
		t.Errorf("sue's mine = %v, want %v", got, want)
	}
	// The team list shows both to Sue, only Ann's own to Ann (who sees both).
	_, body = a.do(tm.tokens["sue"], "GET", "/v1/conversations?view=team", "")
	if got := itemIDs(body); len(got) != 2 {
		t.Errorf("team for sue = %v", got)
	}
	// Ann leaves; her list loses the collaboration.
	a.must(tm.tokens["ann"], "DELETE", "/v1/conversations/"+fresh+"/collaborators/"+tm.members["ann"], "", nil)
	_, body = a.do(tm.tokens["ann"], "GET", "/v1/conversations?view=mine", "")
	if got, want := itemIDs(body), []string{old}; !slices.Equal(got, want) {
		t.Errorf("ann's mine after leaving = %v, want %v", got, want)
	}
	// The status record and the system messages of all that, as stored.
	var h historyList
	a.must(tm.tokens["sue"], "GET", "/v1/conversations/"+fresh+"/history", "", &h)
	var texts []string
	for _, it := range h.Items {
		texts = append(texts, it.Text)
	}
	if want := []string{"sue 跟進了對話。", "sue 將 ann 加入了協作對話。", "ann 退出了協作對話。"}; !slices.Equal(texts, want) {
		t.Errorf("history = %q, want %q", texts, want)
	}
	var page messageList
	a.must(tm.tokens["sue"], "GET", "/v1/conversations/"+fresh+"/messages", "", &page)
	texts = texts[:0]
	for _, m := range page.Items {
		if m.Direction == switchboard.System {
			texts = append(texts, m.Text)
		}
	}
	if want := []string{"ann 退出了協作對話。", "ann 加入了協作對話。"}; !slices.Equal(texts, want) {
		t.Errorf("system messages, newest first = %q, want %q", texts, want)
	}

	// Ann answers; the message is stored as sent and the conversation records
	// the reply.
	var m switchboard.Message
	a.must(tm.tokens["ann"], "POST", "/v1/conversations/"+old+"/messages", `{"text":"Your parcel ships today"}`, &m)
	if m.Status != switchboard.DeliverySent || m.PlatformMessageID != "pm-1" {
		t.Errorf("sent message = %+v", m)
	}
	var d conversationDetail
	a.must(tm.tokens["ann"], "GET", "/v1/conversations/"+old, "", &d)
	if len(d.Messages.Items) != 1 || d.Messages.Items[0].Status != switchboard.DeliverySent || d.Conversation.Waiting || d.Conversation.LastStaffAt.IsZero() {
		t.Errorf("after the reply: %+v / %+v", d.Conversation, d.Messages.Items)
	}

	// Search: names, message text (the reply indexed), and paging over views.
	for q, want := range map[string][]string{
		"wang":                {old},
		"hello from":          {mid, bot, old, fresh}, // old was just answered
		"parcel ships":        {old},
		"nobody by this name": nil,
	} {
		var got []string
		cursor := ""
		for range 10 {
			_, body := a.do(tm.tokens["sue"], "GET", "/v1/conversations/search?limit=2&q="+url.QueryEscape(q)+"&cursor="+cursor, "")
			var l conversationList
			_ = json.Unmarshal([]byte(body), &l)
			for _, it := range l.Items {
				got = append(got, it.ID)
			}
			if l.NextCursor == "" {
				break
			}
			cursor = l.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", q, got, want)
		}
	}
}

func TestInboxIsolationOnDynamoDB(t *testing.T) {
	a := newInboxAPI(t)
	ta, tb := a.team("Alpha"), a.team("Beta")
	a.member(ta, "ann", switchboard.RoleCSAgent, "")
	a.member(ta, "sam", switchboard.RoleSalesperson, "north")
	a.member(ta, "sue", switchboard.RoleSupervisor, "")
	a.member(ta, "bob", switchboard.RoleCSAgent, "")
	theirs := a.conversation(tb, "U-b", "Beta Customer", "", 5, nil)
	colleagues := a.conversation(ta, "U-c", "Colleague's", "south", 5, nil)
	a.must(ta.tokens["bob"], "POST", "/v1/conversations/"+colleagues+"/follow", "", nil)

	tests := []struct {
		who, method, path, body string
	}{
		{"sue", "GET", "/v1/conversations/" + theirs, ""},
		{"sue", "POST", "/v1/conversations/" + theirs + "/follow", ""},
		{"sue", "GET", "/v1/contacts/" + theirs, ""},
		{"sue", "PATCH", "/v1/contacts/" + theirs, `{"note":"x"}`},
		{"sue", "POST", "/v1/contacts/" + theirs + "/tags", `{"tags":["x"]}`},
		{"ann", "GET", "/v1/conversations/" + colleagues, ""},
		{"ann", "POST", "/v1/conversations/" + colleagues + "/close", ""},
		{"ann", "GET", "/v1/contacts/" + colleagues, ""},
		{"sam", "GET", "/v1/conversations/" + colleagues, ""},
		{"sam", "POST", "/v1/conversations/" + colleagues + "/transfer", `{"to":"` + ta.members["ann"] + `"}`},
	}
	for _, tt := range tests {
		if status, body := a.do(ta.tokens[tt.who], tt.method, tt.path, tt.body); status != 404 {
			t.Errorf("%s %s %s = %d, want 404: %s", tt.who, tt.method, tt.path, status, body)
		}
	}
	// Beta's conversation is untouched; Sue does see the colleague's.
	c, err := a.store.GetConversation(context.Background(), tb.id, theirs)
	if err != nil || c.Version != 1 {
		t.Errorf("team B's conversation: %v, %v", c, err)
	}
	if status, _ := a.do(ta.tokens["sue"], "GET", "/v1/conversations/"+colleagues, ""); status != 200 {
		t.Errorf("the supervisor cannot see the colleague's conversation: %d", status)
	}
	_, body := a.do(ta.tokens["sue"], "GET", "/v1/conversations/search?q=beta", "")
	if got := itemIDs(body); len(got) != 0 {
		t.Errorf("search shows another team's conversation: %v", got)
	}
}

func TestRulesOnDynamoDB(t *testing.T) {
	a := newInboxAPI(t)
	tm := a.team("Rules")
	var g struct{ ID string }
	a.must(tm.admin, "POST", "/v1/rules/groups", `{"name":"Stores","enabled":{"`+tm.channel+`":true}}`, &g)
	var r struct{ ID string }
	a.must(tm.admin, "POST", "/v1/rules/replies", `{"groupId":"`+g.ID+`","channelIds":["`+tm.channel+`"],"mode":"contains_any","keywords":["price"],"reply":{"kind":"text","text":"100"}}`, &r)
	a.must(tm.admin, "POST", "/v1/rules/assign", `{"groupId":"`+g.ID+`","channelIds":["`+tm.channel+`"],"mode":"exact","keywords":["agent"],"target":"role","role":"cs_agent","order":"sequential"}`, nil)
	a.must(tm.admin, "PUT", "/v1/rules/autotag", `{"enabled":true,"tags":[{"name":"shipping","keywords":["運費"]}]}`, nil)

	// Listing the rules is the token's read and one Query.
	a.counter.Reset()
	var list ruleList[json.RawMessage]
	a.must(tm.admin, "GET", "/v1/rules/replies", "", &list)
	if got, want := a.counter.Calls(), map[string]int{"DynamoDB.GetItem": 1, "DynamoDB.Query": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("GET /v1/rules/replies made %v, want %v", got, want)
	}
	if len(list.Items) != 1 || list.Version != 4 {
		t.Errorf("replies = %d at version %d, want 1 at 4", len(list.Items), list.Version)
	}
	a.must(tm.admin, "PATCH", "/v1/rules/replies/"+r.ID, `{"keywords":["price","cost"]}`, nil)

	// Deleting the channel marks the rules and the group invalid.
	a.must(tm.admin, "DELETE", "/v1/channels/"+tm.channel, "", nil)
	rs, err := a.store.GetRuleSet(context.Background(), tm.id)
	if err != nil {
		t.Fatal(err)
	}
	if !rs.Replies[0].Invalid || !rs.Assign[0].Invalid || !rs.Groups[0].Invalid || len(rs.Replies[0].Keywords) != 2 {
		t.Errorf("after deleting the channel: %+v", rs)
	}
	a.must(tm.admin, "DELETE", "/v1/rules/groups/"+g.ID, "", nil)
	rs, err = a.store.GetRuleSet(context.Background(), tm.id)
	if err != nil || len(rs.Replies)+len(rs.Assign)+len(rs.Groups) != 0 || len(rs.AutoTag.Tags) != 1 {
		t.Errorf("after deleting the group: %+v %v", rs, err)
	}
}
