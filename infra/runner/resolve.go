package runner

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/template"
)

// noValue is what AWS::NoValue evaluates to: the enclosing property or list
// item disappears, as CloudFormation removes it.
type noValue struct{}

// Physical is what a resource is locally: the value !Ref returns and the
// attributes !GetAtt returns. Before the emulators are reached they are
// computed from the template; creating a queue replaces them with what the
// emulator answered, so a function is given the URL that really works.
type Physical struct {
	Ref   string
	Attrs map[string]string
}

// resolver evaluates CloudFormation intrinsic functions (Ref, Fn::GetAtt,
// Fn::Sub, Fn::Join, Fn::If, ...) into local values. It is the one place that
// knows how a template value becomes the string a function receives.
type resolver struct {
	tmpl   *template.Template
	params map[string]any
	pseudo map[string]string

	// physical names come from physicalOf unless overridden (after a
	// resource was created on an emulator).
	overrides  map[string]*Physical
	physicalOf func(id string) (*Physical, error)

	conditions map[string]bool
	evaluating map[string]bool
}

// newResolver checks the parameter overrides against the template's
// declarations (type, AllowedValues, AllowedPattern) as CloudFormation would at
// deploy time, so a bad value is refused up front rather than surfacing as a
// strange function error.
func newResolver(t *template.Template, overrides map[string]string, pseudo map[string]string) (*resolver, error) {
	for name := range overrides {
		if _, ok := t.Parameters[name]; !ok {
			return nil, fmt.Errorf("parameter %s is not declared in the template (declared: %s)", name, strings.Join(sortedKeys(t.Parameters), ", "))
		}
	}
	params := make(map[string]any, len(t.Parameters))
	for name, p := range t.Parameters {
		var raw string
		if v, ok := overrides[name]; ok {
			raw = v
		} else if p.Default != nil {
			raw = scalarString(p.Default)
		} else {
			return nil, fmt.Errorf("parameter %s has no default; give it a value", name)
		}
		v, err := parameterValue(name, p, raw)
		if err != nil {
			return nil, err
		}
		params[name] = v
	}
	return &resolver{
		tmpl:       t,
		params:     params,
		pseudo:     pseudo,
		overrides:  map[string]*Physical{},
		conditions: map[string]bool{},
		evaluating: map[string]bool{},
	}, nil
}

// parameterValue validates raw against p and returns what !Ref gives for it: a
// string, or a list of strings for list types.
func parameterValue(name string, p template.Parameter, raw string) (any, error) {
	if len(p.AllowedValues) > 0 {
		ok := false
		for _, a := range p.AllowedValues {
			if scalarString(a) == raw {
				ok = true
				break
			}
		}
		if !ok {
			allowed := make([]string, len(p.AllowedValues))
			for i, a := range p.AllowedValues {
				allowed[i] = scalarString(a)
			}
			return nil, fmt.Errorf("parameter %s: %q is not one of the allowed values %v", name, raw, allowed)
		}
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return nil, fmt.Errorf("parameter %s: AllowedPattern: %w", name, err)
		}
		if !re.MatchString(raw) {
			return nil, fmt.Errorf("parameter %s: %q does not match the pattern %s", name, raw, p.AllowedPattern)
		}
	}
	switch {
	case p.Type == "Number":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return nil, fmt.Errorf("parameter %s: %q is not a number", name, raw)
		}
	case p.Type == "CommaDelimitedList" || strings.HasPrefix(p.Type, "List<"):
		if raw == "" {
			return []any{}, nil
		}
		parts := strings.Split(raw, ",")
		out := make([]any, len(parts))
		for i, s := range parts {
			out[i] = strings.TrimSpace(s)
		}
		return out, nil
	}
	return raw, nil
}

// setPhysical records what the emulator answered for resource id.
func (r *resolver) setPhysical(id string, p *Physical) { r.overrides[id] = p }

// physical returns the local identity of resource id.
func (r *resolver) physical(id string) (*Physical, error) {
	if p, ok := r.overrides[id]; ok {
		return p, nil
	}
	if _, ok := r.tmpl.Resources[id]; !ok {
		return nil, fmt.Errorf("no resource or parameter named %s", id)
	}
	if r.evaluating[id] {
		return nil, fmt.Errorf("resource %s refers to itself", id)
	}
	r.evaluating[id] = true
	defer delete(r.evaluating, id)
	return r.physicalOf(id)
}

