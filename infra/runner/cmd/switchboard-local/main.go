// Command switchboard-local runs Switchboard on one machine without AWS or
// Docker, wired from template.yaml by the runner in infra/runner.
//
//	switchboard-local [up] [flags]      create resources, build and start every function,
//	                                    serve the HTTP API, poll the queues, fire the schedules
//	switchboard-local invoke -fn NAME [-event FILE] [flags]
//	                                    run one event through one function and print its answer
//	switchboard-local measure [-n N] [-fn NAME] [-json] [flags]
//	                                    cold start and binary size of every function
//	switchboard-local send [-event FILE] [-http ADDR]
//	                                    post a signed sample webhook to a running stack
//
// Endpoints come from flags or the environment (SWITCHBOARD_DYNAMODB_ENDPOINT,
// SWITCHBOARD_SQS_ENDPOINT, SWITCHBOARD_EVENTBRIDGE_ENDPOINT, SWITCHBOARD_HTTP_ADDR);
// the defaults are the ports `make run` starts the emulators on.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/switchboard-chat/switchboard/events"
	"github.com/switchboard-chat/switchboard/infra/demo"
	"github.com/switchboard-chat/switchboard/infra/fakes"
	"github.com/switchboard-chat/switchboard/infra/fakes/line"
	"github.com/switchboard-chat/switchboard/infra/fakes/widgetsite"
	"github.com/switchboard-chat/switchboard/infra/runner"
	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/dynamo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  switchboard-local [up] [flags]                  run the whole stack until Ctrl-C
  switchboard-local invoke -fn NAME [-event FILE] run one event through one function
  switchboard-local measure [-n N] [-fn NAME]     cold start and binary size per function
  switchboard-local send [-event FILE]            post a signed sample webhook to a running stack
