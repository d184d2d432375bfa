package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/demo"
	"github.com/switchboard-chat/switchboard/infra/fakes"
	"github.com/switchboard-chat/switchboard/infra/runner"
)

// send posts one sample webhook of events/ to a running stack, as the platform
// would: the sample's body and headers, with its timestamps moved to now and
// signed again with the demo secret (demo.Refresh), unless -as-is.
func send(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("http", envOr("SWITCHBOARD_HTTP_ADDR", runner.DefaultHTTPAddr), "the running stack's HTTP API address")
	eventPath := fs.String("event", "events/webhooks/line-text.json", "sample webhook (an API Gateway v2 request from events/webhooks)")
	asIs := fs.Bool("as-is", false, "send the sample's own timestamps and signature (Messenger, Instagram and WhatsApp then refuse to reply: the samples are older than their 24-hour window)")
	if err := parse(fs, args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*eventPath)
	if err != nil {
		return err
	}
	var req lambdaevents.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("%s is not an API Gateway v2 request: %w", *eventPath, err)
	}
	if !*asIs {
		if req, err = demo.Refresh(req, time.Now()); err != nil {
			return fmt.Errorf("%s: %w", *eventPath, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hreq, err := events.HTTPRequest(ctx, "http://"+*addr, req)
	if err != nil {
		return fmt.Errorf("%s: %w", *eventPath, err)
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return fmt.Errorf("is `make run` up at %s? %w", *addr, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(stdout, "%s %s -> %s\n%s\n", hreq.Method, req.RawPath, resp.Status, answer)
	fmt.Fprintf(stdout, "Replies reach the fake platforms; list what they received with:\n")
	for _, f := range []struct{ name, addr string }{{"LINE", fakes.DefaultLINE}, {"Messenger/Instagram", fakes.DefaultGraph}, {"WhatsApp", fakes.DefaultWA}, {"web widget site", fakes.DefaultWidgetSite}} {
		fmt.Fprintf(stdout, "  %-20s curl -s http://%s/__fake/requests\n", f.name, f.addr)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the stack answered %s", resp.Status)
	}
	return nil
}