// ref evaluates {"Ref": name}.
func (r *resolver) ref(name string) (any, error) {
	if v, ok := r.pseudo[name]; ok {
		return v, nil
	}
	switch name {
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	p, err := r.physical(name)
	if err != nil {
		return nil, fmt.Errorf("!Ref %s: %w", name, err)
	}
	return p.Ref, nil
}

// getAtt evaluates {"Fn::GetAtt": [resource, attribute]}.
func (r *resolver) getAtt(resource, attr string) (string, error) {
	p, err := r.physical(resource)
	if err != nil {
		return "", fmt.Errorf("!GetAtt %s.%s: %w", resource, attr, err)
	}
	v, ok := p.Attrs[attr]
	if !ok {
		return "", fmt.Errorf("!GetAtt %s.%s: the local runner knows no attribute %s of a %s (known: %s)",
			resource, attr, attr, r.tmpl.Resources[resource].Type, strings.Join(sortedKeys(p.Attrs), ", "))
	}
	return v, nil
}

// eval evaluates every intrinsic function in v. Maps and lists are copied;
// items that evaluate to AWS::NoValue are dropped.
func (r *resolver) eval(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			x, err := r.eval(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, drop := x.(noValue); drop {
				continue
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, item := range v {
			x, err := r.eval(item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, drop := x.(noValue); drop {
				continue
			}
			out = append(out, x)
		}
		return out, nil
	default:
		return v, nil
	}
}

// evalString evaluates v and requires a scalar, returned as a string.
func (r *resolver) evalString(v any) (string, error) {
	x, err := r.eval(v)
	if err != nil {
		return "", err
	}
	switch x := x.(type) {
	case map[string]any, []any:
		return "", fmt.Errorf("expected a string, got %T", x)
	case noValue:
		return "", nil
	}
	return scalarString(x), nil
}

// evalList evaluates v and requires a list.
func (r *resolver) evalList(v any) ([]any, error) {
	x, err := r.eval(v)
	if err != nil {
		return nil, err
	}
	l, ok := x.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list, got %T", x)
	}
	return l, nil
}

func (r *resolver) intrinsic(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("!Ref needs a name, got %T", arg)
		}
		return r.ref(s)
	case "Fn::GetAtt":
		resource, attr, err := getAttArgs(arg)
		if err != nil {
			return nil, err
		}
		return r.getAtt(resource, attr)
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Join":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, fmt.Errorf("!Join needs [delimiter, list]")
		}
		delim, err := r.evalString(args[0])
		if err != nil {
			return nil, fmt.Errorf("!Join: %w", err)
		}
		items, err := r.evalList(args[1])
		if err != nil {
			return nil, fmt.Errorf("!Join: %w", err)
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = scalarString(it)
		}
		return strings.Join(parts, delim), nil
	case "Fn::Select":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, fmt.Errorf("!Select needs [index, list]")
		}
		idx, err := r.evalString(args[0])
		if err != nil {
			return nil, fmt.Errorf("!Select: %w", err)
		}
		i, err := strconv.Atoi(idx)
		if err != nil {
			return nil, fmt.Errorf("!Select: index %q is not a number", idx)
		}
		items, err := r.evalList(args[1])
		if err != nil {
			return nil, fmt.Errorf("!Select: %w", err)
		}
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("!Select: index %d out of range (list has %d items)", i, len(items))
		}
		return items[i], nil
	case "Fn::Split":
		args, ok := arg.([]any)
		if !ok || len(args) != 2 {
			return nil, fmt.Errorf("!Split needs [delimiter, string]")
		}
		delim, err := r.evalString(args[0])
		if err != nil {
			return nil, fmt.Errorf("!Split: %w", err)
		}
		s, err := r.evalString(args[1])
		if err != nil {
			return nil, fmt.Errorf("!Split: %w", err)
		}
		parts := strings.Split(s, delim)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "Fn::If":
		args, ok := arg.([]any)
		if !ok || len(args) != 3 {
			return nil, fmt.Errorf("!If needs [condition, value if true, value if false]")
		}
		cond, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("!If: the condition must be a name")
		}
		b, err := r.condition(cond)
		if err != nil {
			return nil, err
		}
		if b {
			return r.eval(args[1])
		}
		return r.eval(args[2])
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		b, err := r.boolean(map[string]any{name: arg})
		if err != nil {
			return nil, err
		}
		return strconv.FormatBool(b), nil
	case "Fn::FindInMap":
		args, ok := arg.([]any)
		if !ok || len(args) != 3 {
			return nil, fmt.Errorf("!FindInMap needs [map, top-level key, second-level key]")
		}
		keys := make([]string, 3)
		for i, a := range args {
			s, err := r.evalString(a)
			if err != nil {
				return nil, fmt.Errorf("!FindInMap: %w", err)
			}
			keys[i] = s
		}
		m, _ := r.tmpl.Mappings[keys[0]].(map[string]any)
		top, _ := m[keys[1]].(map[string]any)
		v, ok := top[keys[2]]
		if !ok {
			return nil, fmt.Errorf("!FindInMap: no %s.%s.%s in Mappings", keys[0], keys[1], keys[2])
		}
		return r.eval(v)
	case "Fn::Base64":
		s, err := r.evalString(arg)
		if err != nil {
			return nil, fmt.Errorf("!Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::GetAZs":
		region := r.pseudo["AWS::Region"]
		return []any{region + "a", region + "c", region + "d"}, nil
	case "Fn::ToJsonString":
		x, err := r.eval(arg)
		if err != nil {
			return nil, fmt.Errorf("!ToJsonString: %w", err)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("!ToJsonString: %w", err)
		}
		return string(b), nil
	case "Fn::Length":
		items, err := r.evalList(arg)
		if err != nil {
			return nil, fmt.Errorf("!Length: %w", err)
		}
		return len(items), nil
	}
	return nil, fmt.Errorf("%s is not supported by the local runner", name)
}

