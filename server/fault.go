package server

import (
	"encoding/json"
	"net/http"
	"strings"
)

// fault is an answer server/ writes itself in either dialect's error format
// (API.md §2.13, §3.8), byte for byte as omiseapi and chargeoverapi write
// theirs: for requests net/http refused before any handler ran, heads over
// MaxHeaderBytes, and requests that ran out of time.
type fault struct {
	omiseCode, omiseMessage string
	coMessage               string
	coDetails               map[string]string
}

var (
	faultHeaders = fault{omiseCode: "bad_request", omiseMessage: "request headers are too large",
		coMessage: "Missing or invalid parameter.", coDetails: map[string]string{"headers": "too large"}}
	faultMalformed = fault{omiseCode: "bad_request", omiseMessage: "request is malformed",
		coMessage: "Missing or invalid parameter.", coDetails: map[string]string{"request": "malformed"}}
	faultTimeout = fault{omiseCode: "service_unavailable", omiseMessage: "request timed out",
		coMessage: "Request timed out.", coDetails: map[string]string{}}
)

// omiseError is omiseapi's error object.
type omiseError struct {
	Object   string `json:"object"`
	Location string `json:"location"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// coEnvelope is chargeoverapi's envelope.
type coEnvelope struct {
	Code     int               `json:"code"`
	Status   string            `json:"status"`
	Message  string            `json:"message"`
	Details  map[string]string `json:"details"`
	Response bool              `json:"response"`
}

// body renders f with status in the dialect's format.
func (f fault) body(chargeOver bool, status int) []byte {
	if chargeOver {
		b, _ := json.Marshal(coEnvelope{Code: status, Status: "Error", Message: f.coMessage, Details: f.coDetails})
		return b
	}
	b, _ := json.Marshal(omiseError{Object: "error", Code: f.omiseCode, Message: f.omiseMessage,
		Location: "https://www.omise.co/api-errors#" + strings.ReplaceAll(f.omiseCode, "_", "-")})
	return append(b, '\n')
}

// writeFault answers with f in a handler.
func writeFault(w http.ResponseWriter, chargeOver bool, f fault, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(f.body(chargeOver, status))
}
