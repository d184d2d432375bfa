package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/switchboard-chat/switchboard/shared/awsclient"
	"github.com/switchboard-chat/switchboard/shared/template"
)

// Defaults of Options.
const (
	DefaultRegion              = "ap-northeast-1"
	DefaultAccountID           = "123456789012" // moto's account, so computed ARNs match the emulator's
	DefaultStackName           = "switchboard-local"
	DefaultHTTPAddr            = "127.0.0.1:3000"
	DefaultDynamoDBEndpoint    = "http://127.0.0.1:48000"
	DefaultSQSEndpoint         = "http://127.0.0.1:48001"
	DefaultEventBridgeEndpoint = "http://127.0.0.1:48001"
	DefaultPollWait            = time.Second
	DefaultBuildTimeout        = 5 * time.Minute
)

// Source says what triggered an invocation.
type Source string

// Sources of invocations.
const (
	SourceHTTP     Source = "http"
	SourceSQS      Source = "sqs"
	SourceSchedule Source = "schedule"
	SourceInvoke   Source = "invoke"
)

// Invocation is a finished invocation, reported to Options.OnInvoke so tests
// (and logs) can see exactly what a function was given and answered.
type Invocation struct {
	Function string // logical id
	Source   Source
	Payload  []byte
	Response []byte
	Err      error
	Duration time.Duration
}

// Options configures a Runner. The zero value runs ./template.yaml against the
// emulators on their default ports.
type Options struct {
	// TemplatePath is the SAM template; "template.yaml" when empty. CodeUri
	// and functions/<name> are relative to its directory.
	TemplatePath string
	// Parameters override the template's parameter defaults.
	Parameters map[string]string
	// StackName, Region and AccountID are what AWS::StackName, AWS::Region
	// and AWS::AccountId resolve to. Generated resource names start with
	// the stack name, so two stacks can share the emulators.
	StackName string
	Region    string
	AccountID string

	// Emulator endpoints.
	DynamoDBEndpoint    string
	SQSEndpoint         string
	EventBridgeEndpoint string
	// Offline resolves the template without the emulators: nothing is
	// created and queue URLs are computed. For one-off invocations and
	// measurements of functions that do not touch AWS at start-up.
	Offline bool

	// HTTPAddr is where the HTTP API listens; "127.0.0.1:0" picks a free port.
	HTTPAddr string
	// Env is added to every function's environment, over the template's
	// values: the fake platforms' base URLs, for instance.
	Env map[string]string
	// Instances is how many execution environments each function has
	// (default 1): Lambda's concurrency, in miniature.
	Instances int
	// MaxVisibilityTimeout, when positive, caps every queue's visibility
	// timeout, so a failed message is retried in seconds, not minutes.
	MaxVisibilityTimeout time.Duration
	// PollWait is the SQS long-poll wait (default one second).
	PollWait time.Duration

	// BuildDir keeps the bootstraps; a temporary directory (removed by
	// Close) when empty.
	BuildDir string
	// BuildTimeout bounds building all functions (default five minutes).
	BuildTimeout time.Duration
	// Binaries are prebuilt bootstraps by logical id, used instead of
	// building.
	Binaries map[string]string

	// Output receives the functions' stdout and stderr, each line prefixed
	// with the function's logical id (default os.Stderr).
	Output io.Writer
	// Logger receives the runner's own log (default JSON on os.Stderr).
	Logger *slog.Logger
	// Clock drives schedules (default the system clock).
	Clock Clock
	// DisableSchedules turns off the schedule timers; TriggerSchedule still
	// works.
	DisableSchedules bool
	// OnInvoke, when set, is called after every invocation.
	OnInvoke func(Invocation)
	// Seed runs once the tables and queues exist (in Start, or before the
	// first Invoke), before the HTTP API is served, a queue polled or a
	// function invoked: the place to create a demo team or register fake
	// platform state. Its error fails Start or Invoke. Offline runs skip it.
	Seed func(ctx context.Context, s *Stack) error
}

// Stack describes what the runner created, for Seed hooks and tests.
type Stack struct {
	Name      string
	Region    string
	AccountID string
	// HTTPURL is the base URL of the local HTTP API ("" before Start).
	HTTPURL string
	// Tables maps table logical ids to table names.
	Tables map[string]string
	// Queues maps queue logical ids to queues.
	Queues map[string]Queue
	// Functions maps function logical ids to function names.
	Functions map[string]string
	// Env is what every function gets on top of the template.
	Env map[string]string
	// AWS is the SDK configuration the runner uses (static test
	// credentials, the local region); with the endpoints below it builds
	// clients for the emulators.
	AWS                 aws.Config
	DynamoDBEndpoint    string
	SQSEndpoint         string
	EventBridgeEndpoint string
}

