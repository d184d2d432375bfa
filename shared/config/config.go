// Package config reads a function's environment once, at start-up in main, so
// handlers receive plain values and never look at the process environment.
package config

import (
	"fmt"
	"os"
	"strings"
)

// Env is the environment every Switchboard function shares: what template.yaml
// sets for all functions, plus the endpoint overrides the local runner and tests
// use to reach DynamoDB Local and the SQS/EventBridge emulator.
type Env struct {
	Stage               string
	LogLevel            string
	TableName           string
	DynamoDBEndpoint    string
	SQSEndpoint         string
	EventBridgeEndpoint string

	lookup func(string) (string, bool)
}

// FromOS reads the process environment.
func FromOS() Env { return From(os.LookupEnv) }

// From reads the environment through lookup, so tests can supply their own.
func From(lookup func(string) (string, bool)) Env {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	return Env{
		Stage:               get("STAGE"),
		LogLevel:            get("LOG_LEVEL"),
		TableName:           get("TABLE_NAME"),
		DynamoDBEndpoint:    get("DYNAMODB_ENDPOINT"),
		SQSEndpoint:         get("SQS_ENDPOINT"),
		EventBridgeEndpoint: get("EVENTBRIDGE_ENDPOINT"),
		lookup:              lookup,
	}
}

// Get returns an optional variable, trimmed; "" when unset.
func (e Env) Get(name string) string {
	if e.lookup == nil {
		return ""
	}
	v, _ := e.lookup(name)
	return strings.TrimSpace(v)
}

// Require returns the named variables, or one error naming every one that is
// missing or empty, so a misconfigured deployment is fixed in one pass.
func (e Env) Require(names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var missing []string
	for _, n := range names {
		v := e.Get(n)
		if v == "" {
			missing = append(missing, n)
			continue
		}
		out[n] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing environment variables: %s", strings.Join(missing, ", "))
	}
	return out, nil
}
