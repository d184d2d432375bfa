package runner

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/switchboard-chat/switchboard/shared/template"
)

// Resource types the runner acts on.
const (
	typeFunction       = "AWS::Serverless::Function"
	typeHTTPAPI        = "AWS::Serverless::HttpApi"
	typeTable          = "AWS::DynamoDB::Table"
	typeQueue          = "AWS::SQS::Queue"
	implicitHTTPAPI    = "ServerlessHttpApi"
	defaultTimeout     = 3 * time.Second
	defaultMemory      = 128
	maxSQSBatchPerPoll = 10
)

// identity is what the local stack calls itself: the pseudo parameters and the
// endpoints physical names are built from.
type identity struct {
	region      string
	account     string
	stack       string
	sqsEndpoint string
	httpURL     string
}

// functionSpec is one function of the template, resolved to local values.
type functionSpec struct {
	ID        string // logical id, e.g. IngestFunction
	Name      string // physical name, AWS_LAMBDA_FUNCTION_NAME
	ARN       string
	Dir       string // absolute directory of its main package
	Handler   string
	Timeout   time.Duration
	Memory    int
	Env       map[string]string // from the template, resolved
	LogFormat string            // LoggingConfig.LogFormat (Text or JSON)
	LogLevel  string            // LoggingConfig.ApplicationLogLevel
	Routes    []routeSpec
	Queues    []sqsSpec
	Schedules []scheduleSpec
}

// routeSpec is one HttpApi event.
type routeSpec struct {
	Event   string
	API     string // logical id of the HTTP API
	Method  string // upper case, or ANY
	Path    string // "" for the $default route
	Timeout time.Duration
}

// sqsSpec is one SQS event source mapping.
type sqsSpec struct {
	Event          string
	Queue          string // logical id of the queue
	BatchSize      int
	Window         time.Duration
	ReportFailures bool
}

// scheduleSpec is one Schedule or ScheduleV2 event.
type scheduleSpec struct {
	Event    string
	Name     string
	Expr     string
	Input    string // JSON given instead of the scheduled event, when set
	Location *time.Location
	V2       bool
}

// tableSpec is one DynamoDB table, resolved.
type tableSpec struct {
	ID    string
	Name  string
	Props map[string]any
}

// queueSpec is one SQS queue, resolved.
type queueSpec struct {
	ID    string
	Name  string
	FIFO  bool
	Props map[string]any
}

// stack is the template bound to one local identity.
type stack struct {
	tmpl    *template.Template
	dir     string // directory of template.yaml; CodeUri is relative to it
	id      identity
	res     *resolver
	apiRefs map[string]string // HTTP API logical id -> api id
}

func newStack(t *template.Template, dir string, id identity, params map[string]string) (*stack, error) {
	pseudo := map[string]string{
		"AWS::Region":    id.region,
		"AWS::AccountId": id.account,
		"AWS::StackName": id.stack,
		"AWS::StackId":   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", id.region, id.account, id.stack),
		"AWS::Partition": "aws",
		"AWS::URLSuffix": "amazonaws.com",
	}
	res, err := newResolver(t, params, pseudo)
	if err != nil {
		return nil, err
	}
	s := &stack{tmpl: t, dir: dir, id: id, res: res, apiRefs: map[string]string{}}
	res.physicalOf = s.physicalOf
	return s, nil
}

