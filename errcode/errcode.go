// Package errcode is the one error type that crosses package boundaries with
// a meaning: a code (invalid input, not found, conflict, ...) and a message
// fit for a person. The HTTP layer and the CLI turn codes into status codes
// and exit codes in one table each; anything without a code is an internal
// failure whose details are logged, never shown.
package errcode

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error.
type Code string

// The codes.
const (
	Invalid     Code = "invalid"     // the input is wrong; the message says how
	NotFound    Code = "not_found"   // the thing named does not exist
	Conflict    Code = "conflict"    // the request contradicts what is stored (duplicate, limit reached, in use)
	Forbidden   Code = "forbidden"   // the caller may not do this
	Unavailable Code = "unavailable" // a dependency is down or busy; trying again may work
	Internal    Code = "internal"    // a bug or an unexpected failure
)

// Error is an error with a code and a user-facing message.
type Error struct {
	Code    Code
	Message string
	// Field is the input field the error is about, by the name the API's
	// JSON body (or the operation's parameter) and the console's form give
	// it: "phone", "plan", "engineer"; "" when it is about no one field (a
	// limit reached, a thing gone). Faces place the message by it instead
	// of reading the message's words, which may be reworded any day.
	Field string
}

func (e *Error) Error() string { return e.Message }

// New returns an *Error with the given code and message.
func New(code Code, msg string) error { return &Error{Code: code, Message: msg} }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithField returns a copy of err with Field set to field when err is an
// *Error itself; any other error (nil, an internal failure, an *Error
// wrapped with more text) is returned unchanged. Call it where the input
// is validated, around a shared validator's error (contactinfo.Phone does
// not know which field it checks).
func WithField(err error, field string) error {
	e, ok := err.(*Error)
	if !ok || e == nil {
		return err
	}
	c := *e
	c.Field = field
	return &c
}

// FieldOf returns the Field of the first *Error in err's chain, "" when
// there is none.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// CodeOf returns the code of the first *Error in err's chain, Internal when
// there is none, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns what may be shown to a person: the coded message, or a
// generic sentence for internal failures.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// HTTPStatus maps a code to an HTTP status.
func HTTPStatus(code Code) int {
	switch code {
	case Invalid:
		return http.StatusBadRequest
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Forbidden:
		return http.StatusForbidden
	case Unavailable:
		return http.StatusServiceUnavailable
	case "":
		return http.StatusOK
	default:
		return http.StatusInternalServerError
	}
}

// ExitCode maps a code to a CLI exit status: 2 for bad input, 3 for
// not-found or conflict, 1 for everything else.
func ExitCode(code Code) int {
	switch code {
	case "":
		return 0
	case Invalid:
		return 2
	case NotFound, Conflict:
		return 3
	default:
		return 1
	}
}
