package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	samples "github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/demo"
	"github.com/switchboard-chat/switchboard/infra/fakes/line"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/cart"
	channelline "github.com/switchboard-chat/switchboard/shared/channel/line"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
	"github.com/switchboard-chat/switchboard/shared/payreminder"
	"github.com/switchboard-chat/switchboard/shared/remarketing"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// The cart and payment reminder tests drive time the only way a deployed
// stack has: due timers sit in the table until the dispatcher (TimersFunction,
// an EventBridge schedule every minute, disabled here) puts the ones due up to
// the end of the next minute on the timer queue, each delayed to its second,
// and TimerFireFunction receives them when they are due. The tests fire the
// schedule themselves, at the moments EventBridge would have fired it late
// enough to see the timer, so nothing waits longer than the reminder's own
// delay.

// TestCartReminderThroughTheStack is issue 5's check, through every piece of
// the local stack: two shoppers, each bound to a LINE contact by the pixel's
// bind event (server site key), add a product to their carts (browser site
// key), which arms two reminders each, one and two minutes later. The first
// reminders go out as LINE pushes carrying the product, with the retry key of
// their timer. Both second reminders are then already on the timer queue when
// shopper A checks out, as they would be with a dispatcher run just before the
// checkout: A's fires and finds its sequence gone, so A gets nothing more,
// while B's, due three seconds after it on the same queue, is delivered and
// bounds the wait.
func TestCartReminderThroughTheStack(t *testing.T) {
	e := stack(t)
	ctx := context.Background()
	st := remarketingStore(e)
	began := time.Now()
	run := strconv.FormatInt(began.UnixNano(), 36)

	putCartConfig(t, st, cart.Config{
		TeamID: samples.DemoTeamID, ChannelID: samples.DemoLINEChannelID, ChannelKind: switchboard.KindLINE, Enabled: true,
		Messages: []cart.MessageConfig{
			{Enabled: true, Delay: cart.Delay{Minutes: 1}, BotModuleID: "demo-abandoned-cart"},
			{Enabled: true, Delay: cart.Delay{Minutes: 2}, BotModuleID: "demo-abandoned-cart"},
		},
	})

	type shopper struct{ user, visitor, item string }
	a := shopper{user: lineUserID(run, 1), visitor: "v-cart-" + run + "-a", item: "Teapot " + run}
	b := shopper{user: lineUserID(run, 2), visitor: "v-cart-" + run + "-b", item: "Kettle " + run}
	for _, s := range []shopper{a, b} {
		meetOnLINE(t, e, st, s.user)
		status, body := pixelCall(t, e, "POST", "/v1/pixel/events", demo.ServerSiteKey, fmt.Sprintf(
			`{"visitorId":%q,"events":[{"type":"bind","binding":{"channelId":%q,"platformUserId":%q}}]}`, s.visitor, samples.DemoLINEChannelID, s.user))
		if status != http.StatusOK {
			t.Fatalf("bind %s: %d %s", s.visitor, status, body)
		}
	}

	addToCart := func(s shopper) []cart.Timer {
		t.Helper()
		status, body := pixelCall(t, e, "POST", "/v1/pixel/events", demo.BrowserSiteKey, fmt.Sprintf(
			`{"visitorId":%q,"events":[{"id":"atc-1","type":"add_to_cart","item":{"productId":"p-%s","name":%q,"price":"1,280","currency":"TWD","quantity":1}}]}`,
			s.visitor, s.visitor, s.item))
		var res remarketing.EventsResult
		if status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil {
			t.Fatalf("add to cart %s: %d %s", s.visitor, status, body)
		}
		if res.Applied != 1 || res.Armed != 2 {
			t.Fatalf("add to cart %s = %+v, want 1 applied and 2 reminders armed", s.visitor, res)
		}
		ts := cartTimersOf(t, st, s.visitor)
		for _, ct := range ts {
			if !timerStored(t, st, ct.Key(), ct.DueAt) {
				t.Fatalf("reminder %d of %s is not in the timer table", ct.Index, s.visitor)
			}
		}
		return ts
	}
	ta := addToCart(a)
	// B's reminders come three seconds after A's, so B's second one is
	// received from the queue only after A's second one was.
	time.Sleep(3 * time.Second)
	tb := addToCart(b)
	if len(ta) != 2 || len(tb) != 2 || ta[1].DueAt.Sub(ta[0].DueAt) != time.Minute || tb[1].DueAt.Sub(ta[1].DueAt) < 3*time.Second {
		t.Fatalf("reminders due at A %v, B %v: want A's a minute apart and B's after A's", ta, tb)
	}

	// Both first reminders are due within the next minute or so: one run
	// queues them.
	fireTimerDispatcher(t, e, 90*time.Second, "the first reminders queued", func() bool {
		return !timerStored(t, st, ta[0].Key(), ta[0].DueAt) && !timerStored(t, st, tb[0].Key(), tb[0].DueAt)
	})
	keyA1, keyA2 := cartRetryKey(a.user, ta[0]), cartRetryKey(a.user, ta[1])
	keyB1, keyB2 := cartRetryKey(b.user, tb[0]), cartRetryKey(b.user, tb[1])
	for _, want := range []struct {
		s   shopper
		key string
	}{{a, keyA1}, {b, keyB1}} {
		var d line.Delivery
		waitFor(t, 150*time.Second, "the first reminder to "+want.s.visitor+" at the LINE fake", func() bool {
			var ok bool
			d, ok = deliveryWithRetryKey(e, want.key)
			return ok
		})
		if d.Kind != "push" || d.ReplyToken != "" || strings.Join(d.To, ",") != want.s.user {
			t.Fatalf("first reminder to %s: %s to %v (reply token %q), want a push to %s", want.s.visitor, d.Kind, d.To, d.ReplyToken, want.s.user)
		}
		if raw := rawMessages(d); !strings.Contains(raw, want.s.item) || !strings.Contains(raw, "NT$1,280") {
			t.Fatalf("first reminder to %s does not show the cart (%s, NT$1,280): %s", want.s.visitor, want.s.item, raw)
		}
	}
	if d, ok := deliveryWithRetryKey(e, keyA2); ok {
		t.Fatalf("A's second reminder went out a minute early: %+v", d)
	}

	// Now the second reminders become due within the next minute: this run
	// queues them, each delayed to its second.
	fireTimerDispatcher(t, e, 90*time.Second, "the second reminders queued", func() bool {
		return !timerStored(t, st, ta[1].Key(), ta[1].DueAt) && !timerStored(t, st, tb[1].Key(), tb[1].DueAt)
	})

	// The checkout must come while A's second reminder waits on the queue.
	// Runs are at least a lease (55 s) apart and the first ran before the
	// first reminders were due, so this holds unless something held the
	// dispatcher off for most of a minute.
	if left := time.Until(ta[1].DueAt); left < 2*time.Second {
		t.Fatalf("A's second reminder is due in %s: too late to check out before it (the dispatcher was held off)", left)
	}
	status, body := pixelCall(t, e, "POST", "/v1/pixel/events", demo.BrowserSiteKey, fmt.Sprintf(
		`{"visitorId":%q,"events":[{"id":"co-1","type":"checkout","order":{"orderId":"o-%s","total":1280,"currency":"TWD"}}]}`, a.visitor, run))
	if status != http.StatusOK || !strings.Contains(body, `"applied":1`) {
		t.Fatalf("checkout: %d %s", status, body)
	}
	v, err := st.GetVisitor(ctx, samples.DemoTeamID, a.visitor)
	if err != nil {
		t.Fatal(err)
	}
	if c := v.Cart; !c.CheckedOut || c.Sequence != nil || len(c.Items) != 0 || c.Generation <= ta[1].Generation {
		t.Fatalf("A's cart after the checkout = %+v, want checked out, empty, with no sequence and a newer generation", c)
	}
	checkedOut := v.Version

	// B's second reminder is the control: when it is at the fake, A's, due
	// three seconds earlier on the same queue, has been handled.
	waitFor(t, 150*time.Second, "B's second reminder at the LINE fake", func() bool {
		_, ok := deliveryWithRetryKey(e, keyB2)
		return ok
	})
	if d, ok := deliveryWithRetryKey(e, keyA2); ok {
		t.Fatalf("A's second reminder went out after the checkout: %+v", d)
	}
	if got := pushesTo(e, a.user); got != 1 {
		t.Fatalf("A received %d pushes, want 1 (the first reminder)", got)
	}
	if got := pushesTo(e, b.user); got != 2 {
		t.Fatalf("B received %d pushes, want 2 (both reminders)", got)
	}
	// The stale firing wrote nothing either.
	if v, err := st.GetVisitor(ctx, samples.DemoTeamID, a.visitor); err != nil || v.Version != checkedOut {
		t.Fatalf("A's visitor after its stale reminder fired: version %d (err %v), want %d", v.Version, err, checkedOut)
	}
	vb, err := st.GetVisitor(ctx, samples.DemoTeamID, b.visitor)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range vb.Cart.Sequence.Messages {
		if m.SentAt.IsZero() {
			t.Errorf("B's cart does not record reminder %d as sent: %+v", m.Index, vb.Cart.Sequence)
		}
	}
	t.Logf("cart reminders through the stack took %s", time.Since(began).Round(time.Second))
}

