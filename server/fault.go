package server

import (
	"net/http"

	"github.com/cardvault/cardvault/chargeoverapi"
	"github.com/cardvault/cardvault/omiseapi"
)

// refusal is the body of the answer with status, in the dialect path belongs
// to, for a request refused outside the dialect's handler: net/http could not
// parse it, its head is too large, or it ran out of time. Each dialect's error
// table holds these answers.
func refusal(path string, status int) []byte {
	if isChargeOver(path) {
		return chargeoverapi.Refusal(status)
	}
	return omiseapi.Refusal(status)
}

// writeRefusal answers r with its dialect's refusal for status.
func writeRefusal(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(refusal(r.URL.Path, status))
}
