package switchboard

import (
	"errors"
	"fmt"
)

// Error codes classify failures by what the caller can do about them. They are
// mapped to HTTP statuses in exactly one place (package apigw) and to queue
// retry-or-drop decisions in exactly one place (package queue).
const (
	EInvalid      = "invalid"      // the input is wrong; retrying it will not help
	ENotFound     = "not_found"    // the thing does not exist (or is not visible to the caller)
	EConflict     = "conflict"     // a concurrent change or a duplicate won; re-read and decide
	EForbidden    = "forbidden"    // the caller is known but may not do this
	EUnauthorized = "unauthorized" // the caller could not be identified (token, signature)
	ETooLarge     = "too_large"    // the input is over a size limit
	ERateLimited  = "rate_limited" // a platform or our own limit said slow down
	EUnavailable  = "unavailable"  // a dependency failed in a way that may pass; retry later
	EInternal     = "internal"     // a bug or an unclassified failure
)

// Error is the domain error: a code for machines, a message safe to show to the
// caller, and optionally the underlying cause for logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause so errors.Is and errors.As see through the domain error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a formatted, caller-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds a domain error that keeps cause for logs but shows only message.
func Wrap(code string, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// ErrorCode returns the code of the first domain error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the caller-safe message of err: the domain error's message,
// or a generic text so internal details never leak to callers.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
