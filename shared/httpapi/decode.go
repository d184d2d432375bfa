package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/switchboard-chat/switchboard/shared/apigw"
	"github.com/switchboard-chat/switchboard/shared/switchboard"
)

// decode reads the request body into v strictly: one JSON object, no unknown
// fields, nothing after it, at most MaxRequestBody bytes. Strictness turns a
// misspelt field into a 400 naming it instead of a silent no-op.
func decode(r *request, v any) error {
	body, err := apigw.Body(r.raw, MaxRequestBody)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON is decode's parser, separate so it can be fuzzed without events.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return switchboard.Errorf(switchboard.EInvalid, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return switchboard.Errorf(switchboard.EInvalid, "request body must hold a single JSON object; found more after it")
	}
	return nil
}

// decodeError turns encoding/json's errors into messages that name the field
// and the problem in the API's own terms.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return switchboard.Errorf(switchboard.EInvalid, "request body is not valid JSON (at byte %d): %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return switchboard.Errorf(switchboard.EInvalid, "request body is not valid JSON: it ends early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return switchboard.Errorf(switchboard.EInvalid, "request body must be a JSON object, not %s", typ.Value)
		}
		return switchboard.Errorf(switchboard.EInvalid, "field %q must be %s, not %s", typ.Field, jsonKind(typ.Type), typ.Value)
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return switchboard.Errorf(switchboard.EInvalid, "unknown field %s", name)
	}
	return switchboard.Errorf(switchboard.EInvalid, "request body is not valid: %s", strings.TrimPrefix(msg, "json: "))
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.Kind().String()
}
