package template

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root
}

func loadRepoTemplate(t *testing.T) *Template {
	t.Helper()
	tpl, err := Load(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// logicalID is the Makefile's rule, from folder name to LogicalId:
// ingest -> IngestFunction, broadcast-plan -> BroadcastPlanFunction.
func logicalID(dir string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(dir, func(r rune) bool { return r == '-' || r == '_' }) {
		r := []rune(part)
		b.WriteRune(unicode.ToUpper(r[0]))
		b.WriteString(string(r[1:]))
	}
	return b.String() + "Function"
}

// references returns the logical ids an intrinsic value refers to through
// Ref, Fn::GetAtt and Fn::Sub, without pseudo parameters (AWS::Region).
func references(v any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "Ref":
					if s, ok := x.(string); ok && !strings.Contains(s, "::") {
						seen[s] = true
					}
				case "Fn::GetAtt":
					if l, ok := x.([]any); ok && len(l) > 0 {
						if s, ok := l[0].(string); ok {
							seen[s] = true
						}
					}
				case "Fn::Sub":
					s, _ := x.(string)
					if l, ok := x.([]any); ok && len(l) > 0 {
						s, _ = l[0].(string)
						walk(l[1:])
					}
					for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
						name, _, _ := strings.Cut(m[1], ".")
						if !strings.Contains(m[1], "::") {
							seen[name] = true
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// list returns v as a list, wrapping a single value, as IAM and
// CloudFormation accept either.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func TestParseShortForms(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want any
	}{
		{"ref", `v: !Ref Table`, map[string]any{"Ref": "Table"}},
		{"pseudo ref", `v: !Ref AWS::Region`, map[string]any{"Ref": "AWS::Region"}},
		{"getatt dotted", `v: !GetAtt Queue.Arn`, map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}},
		{"getatt nested attribute", `v: !GetAtt Db.Endpoint.Address`, map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Address"}}},
		{"getatt list", `v: !GetAtt [Queue, QueueName]`, map[string]any{"Fn::GetAtt": []any{"Queue", "QueueName"}}},
		{"sub string", `v: !Sub "${Table.Arn}/index/*"`, map[string]any{"Fn::Sub": "${Table.Arn}/index/*"}},
		{
			"sub with variables", "v: !Sub\n  - \"${A}-x\"\n  - A: !Ref B\n",
			map[string]any{"Fn::Sub": []any{"${A}-x", map[string]any{"A": map[string]any{"Ref": "B"}}}},
		},
		{
			"nested condition functions", `v: !Not [!Equals [!Ref P, ""]]`,
			map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "P"}, ""}}}},
		},
		{
			"if with novalue", `v: !If [C, [!Ref T], !Ref AWS::NoValue]`,
			map[string]any{"Fn::If": []any{"C", []any{map[string]any{"Ref": "T"}}, map[string]any{"Ref": "AWS::NoValue"}}},
		},
		{"condition", `v: !Condition IsProd`, map[string]any{"Condition": "IsProd"}},
		{"tagged number stays a string", `v: !Ref 5`, map[string]any{"Ref": "5"}},
		{"plain scalar", `v: 30`, 30},
		{"plain list", `v: [a, 1]`, []any{"a", 1}},
		{"long form untouched", `v: {"Fn::GetAtt": [Q, Arn]}`, map[string]any{"Fn::GetAtt": []any{"Q", "Arn"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse([]byte("Outputs:\n  O:\n    Value: 1\nMetadata:\n  " + strings.ReplaceAll(tt.yaml, "\n", "\n  ")))
			if err != nil {
				t.Fatal(err)
			}
			got := tpl.Metadata["v"]
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"getatt without attribute", "Metadata:\n  v: !GetAtt Queue\n", "not Resource.Attribute"},
		{"getatt empty resource", "Metadata:\n  v: !GetAtt .Arn\n", "not Resource.Attribute"},
		{"broken yaml", "Resources: [\n", "parse"},
		{"wrong shape", "Resources: [a, b]\n", "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("got error %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestPropertiesMergesGlobals(t *testing.T) {
	tpl, err := Parse([]byte(`
Globals:
  Function:
    Timeout: 10
    Layers: [G]
    Environment:
      Variables:
        A: global
        B: global
    Tags: !Ref Shared
Resources:
  Plain:
    Type: AWS::Serverless::Function
  Custom:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Layers: [R]
      Environment:
        Variables:
          B: !Ref Own
          C: own
      Tags: {team: x}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want map[string]any
	}{
		{"Plain", map[string]any{
			"Timeout":     10,
			"Layers":      []any{"G"},
			"Environment": map[string]any{"Variables": map[string]any{"A": "global", "B": "global"}},
			"Tags":        map[string]any{"Ref": "Shared"},
		}},
		{"Custom", map[string]any{
			"Timeout": 30,
			"Layers":  []any{"G", "R"},
			"Environment": map[string]any{"Variables": map[string]any{
				"A": "global", "B": map[string]any{"Ref": "Own"}, "C": "own",
			}},
			"Tags": map[string]any{"team": "x"},
		}},
		{"Queue", map[string]any{"VisibilityTimeout": 60}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := tpl.Properties(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}

	got, _ := tpl.Properties("Plain")
	got["Environment"].(map[string]any)["Variables"].(map[string]any)["A"] = "changed"
	if again, _ := tpl.Properties("Plain"); again["Environment"].(map[string]any)["Variables"].(map[string]any)["A"] != "global" {
		t.Error("Properties shares maps with the template: changing its result changed the globals")
	}
	if _, err := tpl.Properties("Missing"); err == nil {
		t.Error("got no error for a missing resource")
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"ref", map[string]any{"Ref": "Table"}, []string{"Table"}},
		{"pseudo", map[string]any{"Ref": "AWS::Region"}, []string{}},
		{"getatt", map[string]any{"Fn::GetAtt": []any{"Q", "Arn"}}, []string{"Q"}},
		{"sub", map[string]any{"Fn::Sub": "${Table.Arn}/index/*:${AWS::Region}:${!Literal}"}, []string{"Table"}},
		{"sub vars", map[string]any{"Fn::Sub": []any{"${X}", map[string]any{"X": map[string]any{"Ref": "Y"}}}}, []string{"X", "Y"}},
		{"literal", "*", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := references(tt.v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFunctionsMatchFolders checks that every functions/<dir>/ has exactly one
// function in the template, built by the Makefile's build-<LogicalId> target
// through SAM's makefile build method, and that every function has a folder.
func TestFunctionsMatchFolders(t *testing.T) {
	root := repoRoot(t)
	tpl := loadRepoTemplate(t)

	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id := logicalID(e.Name())
		if other, dup := byID[id]; dup {
			t.Errorf("functions/%s and functions/%s both map to %s", other, e.Name(), id)
		}
		byID[id] = e.Name()
	}
	functions := tpl.ResourcesOfType("AWS::Serverless::Function")
	for _, id := range functions {
		if _, ok := byID[id]; !ok {
			t.Errorf("%s has no folder functions/<name>/ whose CamelCase name is %s", id, strings.TrimSuffix(id, "Function"))
		}
	}
	if len(functions) == 0 {
		t.Error("the template has no AWS::Serverless::Function")
	}

	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		dir := byID[id]
		t.Run(dir, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(root, "functions", dir, "main.go")); err != nil {
				t.Errorf("functions/%s has no main.go: %v", dir, err)
			}
			r, ok := tpl.Resources[id]
			if !ok {
				t.Fatalf("no resource %s in template.yaml for functions/%s", id, dir)
			}
			props, err := tpl.Properties(id)
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"Type", r.Type, "AWS::Serverless::Function"},
				{"Metadata.BuildMethod", r.Metadata["BuildMethod"], "makefile"},
				{"CodeUri", props["CodeUri"], "."},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
				}
			}

			artifacts := t.TempDir()
			out, err := makeDryRun(root, "build-"+id, "ARTIFACTS_DIR="+artifacts)
			if err != nil {
				t.Fatalf("make -n build-%s: %v\n%s", id, err, out)
			}
			for _, want := range []string{
				"GOARCH=arm64", "CGO_ENABLED=0", "lambda.norpc",
				"-o " + artifacts + "/bootstrap", "./functions/" + dir,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("make -n build-%s does not contain %q:\n%s", id, want, out)
				}
			}
		})
	}
}

// makeDryRun prints the commands make would run for target, as sam build
// would call it, without running them.
func makeDryRun(root, target string, vars ...string) (string, error) {
	args := append([]string{"--no-print-directory", "-n", "-C", root, target}, vars...)
	cmd := exec.Command("make", args...)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") && !strings.HasPrefix(kv, "MFLAGS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestMakeRejectsUnknownFunction(t *testing.T) {
	out, err := makeDryRun(repoRoot(t), "build-NoSuchThingFunction", "ARTIFACTS_DIR="+t.TempDir())
	if err == nil {
		t.Errorf("make build-NoSuchThingFunction succeeded, want an error:\n%s", out)
	}
}

// TestFunctionsShareRuntimeSettings checks that tracing, the runtime and the
// architecture come from Globals, so no function drifts from the others.
func TestFunctionsShareRuntimeSettings(t *testing.T) {
	tpl := loadRepoTemplate(t)
	global := tpl.Globals["Function"]
	wants := []struct {
		key  string
		want any
	}{
		{"Tracing", "Active"},
		{"Runtime", "provided.al2023"},
		{"Architectures", []any{"arm64"}},
		{"Handler", "bootstrap"},
	}
	for _, w := range wants {
		if got := global[w.key]; !reflect.DeepEqual(got, w.want) {
			t.Errorf("Globals.Function.%s: got %v, want %v", w.key, got, w.want)
		}
	}
	if got := global["LoggingConfig"]; !reflect.DeepEqual(got, map[string]any{"LogFormat": "JSON"}) {
		t.Errorf("Globals.Function.LoggingConfig: got %v, want LogFormat JSON", got)
	}
	for _, id := range tpl.ResourcesOfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			for _, w := range wants {
				if v, ok := tpl.Resources[id].Properties[w.key]; ok {
					t.Errorf("%s overrides Globals.Function.%s with %v", id, w.key, v)
				}
			}
			props, err := tpl.Properties(id)
			if err != nil {
				t.Fatal(err)
			}
			env, _ := props["Environment"].(map[string]any)
			vars, _ := env["Variables"].(map[string]any)
			for _, name := range []string{"LOG_LEVEL", "STAGE", "TABLE_NAME"} {
				if _, ok := vars[name]; !ok {
					t.Errorf("environment has no %s", name)
				}
			}
			logging, _ := props["LoggingConfig"].(map[string]any)
			group := references(logging["LogGroup"])
			if len(group) != 1 || tpl.Resources[group[0]].Type != "AWS::Logs::LogGroup" {
				t.Errorf("LoggingConfig.LogGroup: got %v, want a reference to its own AWS::Logs::LogGroup", logging["LogGroup"])
			} else if days := tpl.Resources[group[0]].Properties["RetentionInDays"]; days == nil {
				t.Errorf("log group %s has no RetentionInDays", group[0])
			}
		})
	}
}

// policyResourceTypes are the only kinds of resource a function's policy may
// name: least privilege means its own table and queues, never "*".
var policyResourceTypes = map[string]bool{
	"AWS::DynamoDB::Table": true,
	"AWS::SQS::Queue":      true,
}

func TestPoliciesAreLeastPrivilege(t *testing.T) {
	tpl := loadRepoTemplate(t)
	for _, id := range tpl.ResourcesOfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			props, err := tpl.Properties(id)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := props["Role"]; ok {
				t.Fatal("has its own Role; give it inline Policies instead so this test can check them")
			}
			policies := list(props["Policies"])
			if len(policies) == 0 {
				t.Fatal("has no Policies")
			}
			for i, p := range policies {
				doc, ok := p.(map[string]any)
				if !ok {
					reason := "a managed policy"
					if s, _ := p.(string); strings.HasSuffix(s, "FullAccess") {
						reason = "a *FullAccess managed policy"
					}
					t.Errorf("policy %d is %s (%v); write an inline statement", i, reason, p)
					continue
				}
				statements, ok := doc["Statement"]
				if !ok {
					t.Errorf("policy %d is a SAM policy template (%v); write an inline statement on the resource instead", i, doc)
					continue
				}
				for j, st := range list(statements) {
					checkStatement(t, tpl, i, j, st)
				}
			}
		})
	}
}

func checkStatement(t *testing.T, tpl *Template, i, j int, st any) {
	t.Helper()
	s, ok := st.(map[string]any)
	if !ok {
		t.Errorf("policy %d statement %d: got %v, want a map", i, j, st)
		return
	}
	if _, ok := s["NotResource"]; ok {
		t.Errorf("policy %d statement %d uses NotResource", i, j)
	}
	if _, ok := s["NotAction"]; ok {
		t.Errorf("policy %d statement %d uses NotAction", i, j)
	}
	for _, a := range list(s["Action"]) {
		if str, _ := a.(string); str == "" || strings.Contains(str, "*") {
			t.Errorf("policy %d statement %d: action %v is not one named action", i, j, a)
		}
	}
	resources := list(s["Resource"])
	if len(resources) == 0 {
		t.Errorf("policy %d statement %d has no Resource", i, j)
	}
	for _, r := range resources {
		refs := references(r)
		if len(refs) == 0 {
			t.Errorf("policy %d statement %d: resource %v names no resource of this template (literal ARNs and \"*\" are not allowed)", i, j, r)
		}
		for _, ref := range refs {
			if got := tpl.Resources[ref].Type; !policyResourceTypes[got] {
				t.Errorf("policy %d statement %d: resource %v refers to %s of type %q, want the table or a queue", i, j, r, ref, got)
			}
		}
	}
}

// TestQueuesHaveDeadLetterQueuesAndAlarms checks the rule of DESIGN.md's
// "Queues and ordering": every queue has a DLQ and every DLQ an alarm.
func TestQueuesHaveDeadLetterQueuesAndAlarms(t *testing.T) {
	tpl := loadRepoTemplate(t)
	queues := tpl.ResourcesOfType("AWS::SQS::Queue")

	dlqOf := map[string]string{}
	isDLQ := map[string]bool{}
	for _, q := range queues {
		redrive, ok := tpl.Resources[q].Properties["RedrivePolicy"].(map[string]any)
		if !ok {
			continue
		}
		if refs := references(redrive["deadLetterTargetArn"]); len(refs) == 1 {
			dlqOf[q] = refs[0]
			isDLQ[refs[0]] = true
		}
	}

	alarmed := map[string]bool{}
	for _, a := range tpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
		p := tpl.Resources[a].Properties
		if p["Namespace"] != "AWS/SQS" || p["MetricName"] != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		if p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["Threshold"] != 1 {
			t.Errorf("alarm %s: got %v %v, want GreaterThanOrEqualToThreshold 1", a, p["ComparisonOperator"], p["Threshold"])
		}
		for _, d := range list(p["Dimensions"]) {
			if dm, _ := d.(map[string]any); dm["Name"] == "QueueName" {
				for _, ref := range references(dm["Value"]) {
					alarmed[ref] = true
				}
			}
		}
	}

	if len(queues) == 0 {
		t.Fatal("the template has no queues")
	}
	for _, q := range queues {
		t.Run(q, func(t *testing.T) {
			p := tpl.Resources[q].Properties
			if p["SqsManagedSseEnabled"] != true {
				t.Error("SqsManagedSseEnabled is not true")
			}
			if isDLQ[q] {
				if !alarmed[q] {
					t.Error("is a dead-letter queue with no ApproximateNumberOfMessagesVisible alarm")
				}
				if _, ok := p["RedrivePolicy"]; ok {
					t.Error("is a dead-letter queue with a RedrivePolicy of its own")
				}
				return
			}
			dlq, ok := dlqOf[q]
			if !ok {
				t.Fatal("has no RedrivePolicy with a deadLetterTargetArn of this template")
			}
			if got := tpl.Resources[dlq].Type; got != "AWS::SQS::Queue" {
				t.Fatalf("dead-letter target %s: got type %q, want AWS::SQS::Queue", dlq, got)
			}
			redrive := p["RedrivePolicy"].(map[string]any)
			if n, ok := redrive["maxReceiveCount"].(int); !ok || n < 1 || n > 10 {
				t.Errorf("maxReceiveCount: got %v, want 1 to 10", redrive["maxReceiveCount"])
			}
			if got, want := tpl.Resources[dlq].Properties["FifoQueue"] == true, p["FifoQueue"] == true; got != want {
				t.Errorf("dead-letter queue %s FIFO is %v, want %v like the queue", dlq, got, want)
			}
			if p["FifoQueue"] == true {
				fifo := []struct {
					key  string
					want any
				}{
					{"ContentBasedDeduplication", false},
					{"DeduplicationScope", "messageGroup"},
					{"FifoThroughputLimit", "perMessageGroupId"},
				}
				for _, f := range fifo {
					if got := p[f.key]; got != f.want {
						t.Errorf("%s: got %v, want %v", f.key, got, f.want)
					}
				}
			}
			if _, ok := p["VisibilityTimeout"].(int); !ok {
				t.Errorf("VisibilityTimeout: got %v, want seconds", p["VisibilityTimeout"])
			}
		})
	}

	// Consumers: Lambda advises a visibility timeout of six times the
	// function's, and DESIGN.md wants partial batch failures reported.
	for _, fn := range tpl.ResourcesOfType("AWS::Serverless::Function") {
		props, err := tpl.Properties(fn)
		if err != nil {
			t.Fatal(err)
		}
		events, _ := props["Events"].(map[string]any)
		for name, e := range events {
			ev, _ := e.(map[string]any)
			if ev["Type"] != "SQS" {
				continue
			}
			ep, _ := ev["Properties"].(map[string]any)
			refs := references(ep["Queue"])
			if len(refs) != 1 {
				t.Errorf("%s event %s: queue %v is not one queue of this template", fn, name, ep["Queue"])
				continue
			}
			timeout, _ := props["Timeout"].(int)
			visibility, _ := tpl.Resources[refs[0]].Properties["VisibilityTimeout"].(int)
			if visibility < 6*timeout {
				t.Errorf("%s consumes %s: VisibilityTimeout %d is less than 6 x the function's Timeout %d", fn, refs[0], visibility, timeout)
			}
			if !reflect.DeepEqual(list(ep["FunctionResponseTypes"]), []any{"ReportBatchItemFailures"}) {
				t.Errorf("%s event %s: FunctionResponseTypes %v, want [ReportBatchItemFailures]", fn, name, ep["FunctionResponseTypes"])
			}
		}
	}
}

// TestTableKeys checks the single table's keys against DESIGN.md's storage
// model: generic PK/SK, two generic GSIs, TTL on expiresAt.
func TestTableKeys(t *testing.T) {
	tpl := loadRepoTemplate(t)
	tables := tpl.ResourcesOfType("AWS::DynamoDB::Table")
	if got, want := tables, []string{"Table"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tables: got %v, want %v", got, want)
	}
	r := tpl.Resources["Table"]
	p := r.Properties

	keySchema := func(hash, rang string) []any {
		return []any{
			map[string]any{"AttributeName": hash, "KeyType": "HASH"},
			map[string]any{"AttributeName": rang, "KeyType": "RANGE"},
		}
	}
	indexes := map[string]any{}
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		gm, _ := g.(map[string]any)
		name, _ := gm["IndexName"].(string)
		indexes[name] = gm
	}
	attributes := map[string]any{}
	for _, a := range list(p["AttributeDefinitions"]) {
		am, _ := a.(map[string]any)
		name, _ := am["AttributeName"].(string)
		attributes[name] = am["AttributeType"]
	}

	tests := []struct {
		what      string
		got, want any
	}{
		{"KeySchema", p["KeySchema"], keySchema("PK", "SK")},
		{"GSI1", indexes["GSI1"], map[string]any{"IndexName": "GSI1", "KeySchema": keySchema("GSI1PK", "GSI1SK"), "Projection": map[string]any{"ProjectionType": "ALL"}}},
		{"GSI2", indexes["GSI2"], map[string]any{"IndexName": "GSI2", "KeySchema": keySchema("GSI2PK", "GSI2SK"), "Projection": map[string]any{"ProjectionType": "ALL"}}},
		{"index count", len(indexes), 2},
		{"AttributeDefinitions", attributes, map[string]any{"PK": "S", "SK": "S", "GSI1PK": "S", "GSI1SK": "S", "GSI2PK": "S", "GSI2SK": "S"}},
		{"BillingMode", p["BillingMode"], "PAY_PER_REQUEST"},
		{"TimeToLiveSpecification", p["TimeToLiveSpecification"], map[string]any{"AttributeName": "expiresAt", "Enabled": true}},
		{"PointInTimeRecoverySpecification", p["PointInTimeRecoverySpecification"], map[string]any{"PointInTimeRecoveryEnabled": true}},
		{"SSESpecification", p["SSESpecification"], map[string]any{"SSEEnabled": true}},
		{"DeletionPolicy", r.DeletionPolicy, "Retain"},
		{"UpdateReplacePolicy", r.UpdateReplacePolicy, "Retain"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.what, tt.got, tt.want)
		}
	}
}
