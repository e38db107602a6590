package server

import (
	"net/http"

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/openapi"
)

// serveOpenAPI answers GET and HEAD of /openapi/omise.json and
// /openapi/chargeover.json, without authentication, with the embedded
// document; it reports whether r was such a request. Other methods belong to
// the Omise dialect, as on /.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) bool {
	doc, ok := openapi.Documents[r.URL.Path]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	httpx.SetRoute(r, "openapi")
	openapi.Serve(w, r, doc)
	return true
}
