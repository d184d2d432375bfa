// Command echofn is the runner's test function: it echoes what it is given and,
// on request, misbehaves the ways a real function can (error, panic, crash,
// hang past its timeout, partial SQS batch failure), so the runner's handling
// of each is tested against a real bootstrap speaking the Runtime API.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// command is a direct invocation's instruction.
type command struct {
	Mode  string `json:"mode"`
	Sleep int    `json:"sleepMs"`
}

func main() {
	if os.Getenv("ECHO_INIT") == "exit" {
		os.Stderr.WriteString("echofn: failing initialisation on purpose\n")
		os.Exit(4)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe["Records"] != nil:
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return sqsBatch(ev)
	case probe["routeKey"] != nil:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return httpRequest(ctx, ev)
	case probe["mode"] != nil:
		var c command
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return direct(ctx, c, raw)
	}
	return raw, nil
}

func direct(ctx context.Context, c command, raw json.RawMessage) (any, error) {
	switch c.Mode {
	case "error":
		return nil, errors.New("echofn failed on purpose")
	case "panic":
		panic("echofn panicked on purpose")
	case "crash":
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Duration(c.Sleep) * time.Millisecond)
		return map[string]string{"slept": "yes"}, nil
	case "env":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		wd, _ := os.Getwd()
		return map[string]any{
			"env":        env,
			"requestId":  lc.AwsRequestID,
			"arn":        lc.InvokedFunctionArn,
			"deadlineMs": deadline.UnixMilli(),
			"traceId":    os.Getenv("_X_AMZN_TRACE_ID"),
			"cwd":        wd,
		}, nil
	}
	return raw, nil
}

// sqsBatch reports the records whose body is "fail" as failures, fails the
// whole batch on "error" (and on "flaky" at its first delivery), reports an
// id that is not in the batch on "bogus", and crashes on "crash".
func sqsBatch(ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		switch r.Body {
		case "crash":
			os.Exit(5)
		case "error":
			return resp, errors.New("echofn failed the batch on purpose")
		case "flaky":
			if r.Attributes["ApproximateReceiveCount"] == "1" {
				return resp, errors.New("echofn failed the batch on its first delivery, on purpose")
			}
		case "fail":
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		case "bogus":
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: "not-in-batch"})
		}
	}
	return resp, nil
}

// httpRequest answers by path: /simple, /string, /binary, /error, /crash,
// /sleep, and otherwise a structured response echoing the request.
func httpRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (any, error) {
	switch {
	case strings.HasSuffix(ev.RawPath, "/simple"):
		return map[string]string{"hello": "world"}, nil
	case strings.HasSuffix(ev.RawPath, "/string"):
		return "plain text", nil
	case strings.HasSuffix(ev.RawPath, "/binary"):
		return events.APIGatewayV2HTTPResponse{
			StatusCode:      200,
			Headers:         map[string]string{"content-type": "application/octet-stream"},
			Body:            base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255}),
			IsBase64Encoded: true,
		}, nil
	case strings.HasSuffix(ev.RawPath, "/error"):
		return nil, errors.New("echofn failed on purpose")
	case strings.HasSuffix(ev.RawPath, "/crash"):
		os.Exit(3)
	case strings.HasSuffix(ev.RawPath, "/sleep"):
		<-ctx.Done()
		time.Sleep(time.Second)
		return nil, ctx.Err()
	}
	echo, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode:        201,
		Headers:           map[string]string{"content-type": "application/json", "x-echo": "1"},
		MultiValueHeaders: map[string][]string{"x-multi": {"a", "b"}},
		Cookies:           []string{"session=abc; Path=/", "theme=dark"},
		Body:              string(echo),
	}, nil
}
