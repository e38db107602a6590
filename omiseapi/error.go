package omiseapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
)

// apiError is an error as an Omise client sees it.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int // seconds, for 429
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func badRequest(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

var (
	errAuth         = &apiError{Status: http.StatusUnauthorized, Code: "authentication_failure", Message: "authentication failed"}
	errPathNotFound = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "the requested path was not found"}
	errNotJSON      = badRequest("request body is not valid JSON")
	errTooLarge     = badRequest("request body is too large")
	errTooMany      = badRequest("request has too many parameters")
	errBodyRead     = badRequest("request body could not be read")
	errContentType  = badRequest("content type is not supported")
	errMissingCard  = &apiError{Status: http.StatusBadRequest, Code: "missing_card", Message: "request contains no card parameters"}
	errCardToken    = &apiError{Status: http.StatusBadRequest, Code: "invalid_card_token", Message: "invalid card token"}
	errInternal     = &apiError{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error"}

	// Answers the server gives outside the dialect's handler (Refusal).
	errHeadTooLarge = badRequest("request headers are too large")
	errMalformedReq = badRequest("request is malformed")
	errTimedOut     = &apiError{Status: http.StatusServiceUnavailable, Code: "service_unavailable", Message: "request timed out"}
)

// toAPI is the one table from domain errors to Omise errors.
func toAPI(err error) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	switch {
	case errors.Is(err, httpx.ErrTooLarge), errors.Is(err, param.ErrTooLarge):
		return errTooLarge
	case errors.Is(err, param.ErrTooMany):
		return errTooMany
	case errors.Is(err, httpx.ErrClientBody):
		return errBodyRead
	case errors.Is(err, httpx.ErrBusy):
		return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: "too many requests",
			RetryAfter: httpx.BusyRetryAfter}
	}
	e := cardvault.AsError(err)
	switch e.Code {
	case cardvault.ENotFound:
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: e.Kind + " " + httpx.Echo(e.ID) + " was not found"}
	case cardvault.EInvalidCard:
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_card", Message: cardvault.JoinClauses(e.Clauses)}
	case cardvault.EUsedToken:
		return &apiError{Status: http.StatusBadRequest, Code: "used_token", Message: "token was already used"}
	case cardvault.ETokenExpired:
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_card_token", Message: "token " + httpx.Echo(e.ID) + " has expired"}
	case cardvault.EInvalid, cardvault.EConflict:
		return badRequest(e.Field + " is invalid")
	case cardvault.ETooLong:
		return badRequest(e.Field + " is too long")
	case cardvault.EUnauthorized:
		return errAuth
	case cardvault.ERateLimited:
		return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: "too many requests",
			RetryAfter: e.RetryAfter}
	}
	return errInternal
}

type errorJSON struct {
	Object   string `json:"object"`
	Location string `json:"location"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.Interrupted(r, err) {
		return // the middleware answers 503 past the deadline; a client that is gone gets nothing
	}
	e := toAPI(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	switch {
	case e.Status >= 500:
		s.log.ErrorContext(r.Context(), "internal error", "err", err)
	case e == errBodyRead:
		s.log.InfoContext(r.Context(), "client error", "fault", httpx.BodyFault(err))
	}
	httpx.WriteJSON(w, e.Status, errorBody(e))
}

// errorBody is e as the Omise error object.
func errorBody(e *apiError) errorJSON {
	return errorJSON{Object: "error", Code: e.Code, Message: e.Message,
		Location: "https://www.omise.co/api-errors#" + strings.ReplaceAll(e.Code, "_", "-")}
}

// Refusal returns the body of the answer with status to a request refused
// outside the dialect's handler: 431 for a head past the server's limit, 503
// for a request that ran out of time, and any other status for a request
// net/http could not parse (API.md §2.13).
func Refusal(status int) []byte {
	e := errMalformedReq
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		e = errHeadTooLarge
	case http.StatusServiceUnavailable:
		e = errTimedOut
	}
	b, _ := json.Marshal(errorBody(e))
	return append(b, '\n')
}

// WritePanic answers a request whose handler panicked with Omise's 500.
func WritePanic(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, errInternal.Status, errorBody(errInternal))
}