// getAttArgs accepts both long forms of Fn::GetAtt: [resource, attribute] and
// "resource.attribute".
func getAttArgs(arg any) (resource, attr string, err error) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			resource, _ = a[0].(string)
			attr, _ = a[1].(string)
		}
	case string:
		resource, attr, _ = strings.Cut(a, ".")
	}
	if resource == "" || attr == "" {
		return "", "", fmt.Errorf("!GetAtt needs Resource.Attribute, got %v", arg)
	}
	return resource, attr, nil
}

// sub evaluates Fn::Sub in both forms: "template" and ["template", {vars}].
// ${Name} is a Ref, ${Name.Attr} a GetAtt, ${!Literal} the text ${Literal}.
func (r *resolver) sub(arg any) (any, error) {
	var text string
	vars := map[string]string{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("!Sub needs a string or [string, variables]")
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("!Sub: the template must be a string")
		}
		text = s
		m, ok := a[1].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("!Sub: the variables must be a map")
		}
		for k, v := range m {
			s, err := r.evalString(v)
			if err != nil {
				return nil, fmt.Errorf("!Sub variable %s: %w", k, err)
			}
			vars[k] = s
		}
	default:
		return nil, fmt.Errorf("!Sub needs a string or [string, variables], got %T", arg)
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		rest := text[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, fmt.Errorf("!Sub: unterminated ${ in %q", text)
		}
		name := rest[:j]
		text = rest[j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		name = strings.TrimSpace(name)
		if v, ok := vars[name]; ok {
			b.WriteString(v)
			continue
		}
		if resource, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err := r.getAtt(resource, attr)
			if err != nil {
				return nil, fmt.Errorf("!Sub: %w", err)
			}
			b.WriteString(v)
			continue
		}
		v, err := r.ref(name)
		if err != nil {
			return nil, fmt.Errorf("!Sub: %w", err)
		}
		if _, isList := v.([]any); isList {
			return nil, fmt.Errorf("!Sub: ${%s} is a list", name)
		}
		b.WriteString(scalarString(v))
	}
}

// condition evaluates the template's named condition, memoised.
func (r *resolver) condition(name string) (bool, error) {
	if b, ok := r.conditions[name]; ok {
		return b, nil
	}
	def, ok := r.tmpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition named %s", name)
	}
	key := "condition " + name
	if r.evaluating[key] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	r.evaluating[key] = true
	defer delete(r.evaluating, key)
	b, err := r.boolean(def)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	r.conditions[name] = b
	return b, nil
}

// boolean evaluates a condition function (Fn::Equals, Fn::Not, Fn::And,
// Fn::Or, Condition).
func (r *resolver) boolean(v any) (bool, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		if s, isString := v.(string); isString {
			return s == "true", nil
		}
		return false, fmt.Errorf("not a condition: %v", v)
	}
	for k, arg := range m {
		args, _ := arg.([]any)
		switch k {
		case "Condition":
			s, _ := arg.(string)
			return r.condition(s)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("!Equals needs two values")
			}
			a, err := r.eval(args[0])
			if err != nil {
				return false, err
			}
			b, err := r.eval(args[1])
			if err != nil {
				return false, err
			}
			return fmt.Sprint(a) == fmt.Sprint(b), nil
		case "Fn::Not":
			if len(args) != 1 {
				return false, fmt.Errorf("!Not needs one condition")
			}
			b, err := r.boolean(args[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 {
				return false, fmt.Errorf("%s needs at least two conditions", k)
			}
			and := k == "Fn::And"
			for _, a := range args {
				b, err := r.boolean(a)
				if err != nil {
					return false, err
				}
				if and && !b {
					return false, nil
				}
				if !and && b {
					return true, nil
				}
			}
			return and, nil
		}
	}
	return false, fmt.Errorf("not a condition: %v", v)
}

// resourceEnabled reports whether resource id exists under its Condition.
func (r *resolver) resourceEnabled(id string) (bool, error) {
	c := r.tmpl.Resources[id].Condition
	if c == "" {
		return true, nil
	}
	return r.condition(c)
}

// references lists the resources that v refers to through Ref, GetAtt and Sub,
// so resources can be created after the ones they name.
func references(v any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, arg := range v {
				switch k {
				case "Ref":
					if s, ok := arg.(string); ok {
						seen[s] = true
					}
				case "Fn::GetAtt":
					if res, _, err := getAttArgs(arg); err == nil {
						seen[res] = true
					}
				case "Fn::Sub":
					text := ""
					switch a := arg.(type) {
					case string:
						text = a
					case []any:
						if len(a) > 0 {
							text, _ = a[0].(string)
						}
						if len(a) > 1 {
							walk(a[1])
						}
					}
					for _, m := range subVar.FindAllStringSubmatch(text, -1) {
						name, _, _ := strings.Cut(m[1], ".")
						seen[name] = true
					}
				}
				walk(arg)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(seen))
	for k := range seen {
		if !strings.HasPrefix(k, "AWS::") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// scalarString writes a YAML scalar the way CloudFormation turns it into a
// string: true/false, integers without a decimal point.
func scalarString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
