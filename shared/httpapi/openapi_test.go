package httpapi

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// openAPIOps parses the embedded document into its operations by "METHOD /path".
func openAPIOps(t *testing.T) (doc map[string]any, ops map[string]map[string]any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(openAPIDoc), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("openapi.yaml has no paths")
	}
	ops = map[string]map[string]any{}
	for path, item := range paths {
		for key, op := range item.(map[string]any) {
			switch key {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops[strings.ToUpper(key)+" "+path] = op.(map[string]any)
			}
		}
	}
	return doc, ops
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	hs := newHarness(t)
	doc, ops := openAPIOps(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi version = %q, want 3.1.x", v)
	}
	routes := hs.h.Routes()
	for _, r := range routes {
		if _, ok := ops[r]; !ok {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("openapi.yaml documents %s, which is not a route", op)
		}
	}
}

func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	hs := newHarness(t)
	doc, ops := openAPIOps(t)
	global := doc["security"].([]any)
	if len(global) != 1 || global[0].(map[string]any)["teamToken"] == nil {
		t.Fatalf("global security = %v, want teamToken", global)
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	for _, name := range []string{"teamToken", "adminKey"} {
		s, ok := schemes[name].(map[string]any)
		if !ok || s["type"] != "http" || s["scheme"] != "bearer" {
			t.Errorf("security scheme %s = %v, want http bearer", name, schemes[name])
		}
	}
	for _, r := range hs.h.routes {
		op := ops[r.method+" "+r.pattern]
		if op == nil {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		sec, has := op["security"].([]any)
		var want string
		switch r.auth {
		case authNone:
			if !has || len(sec) != 0 {
				t.Errorf("%s %s is public but documents security %v", r.method, r.pattern, op["security"])
			}
			continue
		case authAdminKey:
			want = "adminKey"
		case authToken:
			if has {
				t.Errorf("%s %s overrides the global team token security with %v", r.method, r.pattern, sec)
			}
			continue
		}
		if len(sec) != 1 || sec[0].(map[string]any)[want] == nil {
			t.Errorf("%s %s security = %v, want %s", r.method, r.pattern, sec, want)
		}
	}
}

// TestOpenAPIReferencesResolve checks every $ref points at a defined component,
// so generated clients do not fail on a typo.
func TestOpenAPIReferencesResolve(t *testing.T) {
	doc, ops := openAPIOps(t)
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "$ref" {
					refs = append(refs, c.(string))
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(refs) < 20 {
		t.Fatalf("only %d $refs found; the walk is broken", len(refs))
	}
	for _, ref := range refs {
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("$ref %q is not local", ref)
			continue
		}
		var cur any = doc
		for _, p := range parts {
			m, ok := cur.(map[string]any)
			if !ok || m[p] == nil {
				t.Errorf("$ref %q does not resolve", ref)
				break
			}
			cur = m[p]
		}
	}
	// Every operation documents at least one success response and, when it takes
	// a token, the 401.
	for name, op := range ops {
		resp, _ := op["responses"].(map[string]any)
		ok2xx := false
		for code := range resp {
			if strings.HasPrefix(code, "2") {
				ok2xx = true
			}
		}
		if !ok2xx {
			t.Errorf("%s documents no 2xx response", name)
		}
		if _, public := op["security"]; !public && resp["401"] == nil {
			t.Errorf("%s takes a token but documents no 401", name)
		}
		if op["operationId"] == nil {
			t.Errorf("%s has no operationId", name)
		}
	}
}

func TestOpenAPIIsServedWithoutAuth(t *testing.T) {
	hs := newHarness(t)
	resp := hs.call("GET", "/v1/openapi.yaml", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if resp.Body != openAPIDoc {
		t.Errorf("served body differs from the embedded document")
	}
	if ct := resp.Headers["content-type"]; ct != "application/yaml; charset=utf-8" {
		t.Errorf("content-type = %q", ct)
	}
	if len(hs.mem.writes) != 0 {
		t.Errorf("writes while serving the document")
	}
}
