package server

import (
	"net/http"

	"github.com/cardvault/cardvault/internal/httpx"
)

// rootDoc is what GET / answers, without authentication: what this server
// is and where its documentation is. It says nothing about the deployment.
type rootDoc struct {
	Name     string       `json:"name"`
	About    string       `json:"about"`
	Docs     string       `json:"docs"`
	Health   string       `json:"health"`
	Dialects []dialectDoc `json:"dialects"`
}

type dialectDoc struct {
	Name      string   `json:"name"`
	Endpoints []string `json:"endpoints"`
	Auth      string   `json:"auth"`
	Upstream  string   `json:"upstream_docs"`
}

var root = rootDoc{
	Name: "cardvault",
	About: "A self-hosted card vault: card numbers sealed at rest, two existing payment APIs " +
		"(Omise and ChargeOver REST v3) over the same data.",
	Docs:   "docs/API.md in the cardvault source: the wire contract of both dialects",
	Health: "/healthz",
	Dialects: []dialectDoc{
		{Name: "omise", Endpoints: []string{"/tokens", "/customers", "/customers/{id}/cards"},
			Auth:     "HTTP Basic: public key (tokens) or secret key as user name, empty password",
			Upstream: "https://docs.omise.co/ (Tokens, Customers and Cards API)"},
		{Name: "chargeover", Endpoints: []string{"/api/v3/customer", "/api/v3/creditcard"},
			Auth:     "HTTP Basic: public key as user name, secret key as password (or signature-v1)",
			Upstream: "https://developer.chargeover.com/apidocs/rest/ (REST API v3)"},
	},
}

// serveRoot answers GET and HEAD / with rootDoc.
func serveRoot(w http.ResponseWriter, r *http.Request) {
	httpx.SetRoute(r, "root")
	httpx.WriteJSON(w, http.StatusOK, root)
}
