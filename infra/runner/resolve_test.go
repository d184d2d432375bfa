package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/shared/template"
)

func prepareOffline(t *testing.T, params map[string]string) *Runner {
	t.Helper()
	o, _ := testOptions(t)
	o.Offline = true
	o.StackName = "teststack"
	o.SQSEndpoint = "http://127.0.0.1:48999"
	o.Parameters = params
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if err := r.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveEnvironment(t *testing.T) {
	const (
		queueURL = "http://127.0.0.1:48999/123456789012/teststack-InboundQueue.fifo"
		queueARN = "arn:aws:sqs:ap-northeast-1:123456789012:teststack-InboundQueue.fifo"
	)
	tests := []struct {
		name   string
		params map[string]string
		want   map[string]string
		absent []string
	}{
		{
			name: "defaults",
			want: map[string]string{
				"STAGE":      "function-wins", // the function's value beats Globals
				"TABLE_NAME": "teststack-Table",
				"QUEUE_URL":  queueURL,
				"QUEUE_ARN":  queueARN,
				"QUEUE_NAME": "teststack-InboundQueue.fifo",
				"TABLE_ARN":  "arn:aws:dynamodb:ap-northeast-1:123456789012:table/teststack-Table",
				"SUBBED":     "ap-northeast-1/123456789012/teststack/teststack-Table/teststack-InboundQueue.fifo/${Literal}",
				"SUB_MAP":    "hello-test",
				"JOINED":     "a+b+c",
				"SELECTED":   "b",
				"PEER":       "teststack-ConsumerFunction",
				"PEER_ARN":   "arn:aws:lambda:ap-northeast-1:123456789012:function:teststack-ConsumerFunction",
				"API_ID":     "api0000000",
				"NO_EXTRA":   "yes",
				"NUMBER":     "42",
			},
			absent: []string{"EXTRA"},
		},
		{
			name:   "overridden parameters",
			params: map[string]string{"Greeting": "hi", "Flags": "x, y", "UseExtra": "yes"},
			want: map[string]string{
				"SUB_MAP":  "hi-test",
				"JOINED":   "x+y",
				"SELECTED": "y",
				"EXTRA":    "on",
				"NO_EXTRA": "no",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prepareOffline(t, tt.params)
			env := r.specs["EchoFunction"].Env
			for k, want := range tt.want {
				if got := env[k]; got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.absent {
				if v, ok := env[k]; ok {
					t.Errorf("%s: got %q, want it absent", k, v)
				}
			}
			// Globals reach functions that set no variables of their own.
			if got, want := r.specs["ConsumerFunction"].Env["STAGE"], "test"; got != want {
				t.Errorf("ConsumerFunction STAGE: got %q, want %q", got, want)
			}
		})
	}
}

func TestResolveFunctions(t *testing.T) {
	r := prepareOffline(t, map[string]string{"UseExtra": "yes"})
	echo := r.specs["EchoFunction"]
	if got, want := echo.Memory, 256; got != want {
		t.Errorf("EchoFunction MemorySize (FindInMap): got %d, want %d", got, want)
	}
	if got, want := echo.Timeout, 2*time.Second; got != want {
		t.Errorf("EchoFunction Timeout (Globals, !Ref Number): got %s, want %s", got, want)
	}
	if got, want := echo.Dir, "echofn"; filepath.Base(got) != want {
		t.Errorf("EchoFunction dir: got %s, want .../%s", got, want)
	}
	var routes []string
	for _, rt := range echo.Routes {
		routes = append(routes, rt.Method+" "+rt.Path+" "+rt.API)
	}
	slices.Sort(routes)
	wantRoutes := []string{"ANY /v1/{proxy+} Api", "GET /slow/sleep Api", "GET /v1/teams/special Api", "GET /webhooks/{kind}/{channelId} Api", "POST /webhooks/{kind}/{channelId} Api"}
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("routes: got %q, want %q", routes, wantRoutes)
	}
	consumer := r.specs["ConsumerFunction"].Queues
	if len(consumer) != 1 || consumer[0] != (sqsSpec{Event: "Inbound", Queue: "InboundQueue", BatchSize: 3, ReportFailures: true}) {
		t.Errorf("ConsumerFunction SQS: got %+v", consumer)
	}
	worker := r.specs["WorkerFunction"].Queues
	if len(worker) != 1 || worker[0] != (sqsSpec{Event: "Work", Queue: "WorkQueue", BatchSize: 5}) {
		t.Errorf("WorkerFunction SQS: got %+v", worker)
	}
	var schedules []string
	for _, s := range r.specs["TickFunction"].Schedules {
		schedules = append(schedules, s.Event+" "+s.Expr+" "+s.Location.String()+" "+s.Input)
	}
	wantSchedules := []string{`Nightly cron(0 3 * * ? *) Asia/Taipei {"mode":"echo","nightly":true}`, "Tick rate(1 minute) UTC "}
	if !slices.Equal(schedules, wantSchedules) {
		t.Errorf("schedules (Off is disabled): got %q, want %q", schedules, wantSchedules)
	}
	queues := r.Stack().Queues
	if _, ok := queues["ExtraQueue"]; !ok {
		t.Errorf("ExtraQueue (Condition HasExtra, UseExtra=yes) missing: %v", queues)
	}
	if got, want := queues["InboundQueue"].VisibilityTimeout, 2*time.Second; got != want {
		t.Errorf("InboundQueue visibility: got %s, want %s", got, want)
	}
}

func TestQueueOrder(t *testing.T) {
	r := prepareOffline(t, nil)
	ids, err := r.stack.enabled(typeQueue)
	if err != nil {
		t.Fatal(err)
	}
	order, err := r.stack.queueOrder(ids)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	for queue, dlq := range map[string]string{"InboundQueue": "InboundDeadLetterQueue", "WorkQueue": "WorkDeadLetterQueue"} {
		if pos[dlq] > pos[queue] {
			t.Errorf("%s is created before its dead-letter queue %s: %v", queue, dlq, order)
		}
	}
	if _, ok := pos["ExtraQueue"]; ok {
		t.Errorf("ExtraQueue is created though its condition is false: %v", order)
	}
}

func TestParameterErrors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"not allowed", map[string]string{"UseExtra": "maybe"}, "not one of the allowed values"},
		{"pattern", map[string]string{"Stage": "Prod"}, "does not match the pattern"},
		{"number", map[string]string{"Timeout": "soon"}, "is not a number"},
		{"undeclared", map[string]string{"Nope": "x"}, "not declared in the template"},
		{"mapping key missing", map[string]string{"Stage": "dev"}, "no Sizes.dev.memory in Mappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := testOptions(t)
			o.Offline = true
			o.Parameters = tt.params
			r, err := New(o)
			if err == nil {
				err = r.Prepare(context.Background())
				_ = r.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestResolverIntrinsics(t *testing.T) {
	tmpl, err := template.Parse([]byte(`
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Both: !And [!Condition IsProd, !Not [!Equals [!Ref Env, dev]]]
  Either: !Or [!Equals [a, b], !Condition IsProd]
Resources:
  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub "${Env}-q"}}
  Other: {Type: AWS::IAM::Role}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStack(tmpl, ".", identity{region: "ap-northeast-1", account: "111122223333", stack: "s", sqsEndpoint: "http://sqs"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"ref parameter", `!Ref Env`, "prod"},
		{"ref queue is its URL", `!Ref Q`, "http://sqs/111122223333/prod-q"},
		{"getatt short", `!GetAtt Q.Arn`, "arn:aws:sqs:ap-northeast-1:111122223333:prod-q"},
		{"getatt list", `{"Fn::GetAtt": [Q, QueueName]}`, "prod-q"},
		{"sub pseudo", `!Sub "${AWS::Partition}:${AWS::URLSuffix}"`, "aws:amazonaws.com"},
		{"sub attr", `!Sub "q=${Q.QueueName}"`, "q=prod-q"},
		{"sub literal", `!Sub "${!Env}"`, "${Env}"},
		{"if", `!If [IsProd, yes, no]`, "yes"},
		{"and not", `!If [Both, yes, no]`, "yes"},
		{"or", `!If [Either, yes, no]`, "yes"},
		{"split select", `!Select [2, !Split [",", "a,b,c"]]`, "c"},
		{"base64", `!Base64 hi`, "aGk="},
		{"unknown resource type still resolves", `!GetAtt Other.Arn`, "arn:aws:local:ap-northeast-1:111122223333:s-Other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := template.Parse([]byte("Metadata:\n  V: " + tt.in + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.res.evalString(v.Metadata["V"])
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`!Ref Nope`, `!GetAtt Q.Nope`, `!ImportValue x`, `!Select [5, [a]]`, `!Sub "${Unclosed"`} {
		v, err := template.Parse([]byte("Metadata:\n  V: " + bad + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := st.res.evalString(v.Metadata["V"]); err == nil {
			t.Errorf("%s: got %q, want an error", bad, got)
		}
	}
}

func TestCodeDir(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("functions/ingest/main.go", "package main\nfunc main() {}\n")
	write("functions/broadcast-plan/main.go", "package main\nfunc main() {}\n")
	write("functions/library/lib.go", "package library\n")
	write("cmd/custom/main.go", "package main\nfunc main() {}\n")
	st := &stack{dir: root}
	tests := []struct {
		id, codeURI, want string
	}{
		{"IngestFunction", ".", "functions/ingest"},
		{"BroadcastPlanFunction", ".", "functions/broadcast-plan"},
		{"AnythingFunction", "cmd/custom/", "cmd/custom"},
		{"LibraryFunction", ".", ""},
		{"MissingFunction", "", ""},
	}
	for _, tt := range tests {
		got, err := st.codeDir(tt.id, tt.codeURI)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: got %s, want an error", tt.id, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.id, err)
			continue
		}
		if want := filepath.Join(root, tt.want); got != want {
			t.Errorf("%s: got %s, want %s", tt.id, got, want)
		}
	}
}

// TestProjectTemplate resolves the project's own template.yaml offline, so a
// change there that the runner cannot serve fails here first.
func TestProjectTemplate(t *testing.T) {
	path := filepath.Join("..", "..", "template.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no project template: %v", err)
	}
	r, err := New(Options{TemplatePath: path, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	err = r.Prepare(context.Background())
	if err != nil && strings.Contains(err.Error(), "no Go main package") {
		t.Skipf("functions not written yet: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stack()
	if len(st.Functions) == 0 || len(st.Queues) == 0 || len(st.Tables) == 0 {
		t.Errorf("project stack looks empty: %+v", st)
	}
	for id, s := range r.specs {
		if s.Env["TABLE_NAME"] != st.Tables["Table"] {
			t.Errorf("%s TABLE_NAME = %q, want the table %q", id, s.Env["TABLE_NAME"], st.Tables["Table"])
		}
	}
}