// TestPaymentReminderThroughTheStack checks the payment reminder through the
// stack. A reminder is due whole days after the order, which no test waits
// for; so an order placed now is checked up to its timer (stored for the
// right day and hour in the team's time zone) and its cancellation by `paid`,
// and an order reported three days late, whose reminder is due at once, is
// followed to its LINE push.
func TestPaymentReminderThroughTheStack(t *testing.T) {
	e := stack(t)
	ctx := context.Background()
	st := remarketingStore(e)
	began := time.Now()
	run := strconv.FormatInt(began.UnixNano(), 36)

	if _, err := st.UpdatePayReminderSettings(ctx, samples.DemoTeamID, func(s payreminder.Settings) (payreminder.Settings, error) {
		s.Enabled, s.DaysAfter, s.Hour = true, 1, 10
		return s, nil
	}); err != nil {
		t.Fatal(err)
	}
	team, err := st.GetTeam(ctx, samples.DemoTeamID)
	if err != nil {
		t.Fatal(err)
	}
	user := lineUserID(run, 3)
	meetOnLINE(t, e, st, user)

	order := func(key, id string, created time.Time) (int, string) {
		return pixelCall(t, e, "POST", "/v1/pixel/orders", key, fmt.Sprintf(
			`{"orderId":%q,"createdAt":%q,"total":"2,450","currency":"TWD","paymentMethod":"credit_card","paid":false,"channel":"message_center","contact":{"channelId":%q,"platformUserId":%q},"customerName":"Mei %s"}`,
			id, created.Format(time.RFC3339), samples.DemoLINEChannelID, user, id))
	}

	// An order placed now: its reminder is due the next day at 10:00, team time.
	onTime := "po-" + run + "-a"
	placed := time.Now().UTC().Truncate(time.Second)
	if status, body := order(demo.BrowserSiteKey, onTime, placed); status != http.StatusForbidden {
		t.Fatalf("an order with the browser site key: %d %s, want 403", status, body)
	}
	if status, body := order(demo.ServerSiteKey, onTime, placed); status != http.StatusOK || !strings.Contains(body, `"reminderScheduled":true`) {
		t.Fatalf("order: %d %s", status, body)
	}
	y, m, d := placed.In(team.Location()).Date()
	due := time.Date(y, m, d+1, 10, 0, 0, 0, team.Location())
	o, err := st.GetPaymentOrder(ctx, samples.DemoTeamID, onTime)
	if err != nil {
		t.Fatal(err)
	}
	if o.Reminder == nil || !o.Reminder.Due.Equal(due) {
		t.Fatalf("stored reminder = %+v, want due %s", o.Reminder, due)
	}
	id := payreminder.Timer{TeamID: samples.DemoTeamID, OrderID: onTime}.Key()
	tm := storedTimer(t, st, id, due)
	if tm == nil || tm.Kind != switchboard.TimerPaymentReminder || !tm.DueAt.Equal(due) || tm.Generation != o.Reminder.Generation {
		t.Fatalf("timer %s = %+v, want a payment reminder due %s", id, tm, due)
	}
	if status, body := pixelCall(t, e, "POST", "/v1/pixel/orders/"+onTime+"/paid", demo.ServerSiteKey, ""); status != http.StatusOK {
		t.Fatalf("paid: %d %s", status, body)
	}
	if storedTimer(t, st, id, due) != nil {
		t.Fatal("the paid order's reminder timer is still armed")
	}
	if o, err := st.GetPaymentOrder(ctx, samples.DemoTeamID, onTime); err != nil || o.Order.PaymentStatus != payreminder.PaymentPaid {
		t.Fatalf("order after paid = %+v (err %v), want paid", o, err)
	}

	// An order reported three days after it was placed: its reminder was due
	// two days ago, so its timer is armed for now and goes out on the next run.
	late := "po-" + run + "-b"
	reported := time.Now()
	if status, body := order(demo.ServerSiteKey, late, placed.Add(-72*time.Hour)); status != http.StatusOK || !strings.Contains(body, `"reminderScheduled":true`) {
		t.Fatalf("late order: %d %s", status, body)
	}
	lateID := payreminder.Timer{TeamID: samples.DemoTeamID, OrderID: late}.Key()
	armedNow := func() bool {
		return timerStored(t, st, lateID, reported) || timerStored(t, st, lateID, time.Now())
	}
	if !armedNow() {
		t.Fatal("the late order's reminder timer is not armed for now")
	}
	fireTimerDispatcher(t, e, 90*time.Second, "the late order's reminder queued", func() bool { return !armedNow() })
	key := channelline.RetryKey(samples.DemoLINEChannelID, user, lateID)
	var sent line.Delivery
	waitFor(t, 60*time.Second, "the payment reminder at the LINE fake", func() bool {
		var ok bool
		sent, ok = deliveryWithRetryKey(e, key)
		return ok
	})
	raw := rawMessages(sent)
	if sent.Kind != "push" || strings.Join(sent.To, ",") != user || !strings.Contains(raw, "Mei "+late) || !strings.Contains(raw, "NT$2,450") || !strings.Contains(raw, "payment_reminder:"+late) {
		t.Fatalf("payment reminder: %s to %v: %s", sent.Kind, sent.To, raw)
	}
	if got := pushesTo(e, user); got != 1 {
		t.Fatalf("the customer received %d pushes, want 1 (the late order's reminder)", got)
	}
	waitFor(t, 10*time.Second, "the order to record the reminder", func() bool {
		o, err := st.GetPaymentOrder(ctx, samples.DemoTeamID, late)
		return err == nil && o.Reminder != nil && !o.Reminder.SentAt.IsZero()
	})
	t.Logf("payment reminders through the stack took %s", time.Since(began).Round(time.Second))
}