// Runner is a local Switchboard stack.
type Runner struct {
	o     Options
	tmpl  *template.Template
	log   *slog.Logger
	out   *lockedWriter
	clock Clock

	mu         sync.Mutex
	prepared   bool
	stack      *stack
	info       *Stack
	specs      map[string]*functionSpec
	functions  map[string]*lambdaFunction
	buildDir   string
	ownBuild   bool
	ln         net.Listener
	srv        *http.Server
	cancel     context.CancelFunc
	background sync.WaitGroup
	closed     bool

	coldMu     sync.Mutex
	coldStarts []ColdStart

	cfg aws.Config
	ddb *dynamodb.Client
	sqs *sqs.Client
	eb  *eventbridge.Client
}

// New reads the template and checks the parameters. It starts nothing.
func New(o Options) (*Runner, error) {
	if o.TemplatePath == "" {
		o.TemplatePath = "template.yaml"
	}
	o.StackName = or(o.StackName, DefaultStackName)
	o.Region = or(o.Region, DefaultRegion)
	o.AccountID = or(o.AccountID, DefaultAccountID)
	o.DynamoDBEndpoint = or(o.DynamoDBEndpoint, DefaultDynamoDBEndpoint)
	o.SQSEndpoint = or(o.SQSEndpoint, DefaultSQSEndpoint)
	o.EventBridgeEndpoint = or(o.EventBridgeEndpoint, DefaultEventBridgeEndpoint)
	o.HTTPAddr = or(o.HTTPAddr, DefaultHTTPAddr)
	if o.PollWait <= 0 {
		o.PollWait = DefaultPollWait
	}
	if o.BuildTimeout <= 0 {
		o.BuildTimeout = DefaultBuildTimeout
	}
	if o.Instances < 1 {
		o.Instances = 1
	}
	if o.Output == nil {
		o.Output = os.Stderr
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	clock := o.Clock
	if clock == nil {
		clock = systemClock{}
	}
	tmpl, err := template.Load(o.TemplatePath)
	if err != nil {
		return nil, err
	}
	r := &Runner{o: o, tmpl: tmpl, log: o.Logger, out: &lockedWriter{w: o.Output}, clock: clock}
	// Resolve once now so a bad parameter or template fails at New.
	if _, err := r.newStack(); err != nil {
		return nil, err
	}
	return r, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (r *Runner) newStack() (*stack, error) {
	dir, err := filepath.Abs(filepath.Dir(r.o.TemplatePath))
	if err != nil {
		return nil, err
	}
	return newStack(r.tmpl, dir, identity{
		region:      r.o.Region,
		account:     r.o.AccountID,
		stack:       r.o.StackName,
		sqsEndpoint: r.o.SQSEndpoint,
		httpURL:     "http://" + r.o.HTTPAddr,
	}, r.o.Parameters)
}

// Prepare checks the emulators, creates the template's tables and queues on
// them (unless Offline) and resolves every function. Start calls it; call it
// alone to set up resources without running anything (a test can then queue
// messages before the pollers start). After Prepare, Start keeps what Prepare
// resolved: an !GetAtt of an HTTP API's ApiEndpoint names Options.HTTPAddr
// as given, not the port Start picked for "127.0.0.1:0".
func (r *Runner) Prepare(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prepareLocked(ctx)
}

func (r *Runner) prepareLocked(ctx context.Context) error {
	if r.prepared {
		return nil
	}
	if r.closed {
		return errors.New("runner is closed")
	}
	st, err := r.newStack()
	if err != nil {
		return err
	}
	info := &Stack{
		Name: r.o.StackName, Region: r.o.Region, AccountID: r.o.AccountID,
		Tables: map[string]string{}, Queues: map[string]Queue{}, Functions: map[string]string{},
		Env:              map[string]string{},
		DynamoDBEndpoint: r.o.DynamoDBEndpoint, SQSEndpoint: r.o.SQSEndpoint, EventBridgeEndpoint: r.o.EventBridgeEndpoint,
	}
	cfg, err := awsclient.Load(ctx, awsclient.Options{
		Region:      r.o.Region,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		MaxAttempts: 3,
		MaxBackoff:  500 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	r.cfg, info.AWS = cfg, cfg
	// DynamoDB Local's CRC32 headers do not always match what it sends
	// (gzip), which only makes the SDK log warnings; checksums guard
	// against a network that does not exist between two local processes.
	r.ddb = dynamodb.NewFromConfig(cfg, func(do *dynamodb.Options) {
		do.BaseEndpoint = aws.String(r.o.DynamoDBEndpoint)
		do.DisableValidateResponseChecksum = true
	})
	r.sqs = awsclient.SQS(cfg, r.o.SQSEndpoint)
	r.eb = awsclient.EventBridge(cfg, r.o.EventBridgeEndpoint)

	tables, err := st.enabled(typeTable)
	if err != nil {
		return err
	}
	queues, err := st.enabled(typeQueue)
	if err != nil {
		return err
	}
	if queues, err = st.queueOrder(queues); err != nil {
		return err
	}
	if !r.o.Offline {
		if err := checkEmulators(ctx, r.ddb, r.sqs, r.eb, &r.o); err != nil {
			return err
		}
	}
	for _, id := range tables {
		t, err := st.table(id)
		if err != nil {
			return err
		}
		info.Tables[id] = t.Name
		if r.o.Offline {
			continue
		}
		created, err := createTable(ctx, r.ddb, t)
		if err != nil {
			return err
		}
		r.log.Info("table ready", "table", t.Name, "logicalId", id, "created", created)
	}
	for _, id := range queues {
		q, err := st.queueProps(id)
		if err != nil {
			return err
		}
		if r.o.Offline {
			p, err := st.res.physical(id)
			if err != nil {
				return err
			}
			vt, _ := strconv.Atoi(or(str(q.Props, "VisibilityTimeout"), "30"))
			info.Queues[id] = Queue{Name: q.Name, URL: p.Ref, ARN: p.Attrs["Arn"], FIFO: q.FIFO, VisibilityTimeout: time.Duration(vt) * time.Second}
			continue
		}
		created, err := createQueue(ctx, r.sqs, q, r.o.MaxVisibilityTimeout)
		if err != nil {
			return err
		}
		st.res.setPhysical(id, queuePhysical(created.URL, created.ARN, created.Name))
		info.Queues[id] = *created
		r.log.Info("queue ready", "queue", created.Name, "logicalId", id, "url", created.URL)
	}
	specs, err := st.functions()
	if err != nil {
		return err
	}
	r.specs = map[string]*functionSpec{}
	for _, s := range specs {
		r.specs[s.ID] = s
		info.Functions[s.ID] = s.Name
	}
	info.Env = r.commonEnv()
	// Seed once the resources exist and before anything is served, polled or
	// invoked, so the first request already finds the data.
	if r.o.Seed != nil && !r.o.Offline {
		seedInfo := *info
		if err := r.o.Seed(ctx, &seedInfo); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	r.stack, r.info = st, info
	r.prepared = true
	return nil
}

// commonEnv is what every function gets besides its template variables and
// Lambda's reserved variables.
func (r *Runner) commonEnv() map[string]string {
	env := map[string]string{
		"DYNAMODB_ENDPOINT":         r.o.DynamoDBEndpoint,
		"SQS_ENDPOINT":              r.o.SQSEndpoint,
		"EVENTBRIDGE_ENDPOINT":      r.o.EventBridgeEndpoint,
		"AWS_EC2_METADATA_DISABLED": "true",
	}
	for k, v := range r.o.Env {
		env[k] = v
	}
	return env
}

// functionEnv builds the environment of one function: the runner's endpoint
// variables, the template's variables over them, Options.Env over those, and
// Lambda's reserved variables last (a template cannot set those in AWS either).
func (r *Runner) functionEnv(s *functionSpec, binary string) []string {
	env := map[string]string{
		"DYNAMODB_ENDPOINT":         r.o.DynamoDBEndpoint,
		"SQS_ENDPOINT":              r.o.SQSEndpoint,
		"EVENTBRIDGE_ENDPOINT":      r.o.EventBridgeEndpoint,
		"AWS_EC2_METADATA_DISABLED": "true",
		"PATH":                      os.Getenv("PATH"),
		"LANG":                      "en_US.UTF-8",
	}
	for k, v := range s.Env {
		env[k] = v
	}
	for k, v := range r.o.Env {
		env[k] = v
	}
	root := filepath.Dir(binary)
	reserved := map[string]string{
		"AWS_REGION":                      r.o.Region,
		"AWS_DEFAULT_REGION":              r.o.Region,
		"AWS_ACCESS_KEY_ID":               "test",
		"AWS_SECRET_ACCESS_KEY":           "test",
		"AWS_LAMBDA_FUNCTION_NAME":        s.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(s.Memory),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + s.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]local",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"_HANDLER":                        s.Handler,
		"LAMBDA_TASK_ROOT":                root,
		"LAMBDA_RUNTIME_DIR":              root,
		"TZ":                              "UTC",
	}
	// Lambda tells the runtime about the function's LoggingConfig this way.
	if s.LogFormat != "" {
		reserved["AWS_LAMBDA_LOG_FORMAT"] = s.LogFormat
	}
	if s.LogLevel != "" {
		reserved["AWS_LAMBDA_LOG_LEVEL"] = s.LogLevel
	}
	for k, v := range reserved {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// Start brings the stack up: the HTTP API port is claimed first (so a port
// in use fails at once), then resources are created, every function is built
// and started, and the HTTP API, SQS pollers and schedules begin. It returns
// once everything runs; Close stops it.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		return errors.New("runner already started")
	}
	ln, err := net.Listen("tcp", r.o.HTTPAddr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("HTTP API address %s is already in use (another switchboard-local?); choose another with -http or SWITCHBOARD_HTTP_ADDR", r.o.HTTPAddr)
		}
		return fmt.Errorf("HTTP API address %s: %w", r.o.HTTPAddr, err)
	}
	r.ln = ln
	// Physical names may embed the HTTP URL; with port 0 it is only known now.
	r.o.HTTPAddr = ln.Addr().String()
	if err := r.prepareLocked(ctx); err != nil {
		return err
	}
	r.info.HTTPURL = "http://" + r.o.HTTPAddr
	ids := sortedKeys(r.specs)
	if err := r.startFunctionsLocked(ctx, ids...); err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel

	var routes []*route
	for _, id := range ids {
		s := r.specs[id]
		for _, rs := range s.Routes {
			p, err := r.stack.res.physical(rs.API)
			if err != nil {
				return err
			}
			rt, err := newRoute(rs, p.Ref, r.functions[id])
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			routes = append(routes, rt)
		}
	}
	api, err := newHTTPAPI(routes, r.o.AccountID, time.Now, r.log, r.o.OnInvoke)
	if err != nil {
		return err
	}
	r.srv = &http.Server{Handler: api, ReadHeaderTimeout: 30 * time.Second}
	r.background.Go(func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("HTTP API stopped", "error", err)
		}
	})
	for _, id := range ids {
		s := r.specs[id]
		if r.o.Offline && len(s.Queues) > 0 {
			r.log.Warn("offline: SQS event sources are not polled", "function", id)
			s = &functionSpec{Schedules: s.Schedules}
		}
		for _, qs := range s.Queues {
			p := &poller{
				fn: r.functions[id], spec: qs, queue: r.info.Queues[qs.Queue], client: r.sqs,
				region: r.o.Region, wait: r.o.PollWait, log: r.log, observe: r.o.OnInvoke, pollers: r.o.Instances,
			}
			r.background.Go(func() { p.run(runCtx) })
		}
		if r.o.DisableSchedules {
			continue
		}
		for _, ss := range s.Schedules {
			r.background.Go(func() { r.runSchedule(runCtx, r.functions[id], ss) })
		}
	}
	r.log.Info("local stack up", "http", r.info.HTTPURL, "functions", len(ids), "tables", len(r.info.Tables), "queues", len(r.info.Queues))
	return nil
}

// startFunctionsLocked builds and starts the named functions that are not
// running yet.
func (r *Runner) startFunctionsLocked(ctx context.Context, ids ...string) error {
	if r.functions == nil {
		r.functions = map[string]*lambdaFunction{}
	}
	var todo []*functionSpec
	for _, id := range ids {
		if _, running := r.functions[id]; !running {
			todo = append(todo, r.specs[id])
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if r.buildDir == "" {
		if r.o.BuildDir != "" {
			r.buildDir = r.o.BuildDir
		} else {
			dir, err := os.MkdirTemp("", "switchboard-local-")
			if err != nil {
				return err
			}
			r.buildDir, r.ownBuild = dir, true
		}
	}
	bctx, cancel := context.WithTimeout(ctx, r.o.BuildTimeout)
	defer cancel()
	started := time.Now()
	binaries, err := buildAll(bctx, todo, r.buildDir, r.o.Binaries)
	if err != nil {
		return err
	}
	r.log.Info("functions built", "count", len(todo), "ms", time.Since(started).Milliseconds())
	var errs []error
	for _, s := range todo {
		out := &lineWriter{dst: r.out, prefix: []byte("[" + s.ID + "] ")}
		fn, err := newLambdaFunction(s, binaries[s.ID], r.functionEnv(s, binaries[s.ID]), r.o.Instances, out, r.log, r.recordColdStart)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.functions[s.ID] = fn
		if err := fn.start(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Runner) recordColdStart(c ColdStart) {
	r.coldMu.Lock()
	defer r.coldMu.Unlock()
	r.coldStarts = append(r.coldStarts, c)
}

// ColdStarts returns every process start so far: how long each bootstrap took
// from exec to its first request for an event.
func (r *Runner) ColdStarts() []ColdStart {
	r.coldMu.Lock()
	defer r.coldMu.Unlock()
	return append([]ColdStart(nil), r.coldStarts...)
}

// Stack describes the local stack (after Prepare or Start).
func (r *Runner) Stack() *Stack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// HTTPURL is the base URL of the HTTP API once Start has returned.
func (r *Runner) HTTPURL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info == nil {
		return ""
	}
	return r.info.HTTPURL
}

// FunctionIDs lists the template's functions by logical id.
func (r *Runner) FunctionIDs() []string {
	ids, _ := r.resolveIDs()
	return ids
}

func (r *Runner) resolveIDs() ([]string, error) {
	st, err := r.newStack()
	if err != nil {
		return nil, err
	}
	return st.enabled(typeFunction)
}

// lookup finds a function by logical id (IngestFunction), folder name
// (ingest) or function name.
func (r *Runner) lookupLocked(name string) (*functionSpec, error) {
	if s, ok := r.specs[name]; ok {
		return s, nil
	}
	for _, s := range r.specs {
		if s.Name == name || filepath.Base(s.Dir) == name || strings.EqualFold(s.ID, name+"Function") {
			return s, nil
		}
	}
	return nil, fmt.Errorf("no function %q in the template (functions: %s)", name, strings.Join(sortedKeys(r.specs), ", "))
}

// Invoke runs payload through the named function (logical id, folder name or
// function name) synchronously, as `aws lambda invoke` would, building and
// starting the function first if Start has not. A function error is a
// *FunctionError.
func (r *Runner) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	fn, err := r.function(ctx, function)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := fn.invoke(ctx, payload)
	if r.o.OnInvoke != nil {
		r.o.OnInvoke(Invocation{Function: fn.spec.ID, Source: SourceInvoke, Payload: payload, Response: resp, Err: err, Duration: time.Since(start)})
	}
	return resp, err
}

func (r *Runner) function(ctx context.Context, name string) (*lambdaFunction, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.prepareLocked(ctx); err != nil {
		return nil, err
	}
	s, err := r.lookupLocked(name)
	if err != nil {
		return nil, err
	}
	if err := r.startFunctionsLocked(ctx, s.ID); err != nil {
		return nil, err
	}
	return r.functions[s.ID], nil
}

// Crash kills every running process of the function, as an out-of-memory kill
// or a host failure would: the invocation in flight fails and the next one
// starts a fresh process, while its SQS batch comes back after the visibility
// timeout. Tests use it to prove an interrupted batch is neither lost nor
// repeated. It returns how many processes it killed.
func (r *Runner) Crash(ctx context.Context, function string) (int, error) {
	fn, err := r.function(ctx, function)
	if err != nil {
		return 0, err
	}
	killed := 0
	for _, in := range fn.instances {
		in.mu.Lock()
		p := in.proc
		in.mu.Unlock()
		if p != nil && p.cmd.Process != nil {
			if p.cmd.Process.Kill() == nil {
				killed++
			}
		}
	}
	return killed, nil
}

// TriggerSchedule fires a function's schedule now and waits for the
// invocation, so tests need not wait for the clock. event names the entry of
// the function's Events; it may be empty when the function has one schedule.
func (r *Runner) TriggerSchedule(ctx context.Context, function, event string) ([]byte, error) {
	fn, err := r.function(ctx, function)
	if err != nil {
		return nil, err
	}
	var spec *scheduleSpec
	for i := range fn.spec.Schedules {
		if s := &fn.spec.Schedules[i]; s.Event == event || event == "" && len(fn.spec.Schedules) == 1 {
			spec = s
		}
	}
	if spec == nil {
		var names []string
		for _, s := range fn.spec.Schedules {
			names = append(names, s.Event)
		}
		return nil, fmt.Errorf("%s has no schedule %q (schedules: %s)", fn.spec.ID, event, strings.Join(names, ", "))
	}
	payload := r.scheduledEvent(fn, *spec, r.clock.Now())
	start := time.Now()
	resp, err := fn.invoke(ctx, payload)
	if r.o.OnInvoke != nil {
		r.o.OnInvoke(Invocation{Function: fn.spec.ID, Source: SourceSchedule, Payload: payload, Response: resp, Err: err, Duration: time.Since(start)})
	}
	return resp, err
}

// scheduledEvent is what EventBridge sends a function at a firing: the
// template's Input when set, otherwise a "Scheduled Event".
func (r *Runner) scheduledEvent(fn *lambdaFunction, s scheduleSpec, at time.Time) []byte {
	if s.Input != "" {
		return []byte(s.Input)
	}
	resource := fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", r.o.Region, r.o.AccountID, s.Name)
	if s.V2 {
		resource = fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", r.o.Region, r.o.AccountID, s.Name)
	}
	ev := events.EventBridgeEvent{
		Version:    "0",
		ID:         newRequestID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  r.o.AccountID,
		Time:       at.UTC().Truncate(time.Second),
		Region:     r.o.Region,
		Resources:  []string{resource},
		Detail:     json.RawMessage("{}"),
	}
	b, _ := json.Marshal(ev)
	return b
}

// asyncRetryDelays are Lambda's waits before retrying a failed asynchronous
// invocation (EventBridge invokes asynchronously): two retries.
var asyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}

// runSchedule fires s on fn until ctx ends.
func (r *Runner) runSchedule(ctx context.Context, fn *lambdaFunction, s scheduleSpec) {
	sched, err := ParseSchedule(s.Expr, s.Location)
	if err != nil {
		r.log.Error("bad schedule", "function", fn.spec.ID, "error", err)
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		now := r.clock.Now()
		next := sched.Next(now)
		if next.IsZero() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(next.Sub(now)):
		}
		payload := r.scheduledEvent(fn, s, next)
		wg.Go(func() { r.invokeAsync(ctx, fn, payload) })
	}
}

// invokeAsync invokes as Lambda does for asynchronous sources: a failure is
// retried twice, after one and then two minutes.
func (r *Runner) invokeAsync(ctx context.Context, fn *lambdaFunction, payload []byte) {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		resp, err := fn.invoke(ctx, payload)
		if r.o.OnInvoke != nil {
			r.o.OnInvoke(Invocation{Function: fn.spec.ID, Source: SourceSchedule, Payload: payload, Response: resp, Err: err, Duration: time.Since(start)})
		}
		if err == nil || ctx.Err() != nil {
			return
		}
		if attempt >= len(asyncRetryDelays) {
			r.log.Error("scheduled invocation failed; no retries left", "function", fn.spec.ID, "error", err)
			return
		}
		r.log.Warn("scheduled invocation failed; retrying", "function", fn.spec.ID, "error", err, "in", asyncRetryDelays[attempt].String())
		select {
		case <-ctx.Done():
			return
		case <-r.clock.After(asyncRetryDelays[attempt]):
		}
	}
}

// Close stops the HTTP API, pollers and schedules, then every function
// process, and removes the temporary build directory.
func (r *Runner) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	cancel, srv, ln := r.cancel, r.srv, r.ln
	fns := make([]*lambdaFunction, 0, len(r.functions))
	for _, id := range sortedKeys(r.functions) {
		fns = append(fns, r.functions[id])
	}
	r.mu.Unlock()

	if cancel != nil {
		cancel()
	}
	if srv != nil {
		ctx, stop := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(ctx)
		stop()
		_ = srv.Close()
	} else if ln != nil {
		_ = ln.Close()
	}
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn.close)
	}
	wg.Wait()
	r.background.Wait()
	if r.ownBuild {
		return os.RemoveAll(r.buildDir)
	}
	return nil
}

// Routes lists the HTTP API's route keys and their functions, for the
// start-up banner.
func (r *Runner) Routes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range sortedKeys(r.specs) {
		for _, rt := range r.specs[id].Routes {
			key := rt.Method + " " + rt.Path
			if rt.Path == "" {
				key = "$default"
			}
			out = append(out, key+" -> "+id)
		}
	}
	sort.Strings(out)
	return out
}
