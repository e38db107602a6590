package omiseapi

import (
	"net/http"
	"strings"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
)

// apiError is an error as an Omise client sees it.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func badRequest(msg string) *apiError { return &apiError{http.StatusBadRequest, "bad_request", msg} }

var (
	errAuth         = &apiError{http.StatusUnauthorized, "authentication_failure", "authentication failed"}
	errPathNotFound = &apiError{http.StatusNotFound, "not_found", "the requested path was not found"}
	errNotJSON      = badRequest("request body is not valid JSON")
	errTooLarge     = badRequest("request body is too large")
	errContentType  = badRequest("content type is not supported")
	errMissingCard  = &apiError{http.StatusBadRequest, "missing_card", "request contains no card parameters"}
	errCardToken    = &apiError{http.StatusBadRequest, "invalid_card_token", "invalid card token"}
	errInternal     = &apiError{http.StatusInternalServerError, "internal_error", "internal error"}
)

// toAPI is the one table from domain errors to Omise errors.
func toAPI(err error) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	e := cardvault.AsError(err)
	switch e.Code {
	case cardvault.ENotFound:
		return &apiError{http.StatusNotFound, "not_found", e.Kind + " " + httpx.Echo(e.ID) + " was not found"}
	case cardvault.EInvalidCard:
		return &apiError{http.StatusBadRequest, "invalid_card", cardvault.JoinClauses(e.Clauses)}
	case cardvault.EUsedToken:
		return &apiError{http.StatusBadRequest, "used_token", "token was already used"}
	case cardvault.ETokenExpired:
		return &apiError{http.StatusBadRequest, "invalid_card_token", "token " + httpx.Echo(e.ID) + " has expired"}
	case cardvault.EInvalid, cardvault.EConflict:
		return badRequest(e.Field + " is invalid")
	case cardvault.ETooLong:
		return badRequest(e.Field + " is too long")
	case cardvault.EUnauthorized:
		return errAuth
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
	e := toAPI(err)
	if e.Status >= 500 {
		s.log.Error("internal error", "request_id", httpx.InfoFrom(r.Context()).ID, "err", err)
	}
	httpx.WriteJSON(w, e.Status, errorJSON{Object: "error", Code: e.Code, Message: e.Message,
		Location: "https://www.omise.co/api-errors#" + strings.ReplaceAll(e.Code, "_", "-")})
}

// WritePanic answers a request whose handler panicked with Omise's 500.
func WritePanic(w http.ResponseWriter, _ *http.Request) {
	e := errInternal
	httpx.WriteJSON(w, e.Status, errorJSON{Object: "error", Code: e.Code, Message: e.Message,
		Location: "https://www.omise.co/api-errors#internal-error"})
}