// remarketingStore opens the stack's table as the functions do.
func remarketingStore(e *env) *dynamo.Store {
	st := e.runner.Stack()
	return dynamo.New(awsclient.DynamoDB(st.AWS, st.DynamoDBEndpoint), st.Tables["Table"])
}

// putCartConfig stores cfg as the team's configuration for its channel,
// replacing the stored one, as the settings page would.
func putCartConfig(t *testing.T, st *dynamo.Store, cfg cart.Config) {
	t.Helper()
	ctx := context.Background()
	if cur, err := st.GetCartConfig(ctx, cfg.TeamID, cfg.ChannelID); err == nil {
		cfg.Version, cfg.Epoch = cur.Version, cur.Epoch
	} else if switchboard.ErrorCode(err) != switchboard.ENotFound {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := st.PutCartConfigs(ctx, &cfg); err != nil {
		t.Fatal(err)
	}
}

// lineUserID returns a LINE user id of its own for each run and n.
func lineUserID(run string, n int) string {
	id := fmt.Sprintf("%s%04d", run, n)
	return "U" + strings.Repeat("0", 32-len(id)) + id
}

// meetOnLINE has user write to the demo LINE channel and waits for the demo
// auto-reply and the stored contact: a customer who wrote is a subscribed
// contact, which is whom reminders may reach.
func meetOnLINE(t *testing.T, e *env, st *dynamo.Store, user string) {
	t.Helper()
	token := "rt-" + user
	if status, body := e.post(t, lineWebhook(user, [2]string{switchboard.NewID(), token})); status != http.StatusOK {
		t.Fatalf("webhook answered %d: %s", status, body)
	}
	waitFor(t, 60*time.Second, "the auto-reply to "+user, func() bool { return count(e.lineReplies(), token) == 1 })
	id := dynamo.ContactID(samples.DemoTeamID, samples.DemoLINEChannelID, user)
	waitFor(t, 10*time.Second, "the contact of "+user, func() bool {
		c, err := st.GetContact(context.Background(), samples.DemoTeamID, id)
		return err == nil && c.Subscribed
	})
}

// pixelCall sends a request to the pixel endpoints of the local HTTP API with
// a site key, as a shop's page or server does.
func pixelCall(t *testing.T, e *env, method, path, siteKey, body string) (int, string) {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{
		RawPath: path,
		Headers: map[string]string{"content-type": "application/json", remarketing.HeaderSiteKey: siteKey},
		Body:    body,
	}
	req.RequestContext.HTTP.Method = method
	return e.post(t, req)
}

// cartTimersOf returns the timers of the visitor's armed sequence, in message
// order, as the cart rules armed them.
func cartTimersOf(t *testing.T, st *dynamo.Store, visitor string) []cart.Timer {
	t.Helper()
	v, err := st.GetVisitor(context.Background(), samples.DemoTeamID, visitor)
	if err != nil {
		t.Fatal(err)
	}
	c := v.Cart
	if c.Sequence == nil {
		t.Fatalf("visitor %s has no armed sequence: %+v", visitor, c)
	}
	var out []cart.Timer
	for _, m := range c.Sequence.Messages {
		out = append(out, cart.Timer{
			TeamID: c.TeamID, VisitorID: c.VisitorID, ContactID: c.Sequence.ContactID, ChannelID: c.Sequence.ChannelID,
			Generation: c.Sequence.Generation, ConfigEpoch: c.Sequence.ConfigEpoch, Index: m.Index, DueAt: m.DueAt,
		})
	}
	return out
}

// cartRetryKey is the X-Line-Retry-Key the LINE sender derives from a cart
// timer's send: it names that one message of that one sequence.
func cartRetryKey(user string, ct cart.Timer) string {
	return channelline.RetryKey(ct.ChannelID, user, ct.Key())
}

// storedTimer returns the timer id armed in the bucket of due's minute, or nil.
func storedTimer(t *testing.T, st *dynamo.Store, id string, due time.Time) *switchboard.Timer {
	t.Helper()
	minute := due.UTC().Truncate(time.Minute)
	page := ""
	for {
		ts, next, err := st.DueTimers(context.Background(), minute, dynamo.TimerShard(id), page, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			if tm.ID == id {
				return tm
			}
		}
		if next == "" {
			return nil
		}
		page = next
	}
}

func timerStored(t *testing.T, st *dynamo.Store, id string, due time.Time) bool {
	t.Helper()
	return storedTimer(t, st, id, due) != nil
}

// fireTimerDispatcher fires the dispatcher's schedule, as EventBridge does
// every minute, until done holds. A run that starts while another run's lease
// (55 s) holds does nothing, so it is fired again every two seconds.
func fireTimerDispatcher(t *testing.T, e *env, within time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, err := e.runner.TriggerSchedule(context.Background(), "TimersFunction", ""); err != nil {
			t.Fatalf("timer dispatcher: %v", err)
		}
		if done() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s firing the timer dispatcher for %s", within, what)
		}
		time.Sleep(2 * time.Second)
	}
}

// deliveryWithRetryKey returns the delivery the LINE fake accepted with key.
func deliveryWithRetryKey(e *env, key string) (line.Delivery, bool) {
	for _, d := range e.fakes.LINE.Deliveries() {
		if d.RetryKey == key {
			return d, true
		}
	}
	return line.Delivery{}, false
}

// pushesTo counts the pushes the LINE fake accepted for user.
func pushesTo(e *env, user string) int {
	n := 0
	for _, d := range e.fakes.LINE.Deliveries() {
		if d.Kind == "push" && strings.Join(d.To, ",") == user {
			n++
		}
	}
	return n
}

func rawMessages(d line.Delivery) string {
	var b strings.Builder
	for _, m := range d.Messages {
		b.Write(m)
	}
	return b.String()
}