Run a subcommand with -h for its flags.
`

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "up":
		err = up(ctx, args, stdout, stderr)
	case "invoke":
		err = invoke(ctx, args, stdin, stdout, stderr)
	case "measure":
		err = measure(ctx, args, stdout, stderr)
	case "send":
		err = send(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "switchboard-local: unknown command %q\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "switchboard-local %s: %v\n", cmd, err)
	return 1
}

var errUsage = errors.New("usage")

// parse parses flags; the flag package has already explained a bad flag, so
// the error only sets the exit code.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// multi is a repeatable KEY=VALUE flag.
type multi map[string]string

func (m multi) String() string { return "" }

func (m multi) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	m[k] = val
	return nil
}

// common holds the flags every subcommand shares.
type common struct {
	template, stack                  string
	dynamodb, sqs, eventbridge, http string
	params, env                      multi
	logLevel, buildDir               string
	instances                        int
	offline                          bool
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func commonFlags(fs *flag.FlagSet, c *common, logLevel string, offline bool) {
	c.params, c.env = multi{}, multi{}
	fs.StringVar(&c.template, "template", envOr("SWITCHBOARD_TEMPLATE", "template.yaml"), "SAM template")
	fs.StringVar(&c.stack, "stack", envOr("SWITCHBOARD_STACK_NAME", runner.DefaultStackName), "stack name (prefix of generated resource names)")
	fs.StringVar(&c.dynamodb, "dynamodb", envOr("SWITCHBOARD_DYNAMODB_ENDPOINT", runner.DefaultDynamoDBEndpoint), "DynamoDB Local endpoint")
	fs.StringVar(&c.sqs, "sqs", envOr("SWITCHBOARD_SQS_ENDPOINT", runner.DefaultSQSEndpoint), "SQS emulator endpoint")
	fs.StringVar(&c.eventbridge, "eventbridge", envOr("SWITCHBOARD_EVENTBRIDGE_ENDPOINT", runner.DefaultEventBridgeEndpoint), "EventBridge emulator endpoint")
	fs.StringVar(&c.http, "http", envOr("SWITCHBOARD_HTTP_ADDR", runner.DefaultHTTPAddr), "HTTP API listen address")
	fs.Var(c.params, "param", "template parameter override KEY=VALUE (repeatable)")
	fs.Var(c.env, "env", "extra function environment variable KEY=VALUE (repeatable)")
	fs.StringVar(&c.logLevel, "log-level", logLevel, "runner log level: debug, info, warn, error")
	fs.StringVar(&c.buildDir, "build-dir", "", "keep bootstraps here (default: a temporary directory)")
	fs.IntVar(&c.instances, "instances", 1, "execution environments per function")
	fs.BoolVar(&c.offline, "offline", offline, "do not use the emulators: create nothing, compute queue URLs")
}

func (c *common) options(stderr io.Writer) (runner.Options, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return runner.Options{}, fmt.Errorf("-log-level: %w", err)
	}
	return runner.Options{
		TemplatePath:        c.template,
		Parameters:          c.params,
		StackName:           c.stack,
		DynamoDBEndpoint:    c.dynamodb,
		SQSEndpoint:         c.sqs,
		EventBridgeEndpoint: c.eventbridge,
		HTTPAddr:            c.http,
		Env:                 map[string]string(c.env),
		Instances:           c.instances,
		BuildDir:            c.buildDir,
		Offline:             c.offline,
		Output:              stderr,
		Logger:              slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})),
	}, nil
}

// fakeFlags are where the fake platforms listen.
type fakeFlags struct {
	enabled              bool
	line, graph, wa, mof string
	widgetSite           string
}

func addFakeFlags(fs *flag.FlagSet, f *fakeFlags, defaults [5]string) {
	fs.BoolVar(&f.enabled, "fakes", true, "start the fake LINE, Graph, WhatsApp and MoF APIs and the widget site, and point the functions at them")
	fs.StringVar(&f.line, "line-addr", defaults[0], "fake LINE API listen address")
	fs.StringVar(&f.graph, "graph-addr", defaults[1], "fake Graph (Messenger/Instagram) API listen address")
	fs.StringVar(&f.wa, "whatsapp-addr", defaults[2], "fake WhatsApp Cloud API listen address")
	fs.StringVar(&f.mof, "mof-addr", defaults[3], "fake MoF e-invoice API listen address")
	fs.StringVar(&f.widgetSite, "widget-site-addr", defaults[4], "fake brand website receiving web-widget replies")
}

// startFakes starts the fakes and adds their URLs to the functions'
// environment (without overriding -env values).
func startFakes(f fakeFlags, o *runner.Options) (*fakes.Set, error) {
	if !f.enabled {
		return nil, nil
	}
	set, err := fakes.Start(fakes.Config{
		LINEAddr: f.line, GraphAddr: f.graph, WhatsAppAddr: f.wa, MoFAddr: f.mof, WidgetSiteAddr: f.widgetSite,
		// Locally nobody registers LINE profiles, so unknown users get a
		// made-up one instead of a 404.
		LINE: line.Config{GenerateProfiles: true},
		// The demo widget channel signs its replies with the demo secret.
		WidgetSite: widgetsite.Config{Tokens: []string{events.DemoSecret}},
	})
	if err != nil {
		return nil, err
	}
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	for k, v := range set.Env() {
		if _, set := o.Env[k]; !set {
			o.Env[k] = v
		}
	}
	return set, nil
}

func up(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	var ff fakeFlags
	commonFlags(fs, &c, "info", false)
	addFakeFlags(fs, &ff, [5]string{fakes.DefaultLINE, fakes.DefaultGraph, fakes.DefaultWA, fakes.DefaultMoF, fakes.DefaultWidgetSite})
	maxVisibility := fs.Duration("max-visibility", 0, "cap every queue's visibility timeout (e.g. 10s), so failed messages retry sooner")
	noSchedules := fs.Bool("no-schedules", false, "do not fire schedules")
	seedDemo := fs.Bool("demo", true, "seed the demo team of infra/demo (with the fakes)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	o.MaxVisibilityTimeout = *maxVisibility
	o.DisableSchedules = *noSchedules
	set, err := startFakes(ff, &o)
	if err != nil {
		return err
	}
	if set != nil {
		defer set.Close()
	}
	seeded := false
	if set != nil && *seedDemo && !o.Offline {
		o.Seed = seedHook(set, &seeded)
	}
	r, err := runner.New(o)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Start(ctx); err != nil {
		return err
	}
	st := r.Stack()
	w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintf(w, "switchboard-local: stack %s is up\n", st.Name)
	fmt.Fprintf(w, "  HTTP API\t%s\n", st.HTTPURL)
	for _, rt := range r.Routes() {
		fmt.Fprintf(w, "    \t%s\n", rt)
	}
	if set != nil {
		urls := set.URLs()
		for _, name := range set.Names() {
			fmt.Fprintf(w, "  fake %s\t%s\n", name, urls[name])
		}
	}
	fmt.Fprintf(w, "  DynamoDB\t%s (tables: %s)\n", st.DynamoDBEndpoint, strings.Join(values(st.Tables), ", "))
	var queues []string
	for _, q := range st.Queues {
		queues = append(queues, q.Name)
	}
	sort.Strings(queues)
	fmt.Fprintf(w, "  SQS\t%s (queues: %s)\n", st.SQSEndpoint, strings.Join(queues, ", "))
	fmt.Fprintf(w, "  functions\t%s\n", strings.Join(keys(st.Functions), ", "))
	if seeded {
		fmt.Fprintf(w, "Demo team %s is seeded: the five demo channels of events/, an auto-reply to any text.\n", events.DemoTeamID)
		fmt.Fprintf(w, "  API token\t%s   (curl -H 'authorization: Bearer %s' %s/v1/conversations?view=team)\n", demo.AdminToken, demo.AdminToken, st.HTTPURL)
		fmt.Fprintf(w, "  talk to it\tmake send EVENT=events/webhooks/line-text.json   (in another terminal)\n")
		fmt.Fprintf(w, "  see replies\tcurl -s %s/__fake/requests\n", set.URLs()["line"])
	}
	fmt.Fprintln(w, "Ctrl-C stops everything.")
	_ = w.Flush()
	<-ctx.Done()
	fmt.Fprintln(stdout, "switchboard-local: stopping")
	return nil
}

// seedHook writes infra/demo's team into the stack's table, so the samples of
// events/ (signed for the demo channels) find their channels; it sets *seeded
// when it did. A stack without the table (a test template) is left empty.
func seedHook(set *fakes.Set, seeded *bool) func(context.Context, *runner.Stack) error {
	widgetURL := set.URLs()["widgetsite"] + "/messages"
	return func(ctx context.Context, st *runner.Stack) error {
		table, ok := st.Tables["Table"]
		if !ok {
			return nil
		}
		store := dynamo.New(awsclient.DynamoDB(st.AWS, st.DynamoDBEndpoint), table)
		if err := demo.Seed(ctx, store, demo.Options{WidgetOutboundURL: widgetURL}); err != nil {
			return err
		}
		*seeded = true
		return nil
	}
}

func invoke(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	var ff fakeFlags
	commonFlags(fs, &c, "warn", false)
	addFakeFlags(fs, &ff, [5]string{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"})
	fn := fs.String("fn", "", "function: logical id (IngestFunction), folder (ingest) or function name")
	eventPath := fs.String("event", "", `event file ("-" for stdin; default {})`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *fn == "" {
		fmt.Fprintln(stderr, "invoke needs -fn NAME")
		fs.Usage()
		return errUsage
	}
	payload := []byte("{}")
	switch *eventPath {
	case "":
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		payload = b
	default:
		b, err := os.ReadFile(*eventPath)
		if err != nil {
			return err
		}
		payload = b
	}
	if !json.Valid(payload) {
		return fmt.Errorf("event %s is not JSON", *eventPath)
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	set, err := startFakes(ff, &o)
	if err != nil {
		return err
	}
	if set != nil {
		defer set.Close()
		if !o.Offline {
			var seeded bool
			o.Seed = seedHook(set, &seeded)
		}
	}
	r, err := runner.New(o)
	if err != nil {
		return err
	}
	defer r.Close()
	resp, err := r.Invoke(ctx, *fn, payload)
	var fe *runner.FunctionError
	if errors.As(err, &fe) {
		fmt.Fprintf(stdout, "%s\n", fe.Payload)
		return fmt.Errorf("function error %s: %s", fe.Type, fe.Message)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", resp)
	return nil
}

func measure(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	commonFlags(fs, &c, "warn", true)
	n := fs.Int("n", 10, "cold starts per function")
	fn := fs.String("fn", "", "comma-separated functions (default: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := c.options(stderr)
	if err != nil {
		return err
	}
	r, err := runner.New(o)
	if err != nil {
		return err
	}
	defer r.Close()
	var names []string
	if *fn != "" {
		names = strings.Split(*fn, ",")
	}
	ms, err := r.Measure(ctx, *n, names...)
	if *asJSON {
		type row struct {
			Function     string  `json:"function"`
			BinaryBytes  int64   `json:"binaryBytes"`
			Starts       int     `json:"starts"`
			MedianMillis float64 `json:"medianMs"`
			MinMillis    float64 `json:"minMs"`
			MaxMillis    float64 `json:"maxMs"`
		}
		rows := make([]row, 0, len(ms))
		for _, m := range ms {
			rows = append(rows, row{m.Function, m.BinaryBytes, len(m.ColdStarts), millis(m.Median()), millis(m.Min()), millis(m.Max())})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if encErr := enc.Encode(rows); encErr != nil {
			return encErr
		}
	} else if len(ms) > 0 {
		w := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(w, "function\tbinary\tcold start median\tmin\tmax\tstarts\t\n")
		for _, m := range ms {
			fmt.Fprintf(w, "%s\t%.1f MB\t%.1f ms\t%.1f ms\t%.1f ms\t%d\t\n", m.Function, float64(m.BinaryBytes)/(1<<20),
				millis(m.Median()), millis(m.Min()), millis(m.Max()), len(m.ColdStarts))
		}
		_ = w.Flush()
	}
	return err
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