// enabled lists the logical ids of type typ whose Condition holds, sorted.
func (s *stack) enabled(typ string) ([]string, error) {
	var out []string
	for _, id := range s.tmpl.ResourcesOfType(typ) {
		ok, err := s.res.resourceEnabled(id)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// defaultName is the physical name CloudFormation would generate, minus its
// random suffix, so names stay stable across runs.
func (s *stack) defaultName(id string) string { return s.id.stack + "-" + id }

// nameProp evaluates the naming property prop of resource id, or returns the
// generated default name.
func (s *stack) nameProp(id, prop string) (string, error) {
	props := s.tmpl.Resources[id].Properties
	if v, ok := props[prop]; ok {
		name, err := s.res.evalString(v)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", id, prop, err)
		}
		if name != "" {
			return name, nil
		}
	}
	return s.defaultName(id), nil
}

// physicalOf computes the local identity of resource id from the template.
func (s *stack) physicalOf(id string) (*Physical, error) {
	region, account := s.id.region, s.id.account
	if id == implicitHTTPAPI {
		if _, declared := s.tmpl.Resources[id]; !declared {
			return s.apiPhysical(id), nil
		}
	}
	r, ok := s.tmpl.Resources[id]
	if !ok {
		return nil, fmt.Errorf("no resource or parameter named %s", id)
	}
	switch r.Type {
	case typeTable:
		name, err := s.nameProp(id, "TableName")
		if err != nil {
			return nil, err
		}
		arn := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, name)
		return &Physical{Ref: name, Attrs: map[string]string{"Arn": arn, "StreamArn": arn + "/stream/local"}}, nil
	case typeQueue:
		q, err := s.queue(id)
		if err != nil {
			return nil, err
		}
		url := strings.TrimRight(s.id.sqsEndpoint, "/") + "/" + account + "/" + q.Name
		return queuePhysical(url, fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, q.Name), q.Name), nil
	case typeFunction, "AWS::Lambda::Function":
		name, err := s.nameProp(id, "FunctionName")
		if err != nil {
			return nil, err
		}
		return &Physical{Ref: name, Attrs: map[string]string{"Arn": functionARN(region, account, name)}}, nil
	case typeHTTPAPI:
		return s.apiPhysical(id), nil
	case "AWS::Logs::LogGroup":
		name, err := s.nameProp(id, "LogGroupName")
		if err != nil {
			return nil, err
		}
		return &Physical{Ref: name, Attrs: map[string]string{"Arn": fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, account, name)}}, nil
	case "AWS::SNS::Topic":
		name, err := s.nameProp(id, "TopicName")
		if err != nil {
			return nil, err
		}
		arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, name)
		return &Physical{Ref: arn, Attrs: map[string]string{"TopicArn": arn, "TopicName": name}}, nil
	case "AWS::Events::EventBus":
		name, err := s.nameProp(id, "Name")
		if err != nil {
			return nil, err
		}
		arn := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", region, account, name)
		return &Physical{Ref: name, Attrs: map[string]string{"Arn": arn, "Name": name}}, nil
	}
	// A resource the runner does not create (alarm, role, ...) still resolves,
	// so templates that pass such values to a function keep working locally.
	name := s.defaultName(id)
	return &Physical{Ref: name, Attrs: map[string]string{
		"Arn":  fmt.Sprintf("arn:aws:local:%s:%s:%s", region, account, name),
		"Name": name,
	}}, nil
}

func queuePhysical(url, arn, name string) *Physical {
	return &Physical{Ref: url, Attrs: map[string]string{"Arn": arn, "QueueUrl": url, "QueueName": name}}
}

func functionARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name)
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]`)

// apiPhysical gives an HTTP API the shape of an API Gateway id (ten lower-case
// letters and digits), stable across runs.
func (s *stack) apiPhysical(id string) *Physical {
	apiID := nonAlnum.ReplaceAllString(strings.ToLower(id), "")
	apiID = (apiID + "0000000000")[:10]
	s.apiRefs[id] = apiID
	return &Physical{Ref: apiID, Attrs: map[string]string{
		"ApiId":       apiID,
		"ApiEndpoint": s.id.httpURL,
	}}
}

// table resolves a table's properties.
func (s *stack) table(id string) (*tableSpec, error) {
	name, err := s.nameProp(id, "TableName")
	if err != nil {
		return nil, err
	}
	props, err := s.res.eval(s.tmpl.Resources[id].Properties)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	m, _ := props.(map[string]any)
	return &tableSpec{ID: id, Name: name, Props: m}, nil
}

// queue resolves a queue's name and FIFO flag; its other properties may name
// other queues, so they are resolved by queueProps once those exist.
func (s *stack) queue(id string) (*queueSpec, error) {
	props := s.tmpl.Resources[id].Properties
	fifo := false
	if v, ok := props["FifoQueue"]; ok {
		str, err := s.res.evalString(v)
		if err != nil {
			return nil, fmt.Errorf("%s.FifoQueue: %w", id, err)
		}
		fifo = str == "true"
	}
	name, err := s.nameProp(id, "QueueName")
	if err != nil {
		return nil, err
	}
	if _, named := props["QueueName"]; !named && fifo {
		name += ".fifo"
	}
	if fifo && !strings.HasSuffix(name, ".fifo") {
		return nil, fmt.Errorf("%s: a FIFO queue's name must end in .fifo (got %s)", id, name)
	}
	return &queueSpec{ID: id, Name: name, FIFO: fifo}, nil
}

// queueProps resolves all of a queue's properties.
func (s *stack) queueProps(id string) (*queueSpec, error) {
	q, err := s.queue(id)
	if err != nil {
		return nil, err
	}
	props, err := s.res.eval(s.tmpl.Resources[id].Properties)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	q.Props, _ = props.(map[string]any)
	return q, nil
}

// queueOrder returns the queues so that every queue comes after the queues it
// refers to (a dead-letter queue before the queue that redrives into it).
func (s *stack) queueOrder(ids []string) ([]string, error) {
	in := map[string]bool{}
	for _, id := range ids {
		in[id] = true
	}
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("queues refer to each other in a cycle through %s", id)
		case 2:
			return nil
		}
		state[id] = 1
		for _, dep := range references(s.tmpl.Resources[id].Properties) {
			if in[dep] && dep != id {
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		state[id] = 2
		out = append(out, id)
		return nil
	}
	for _, id := range ids {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// functions resolves every enabled function of the template. Call it after the
// tables and queues exist, so environment variables carry their real URLs.
func (s *stack) functions() ([]*functionSpec, error) {
	ids, err := s.enabled(typeFunction)
	if err != nil {
		return nil, err
	}
	var specs []*functionSpec
	var errs []error
	for _, id := range ids {
		f, err := s.function(id)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		specs = append(specs, f)
	}
	return specs, errors.Join(errs...)
}

func (s *stack) function(id string) (*functionSpec, error) {
	props, err := s.tmpl.Properties(id)
	if err != nil {
		return nil, err
	}
	phys, err := s.res.physical(id)
	if err != nil {
		return nil, err
	}
	f := &functionSpec{
		ID:      id,
		Name:    phys.Ref,
		ARN:     phys.Attrs["Arn"],
		Handler: "bootstrap",
		Timeout: defaultTimeout,
		Memory:  defaultMemory,
		Env:     map[string]string{},
	}
	if rt, err := s.res.evalString(props["Runtime"]); err != nil {
		return nil, fmt.Errorf("property Runtime: %w", err)
	} else if rt != "" && !strings.HasPrefix(rt, "provided") && rt != "go1.x" {
		return nil, fmt.Errorf("runtime %s is not a Go custom runtime (provided.al2023, provided.al2 or go1.x); the local runner builds Go bootstraps only", rt)
	}
	if h, err := s.res.evalString(props["Handler"]); err != nil {
		return nil, fmt.Errorf("property Handler: %w", err)
	} else if h != "" {
		f.Handler = h
	}
	if v, ok := props["Timeout"]; ok {
		n, err := s.evalInt(v)
		if err != nil {
			return nil, fmt.Errorf("property Timeout: %w", err)
		}
		if n < 1 || n > 900 {
			return nil, fmt.Errorf("property Timeout must be 1..900 seconds, got %d", n)
		}
		f.Timeout = time.Duration(n) * time.Second
	}
	if v, ok := props["MemorySize"]; ok {
		n, err := s.evalInt(v)
		if err != nil {
			return nil, fmt.Errorf("MemorySize: %w", err)
		}
		if n < 128 || n > 10240 {
			return nil, fmt.Errorf("MemorySize must be 128..10240 MB, got %d", n)
		}
		f.Memory = n
	}
	if env, ok := props["Environment"].(map[string]any); ok {
		vars, err := s.res.eval(env["Variables"])
		if err != nil {
			return nil, fmt.Errorf("property Environment: %w", err)
		}
		m, _ := vars.(map[string]any)
		for k, v := range m {
			if _, nested := v.(map[string]any); nested {
				return nil, fmt.Errorf("Environment.Variables.%s is not a string", k)
			}
			if _, list := v.([]any); list {
				return nil, fmt.Errorf("Environment.Variables.%s is a list, not a string", k)
			}
			f.Env[k] = scalarString(v)
		}
	}
	if lc, ok := props["LoggingConfig"].(map[string]any); ok {
		if f.LogFormat, err = s.res.evalString(lc["LogFormat"]); err != nil {
			return nil, fmt.Errorf("LoggingConfig.LogFormat: %w", err)
		}
		if f.LogLevel, err = s.res.evalString(lc["ApplicationLogLevel"]); err != nil {
			return nil, fmt.Errorf("LoggingConfig.ApplicationLogLevel: %w", err)
		}
	}
	dir, err := s.codeDir(id, props["CodeUri"])
	if err != nil {
		return nil, err
	}
	f.Dir = dir
	events, _ := props["Events"].(map[string]any)
	for _, name := range sortedKeys(events) {
		ev, _ := events[name].(map[string]any)
		typ, _ := ev["Type"].(string)
		evProps, _ := ev["Properties"].(map[string]any)
		if err := s.event(f, name, typ, evProps); err != nil {
			return nil, fmt.Errorf("event %s (%s): %w", name, typ, err)
		}
	}
	return f, nil
}

func (s *stack) evalInt(v any) (int, error) {
	str, err := s.res.evalString(v)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(str)
}

func (s *stack) evalBool(v any, def bool) (bool, error) {
	if v == nil {
		return def, nil
	}
	str, err := s.res.evalString(v)
	if err != nil {
		return false, err
	}
	return strconv.ParseBool(str)
}

// event reads one entry of a function's Events.
func (s *stack) event(f *functionSpec, name, typ string, props map[string]any) error {
	switch typ {
	case "HttpApi":
		route := routeSpec{Event: name, API: implicitHTTPAPI, Method: "ANY", Timeout: 30 * time.Second}
		if v, ok := props["ApiId"]; ok {
			apiRef, err := s.res.evalString(v)
			if err != nil {
				return fmt.Errorf("ApiId: %w", err)
			}
			api, err := s.apiByRef(apiRef)
			if err != nil {
				return err
			}
			route.API = api
		} else {
			s.apiPhysical(implicitHTTPAPI)
		}
		if v, ok := props["PayloadFormatVersion"]; ok {
			pf, err := s.res.evalString(v)
			if err != nil {
				return err
			}
			if pf != "2.0" {
				return fmt.Errorf("PayloadFormatVersion %s: the local runner serves payload format 2.0 only", pf)
			}
		}
		method, err := s.res.evalString(props["Method"])
		if err != nil {
			return fmt.Errorf("property Method: %w", err)
		}
		path, err := s.res.evalString(props["Path"])
		if err != nil {
			return fmt.Errorf("property Path: %w", err)
		}
		if method != "" {
			route.Method = strings.ToUpper(method)
		}
		if route.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
			route.Method = "ANY"
		}
		if path != "" && path != "$default" {
			if !strings.HasPrefix(path, "/") {
				return fmt.Errorf("property Path %q must start with /", path)
			}
			route.Path = path
		}
		if v, ok := props["TimeoutInMillis"]; ok {
			ms, err := s.evalInt(v)
			if err != nil || ms < 50 || ms > 30000 {
				return fmt.Errorf("TimeoutInMillis must be 50..30000, got %v", v)
			}
			route.Timeout = time.Duration(ms) * time.Millisecond
		}
		f.Routes = append(f.Routes, route)
	case "SQS":
		if enabled, err := s.evalBool(props["Enabled"], true); err != nil {
			return fmt.Errorf("property Enabled: %w", err)
		} else if !enabled {
			return nil
		}
		if _, ok := props["FilterCriteria"]; ok {
			return errors.New("FilterCriteria is not supported by the local runner (it would have to drop the messages that do not match)")
		}
		arn, err := s.res.evalString(props["Queue"])
		if err != nil {
			return fmt.Errorf("Queue: %w", err)
		}
		queue, err := s.queueByARN(arn)
		if err != nil {
			return err
		}
		spec := sqsSpec{Event: name, Queue: queue, BatchSize: 10}
		if v, ok := props["BatchSize"]; ok {
			n, err := s.evalInt(v)
			if err != nil || n < 1 || n > 10000 {
				return fmt.Errorf("BatchSize must be 1..10000, got %v", v)
			}
			spec.BatchSize = n
		}
		if v, ok := props["MaximumBatchingWindowInSeconds"]; ok {
			n, err := s.evalInt(v)
			if err != nil || n < 0 || n > 300 {
				return fmt.Errorf("MaximumBatchingWindowInSeconds must be 0..300, got %v", v)
			}
			spec.Window = time.Duration(n) * time.Second
		}
		if spec.BatchSize > maxSQSBatchPerPoll && spec.Window == 0 {
			return fmt.Errorf("BatchSize %d needs MaximumBatchingWindowInSeconds of at least 1 (as Lambda requires)", spec.BatchSize)
		}
		types, err := s.res.evalList(orEmptyList(props["FunctionResponseTypes"]))
		if err != nil {
			return fmt.Errorf("FunctionResponseTypes: %w", err)
		}
		for _, t := range types {
			switch scalarString(t) {
			case "ReportBatchItemFailures":
				spec.ReportFailures = true
			default:
				return fmt.Errorf("unknown FunctionResponseTypes value %v", t)
			}
		}
		f.Queues = append(f.Queues, spec)
	case "Schedule", "ScheduleV2":
		v2 := typ == "ScheduleV2"
		exprKey, enabled := "Schedule", true
		if v2 {
			exprKey = "ScheduleExpression"
		}
		if v, ok := props["Enabled"]; ok {
			b, err := s.evalBool(v, true)
			if err != nil {
				return fmt.Errorf("property Enabled: %w", err)
			}
			enabled = b
		}
		if v, ok := props["State"]; ok {
			st, err := s.res.evalString(v)
			if err != nil {
				return fmt.Errorf("property State: %w", err)
			}
			enabled = st != "DISABLED"
		}
		if !enabled {
			return nil
		}
		expr, err := s.res.evalString(props[exprKey])
		if err != nil {
			return fmt.Errorf("%s: %w", exprKey, err)
		}
		spec := scheduleSpec{Event: name, Expr: expr, V2: v2, Location: time.UTC}
		if v, ok := props["Name"]; ok {
			if spec.Name, err = s.res.evalString(v); err != nil {
				return fmt.Errorf("property Name: %w", err)
			}
		}
		if spec.Name == "" {
			spec.Name = s.defaultName(f.ID + name)
		}
		if v, ok := props["Input"]; ok {
			if spec.Input, err = s.res.evalString(v); err != nil {
				return fmt.Errorf("property Input: %w", err)
			}
			if !jsonValid(spec.Input) {
				return fmt.Errorf("property Input is not JSON: %s", spec.Input)
			}
		}
		if v, ok := props["ScheduleExpressionTimezone"]; ok && v2 {
			tz, err := s.res.evalString(v)
			if err != nil {
				return fmt.Errorf("ScheduleExpressionTimezone: %w", err)
			}
			if spec.Location, err = time.LoadLocation(tz); err != nil {
				return fmt.Errorf("ScheduleExpressionTimezone: %w", err)
			}
		}
		if _, err := ParseSchedule(expr, spec.Location); err != nil {
			return err
		}
		f.Schedules = append(f.Schedules, spec)
	}
	// Other event types (S3, SNS, DynamoDB streams, ...) are not in
	// Switchboard's design; they are ignored rather than refused so a template
	// can grow one without breaking local runs of the rest.
	return nil
}

func orEmptyList(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

// apiByRef finds the HTTP API whose !Ref is ref.
func (s *stack) apiByRef(ref string) (string, error) {
	ids, err := s.enabled(typeHTTPAPI)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if s.apiPhysical(id).Ref == ref {
			return id, nil
		}
	}
	return "", fmt.Errorf("ApiId %s is not an AWS::Serverless::HttpApi of this template", ref)
}

// queueByARN finds the queue whose ARN is arn.
func (s *stack) queueByARN(arn string) (string, error) {
	ids, err := s.enabled(typeQueue)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		p, err := s.res.physical(id)
		if err != nil {
			return "", err
		}
		if p.Attrs["Arn"] == arn {
			return id, nil
		}
	}
	return "", fmt.Errorf("queue %s is not an AWS::SQS::Queue of this template", arn)
}

// codeDir finds the Go main package of function id: the function's CodeUri
// when that is a main package (SAM's go1.x build method), otherwise
// functions/<name> where <name> is the logical id without its "Function" suffix,
// lower-cased (IngestFunction -> functions/ingest) or in kebab case
// (BroadcastPlanFunction -> functions/broadcast-plan), which is the
// convention the Makefile's build targets follow with CodeUri ".".
func (s *stack) codeDir(id string, codeURI any) (string, error) {
	var tried []string
	if uri, ok := codeURI.(string); ok && uri != "" && !strings.HasPrefix(uri, "s3://") {
		dir := uri
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(s.dir, dir)
		}
		if isMainPackage(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	for _, name := range functionDirNames(id) {
		dir := filepath.Join(s.dir, "functions", name)
		if isMainPackage(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	return "", fmt.Errorf("no Go main package for %s (looked in %s)", id, strings.Join(tried, ", "))
}

// functionDirNames lists the folder names a logical id maps to.
func functionDirNames(id string) []string {
	base := strings.TrimSuffix(id, "Function")
	if base == "" {
		base = id
	}
	var words []string
	start := 0
	for i, r := range base {
		if i > 0 && unicode.IsUpper(r) {
			words = append(words, strings.ToLower(base[start:i]))
			start = i
		}
	}
	words = append(words, strings.ToLower(base[start:]))
	names := []string{strings.Join(words, "")}
	if len(words) > 1 {
		names = append(names, strings.Join(words, "-"), strings.Join(words, "_"))
	}
	return names
}

// isMainPackage reports whether dir holds a Go package named main.
func isMainPackage(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, n)
		}
	}
	sort.Strings(files)
	for _, n := range files {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err == nil && f.Name.Name == "main" {
			return true
		}
	}
	return false
}
