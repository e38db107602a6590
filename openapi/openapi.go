// Package openapi holds the OpenAPI 3.1 documents of both dialects (docs/API.md), served unauthenticated at /openapi/omise.json and /openapi/chargeover.json.
package openapi

import (
	_ "embed"
	"net/http"
)

// Omise is the OpenAPI document of the Omise dialect and of cardvault's own
// routes (GET /, /healthz, the browser's /provider page and /js/… scripts).
//
//go:embed omise.json
var Omise []byte

// ChargeOver is the OpenAPI document of the ChargeOver REST v3 dialect and of
// cardvault's own routes.
//
//go:embed chargeover.json
var ChargeOver []byte

// Documents maps each served path to its document.
var Documents = map[string][]byte{
	"/openapi/omise.json":      Omise,
	"/openapi/chargeover.json": ChargeOver,
}

// Serve answers GET and HEAD with doc as application/json.
func Serve(w http.ResponseWriter, r *http.Request, doc []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(doc)
	}
}
