package chargeoverapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
	"github.com/cardvault/cardvault/query"
)

// apiError is an error as a ChargeOver client sees it (API.md §3.8). details
// never holds client text.
type apiError struct {
	status     int
	message    string
	details    map[string]string
	retryAfter int // seconds, for 429
}

func (e *apiError) Error() string { return e.message }

// The messages of §3.8.
const (
	msgBadParam   = "Missing or invalid parameter."
	msgNoData     = "A required parameter was missing: No data."
	msgAuthPrefix = "Invalid or incorrect authorization ["
	msgNoCard     = "This credit card does not exist."
	msgNoCustomer = "This customer does not exist."
	msgInternal   = "Internal server error."
	msgTooMany    = "Too many requests."
)

// badParam is a 400 "Missing or invalid parameter." with one detail.
func badParam(field, problem string) *apiError {
	return &apiError{status: http.StatusBadRequest, message: msgBadParam, details: map[string]string{field: problem}}
}

// authError is a 401 with the bracketed reason of §3.8.
func authError(reason string) *apiError {
	return &apiError{status: http.StatusUnauthorized, message: msgAuthPrefix + reason + "]"}
}

var (
	errMissingAuth = authError("Missing (basic) authorization header.")
	errCredentials = authError("Invalid API credentials.")
	errSignature   = authError("Invalid signature.")
	errTimestamp   = authError("Request timestamp out of range.")
	errNonce       = authError("Nonce already used.")
	errPath        = badParam("path", "unsupported")
	errQuery       = badParam("query", "malformed")
	errNotObject   = badParam("body", "not a JSON object")
	errTooLarge    = badParam("body", "too large")
	errTooMany     = badParam("body", "too many parameters")
	errBodyRead    = badParam("body", "unreadable")
	errNoData      = &apiError{status: http.StatusBadRequest, message: msgNoData}
	errInternal    = &apiError{status: http.StatusInternalServerError, message: msgInternal}

	// Answers the server gives outside the dialect's handler (Refusal).
	errHeadTooLarge = badParam("headers", "too large")
	errMalformedReq = badParam("request", "malformed")
	errTimedOut     = &apiError{status: http.StatusServiceUnavailable, message: "Request timed out."}
)

// errType is the 400 for an object type that is not supported.
func errType(t *target) *apiError {
	return &apiError{status: http.StatusBadRequest, message: "The object type requested is not supported: " + t.signature()}
}

// errCommand is the 400 for a supported type with an unsupported command.
func errCommand(t *target) *apiError {
	return &apiError{status: http.StatusBadRequest, message: "The command requested is not supported: " + t.signature()}
}

// echo applies the echo rule of §1.5 to non-empty client text.
func echo(s string) string {
	if s == "" {
		return ""
	}
	return httpx.Echo(s)
}

// toAPI is the one table from errors to ChargeOver errors. kind is the
// cardvault Kind of the objects the route serves ("card" or "customer"): an
// ENotFound of that kind is the route's 404, while an ENotFound of another
// kind (the customer named in a card POST) is a bad parameter.
func toAPI(err error, kind string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var qe *query.Error
	if errors.As(err, &qe) {
		return &apiError{status: http.StatusBadRequest, message: msgBadParam, details: qe.Details}
	}
	switch {
	case errors.Is(err, httpx.ErrTooLarge), errors.Is(err, param.ErrTooLarge):
		return errTooLarge
	case errors.Is(err, param.ErrTooMany):
		return errTooMany
	case errors.Is(err, httpx.ErrClientBody):
		return errBodyRead
	case errors.Is(err, httpx.ErrBusy):
		return &apiError{status: http.StatusTooManyRequests, message: msgTooMany, retryAfter: httpx.BusyRetryAfter}
	}
	e := cardvault.AsError(err)
	switch e.Code {
	case cardvault.ENotFound:
		return notFound(e.Kind, kind)
	case cardvault.EInvalidCard:
		return badParam("creditcard", cardvault.JoinClauses(e.Clauses))
	case cardvault.EInvalid:
		return badParam(e.Field, "invalid")
	case cardvault.ETooLong:
		return badParam(e.Field, "too long")
	case cardvault.EConflict:
		return badParam(e.Field, "already in use")
	case cardvault.EUnauthorized:
		return errCredentials
	case cardvault.ERateLimited:
		return &apiError{status: http.StatusTooManyRequests, message: msgTooMany, retryAfter: e.RetryAfter}
	}
	return errInternal
}

// notFound maps ENotFound of object kind got on a route serving kind want.
func notFound(got, want string) *apiError {
	switch {
	case got == want && got == "card":
		return &apiError{status: http.StatusNotFound, message: msgNoCard}
	case got == want && got == "customer":
		return &apiError{status: http.StatusNotFound, message: msgNoCustomer}
	case got == "customer":
		return badParam("customer_id", "not found")
	}
	return errInternal
}

// envelope is every response body of the dialect (§3.1), keys in this order.
type envelope struct {
	Code     int               `json:"code"`
	Status   string            `json:"status"`
	Message  string            `json:"message"`
	Details  map[string]string `json:"details"`
	Response any               `json:"response"`
}

// Refusal returns the body of the answer with status to a request refused
// outside the dialect's handler: 431 for a head past the server's limit, 503
// for a request that ran out of time, and any other status for a request
// net/http could not parse (API.md §3.8). The envelope's code is status.
func Refusal(status int) []byte {
	e := errMalformedReq
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = errHeadTooLarge
	case http.StatusServiceUnavailable:
		e = errTimedOut
	}
	details := e.details
	if details == nil {
		details = map[string]string{}
	}
	b, _ := json.Marshal(envelope{status, "Error", e.message, details, false})
	return append(b, '\n')
}

// writeEnvelope writes a response, ending in a newline like every JSON answer
// of the server. details may be nil (rendered as {}).
func writeEnvelope(w http.ResponseWriter, code int, msg string, details map[string]string, resp any) {
	if details == nil {
		details = map[string]string{}
	}
	status := "OK"
	if code >= 400 {
		status = "Error"
	}
	b, err := json.Marshal(envelope{code, status, msg, details, resp})
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(envelope{code, "Error", msgInternal, map[string]string{}, false})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeError answers with err mapped through toAPI; internal errors are
// logged with the request id and shown as the generic 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, kind string, err error) {
	if httpx.Interrupted(r, err) {
		return // the middleware answers 503 past the deadline; a client that is gone gets nothing
	}
	e := toAPI(err, kind)
	switch {
	case e.status >= 500:
		s.log.ErrorContext(r.Context(), "internal error", "err", err)
	case e == errBodyRead:
		s.log.InfoContext(r.Context(), "client error", "fault", httpx.BodyFault(err))
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	var resp any = false
	if e.status == http.StatusNotFound {
		resp = nil
	}
	writeEnvelope(w, e.status, e.message, e.details, resp)
}

// WritePanic answers a /api/ request whose handler panicked with the
// dialect's 500 envelope.
func WritePanic(w http.ResponseWriter, _ *http.Request) {
	writeEnvelope(w, errInternal.status, errInternal.message, nil, false)
}
