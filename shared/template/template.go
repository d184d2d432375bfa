// Package template reads the AWS SAM template (template.yaml) into plain Go
// values. Tests use it to hold the template to the project's conventions, and
// the local runner uses it to wire functions, routes and queues from the same
// file that deploys them, so the two can never disagree.
//
// CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, !If, ...) become the
// long form that JSON templates use: {"Ref": "X"}, {"Fn::GetAtt": ["X",
// "Arn"]}, {"Fn::Sub": "..."}, so callers handle one form only.
package template

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM template. Property values are what YAML decodes to
// (string, int, float64, bool, []any, map[string]any), with intrinsic
// functions in their long form.
type Template struct {
	AWSTemplateFormatVersion string                    `yaml:"AWSTemplateFormatVersion"`
	Transform                any                       `yaml:"Transform"`
	Description              string                    `yaml:"Description"`
	Metadata                 map[string]any            `yaml:"Metadata"`
	Parameters               map[string]Parameter      `yaml:"Parameters"`
	Mappings                 map[string]any            `yaml:"Mappings"`
	Conditions               map[string]any            `yaml:"Conditions"`
	Globals                  map[string]map[string]any `yaml:"Globals"`
	Resources                map[string]Resource       `yaml:"Resources"`
	Outputs                  map[string]Output         `yaml:"Outputs"`
}

// Parameter is one entry of the template's Parameters section.
type Parameter struct {
	Type           string `yaml:"Type"`
	Default        any    `yaml:"Default"`
	AllowedValues  []any  `yaml:"AllowedValues"`
	AllowedPattern string `yaml:"AllowedPattern"`
	NoEcho         bool   `yaml:"NoEcho"`
	Description    string `yaml:"Description"`
}

// Resource is one entry of the template's Resources section.
type Resource struct {
	Type                string         `yaml:"Type"`
	Condition           string         `yaml:"Condition"`
	DependsOn           any            `yaml:"DependsOn"`
	DeletionPolicy      string         `yaml:"DeletionPolicy"`
	UpdateReplacePolicy string         `yaml:"UpdateReplacePolicy"`
	Metadata            map[string]any `yaml:"Metadata"`
	Properties          map[string]any `yaml:"Properties"`
}

// Output is one entry of the template's Outputs section.
type Output struct {
	Description string         `yaml:"Description"`
	Value       any            `yaml:"Value"`
	Export      map[string]any `yaml:"Export"`
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("template: %s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template from YAML (or JSON, which is YAML too).
func Parse(data []byte) (*Template, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if err := expandTags(&root); err != nil {
		return nil, err
	}
	var t Template
	if err := root.Decode(&t); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &t, nil
}

// ResourcesOfType returns the logical ids of the resources of type typ
// (for example "AWS::Serverless::Function"), sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Properties returns the properties of resource id with the template's
// Globals applied the way SAM applies them: for AWS::Serverless::<Kind> the
// Globals.<Kind> section is merged in, maps merge key by key, lists are the
// global entries followed by the resource's, and any other value (including
// an intrinsic function) of the resource replaces the global one. Resources
// that Globals do not cover get their own properties. The result shares no
// maps or slices with the template.
func (t *Template) Properties(id string) (map[string]any, error) {
	r, ok := t.Resources[id]
	if !ok {
		return nil, fmt.Errorf("template: no resource %q", id)
	}
	var global map[string]any
	if kind, ok := strings.CutPrefix(r.Type, "AWS::Serverless::"); ok {
		global = t.Globals[kind]
	}
	merged, _ := mergeGlobal(global, r.Properties).(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	return merged, nil
}

// mergeGlobal merges a global value g with a resource's value v (SAM's rules).
func mergeGlobal(g, v any) any {
	gm, gIsMap := g.(map[string]any)
	vm, vIsMap := v.(map[string]any)
	if gIsMap && isIntrinsic(gm) {
		gIsMap = false
	}
	if vIsMap && isIntrinsic(vm) {
		vIsMap = false
	}
	switch {
	case g == nil:
		return deepCopy(v)
	case v == nil:
		return deepCopy(g)
	case gIsMap && vIsMap:
		out := make(map[string]any, len(gm)+len(vm))
		for k, x := range gm {
			out[k] = deepCopy(x)
		}
		for k, x := range vm {
			out[k] = mergeGlobal(gm[k], x)
		}
		return out
	}
	gl, gIsList := g.([]any)
	vl, vIsList := v.([]any)
	if gIsList && vIsList {
		out := make([]any, 0, len(gl)+len(vl))
		for _, x := range gl {
			out = append(out, deepCopy(x))
		}
		for _, x := range vl {
			out = append(out, deepCopy(x))
		}
		return out
	}
	return deepCopy(v)
}

// isIntrinsic reports whether m is an intrinsic function call, which SAM's
// Globals treat as a single value rather than a map to merge.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	default:
		return v
	}
}

// expandTags rewrites every node tagged with a CloudFormation short form
// (!Name value) into the mapping {Fn::Name: value}, or {Ref: value} and
// {Condition: value} for !Ref and !Condition. A scalar !GetAtt "A.B" becomes
// the list [A, B], as in the long form.
func expandTags(n *yaml.Node) error {
	for _, c := range n.Content {
		if err := expandTags(c); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	if name == "" {
		return fmt.Errorf("line %d: empty tag", n.Line)
	}
	key := "Fn::" + name
	if name == "Ref" || name == "Condition" {
		key = name
	}

	value := *n
	switch value.Kind {
	case yaml.ScalarNode:
		value.Tag = "!!str"
		if name == "GetAtt" {
			resource, attribute, ok := strings.Cut(value.Value, ".")
			if !ok || resource == "" || attribute == "" {
				return fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, value.Value)
			}
			value = yaml.Node{
				Kind: yaml.SequenceNode,
				Tag:  "!!seq",
				Line: n.Line,
				Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: resource, Line: n.Line},
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: attribute, Line: n.Line},
				},
			}
		}
	case yaml.SequenceNode:
		value.Tag = "!!seq"
	case yaml.MappingNode:
		value.Tag = "!!map"
	default:
		return fmt.Errorf("line %d: tag %s on an unsupported node", n.Line, n.Tag)
	}

	*n = yaml.Node{
		Kind:   yaml.MappingNode,
		Tag:    "!!map",
		Line:   n.Line,
		Column: n.Column,
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: n.Line},
			&value,
		},
	}
	return nil
}
