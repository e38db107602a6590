package cardvault

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Each HTTP dialect maps codes to its own status and
// body in exactly one table.
type Code string

// The error codes of the domain.
const (
	EInternal     Code = "internal"      // anything unexpected; details are logged, never shown
	ENotFound     Code = "not_found"     // Kind names the object: token, customer, card
	EInvalid      Code = "invalid"       // Field names the parameter
	ETooLong      Code = "too_long"      // Field names the parameter
	EConflict     Code = "conflict"      // Field names the unique parameter, e.g. external_key
	EInvalidCard  Code = "invalid_card"  // Message holds the §2.7 clauses, Clauses the list
	EUsedToken    Code = "used_token"    // the token was already attached
	ETokenExpired Code = "token_expired" // the token's TTL has passed
	EUnauthorized Code = "unauthorized"  // no, unknown or wrong key
	ERateLimited  Code = "rate_limited"  // the key's request rate is exceeded; RetryAfter says for how long
)

// Error is the one error type of the domain. What a client may see (Code, Kind,
// ID, Field, Clauses) is kept apart from the cause (Err), which is only logged.
type Error struct {
	Code    Code
	Kind    string   // object kind for ENotFound: "token", "customer", "card"
	ID      string   // the id that was looked up, as the client gave it
	Field   string   // the parameter for EInvalid, ETooLong, EConflict
	Clauses []string // invalid_card clauses in catalogue order
	// RetryAfter is the wait in whole seconds for ERateLimited.
	RetryAfter int
	Err        error // cause, for logs only
}

// Error describes the error without client-supplied values.
func (e *Error) Error() string {
	s := string(e.Code)
	if e.Kind != "" {
		s += " " + e.Kind
	}
	if e.Field != "" {
		s += " " + e.Field
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of err, EInternal for foreign errors and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// AsError returns err as *Error, wrapping foreign errors as EInternal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EInternal, Err: err}
}

// NotFound returns an ENotFound error for an object kind and id.
func NotFound(kind, id string) *Error { return &Error{Code: ENotFound, Kind: kind, ID: id} }

// Internal wraps an unexpected error.
func Internal(format string, args ...any) *Error {
	return &Error{Code: EInternal, Err: fmt.Errorf(format, args...)}
}
