// Package chargeoverapi serves the ChargeOver REST v3 dialect of cardvault:
// /api/v3/creditcard and /api/v3/customer (API.md §3). It owns its envelope,
// its authentication (Basic key pair or signature-v1), its routing messages,
// its JSON shapes and its error table; the business operations are the vault's.
package chargeoverapi

import (
	"log/slog"
	"net/http"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/vault"
)

// Server is the ChargeOver-dialect HTTP handler, mounted at /api/.
type Server struct {
	v      *vault.Vault
	log    *slog.Logger
	routes map[routeKey]route
}

// New returns the ChargeOver-dialect handler over a vault.
func New(v *vault.Vault, log *slog.Logger) *Server {
	s := &Server{v: v, log: httpx.RequestLogger(log), routes: map[routeKey]route{}}
	for _, rt := range s.routeTable() {
		s.routes[rt.routeKey] = rt
	}
	return s
}

// routeKey selects a handler: a supported object type, a command of §3.3
// and whether the path has a {ref} (DELETE is "delete" with or without one,
// but only the form with a ref is supported).
type routeKey struct {
	typ, command string
	hasRef       bool
}

// route is one row of the route table. pattern is what the access log shows.
type route struct {
	routeKey
	pattern string
	handle  func(http.ResponseWriter, *http.Request, *call)
}

// routeTable lists every supported (type, command) pair. A supported type
// whose command is missing here answers "The command requested is not supported".
func (s *Server) routeTable() []route {
	return []route{
		{routeKey{"creditcard", "list", false}, "GET /api/v3/creditcard", s.listCards},
		{routeKey{"creditcard", "get", true}, "GET /api/v3/creditcard/{ref}", s.getCard},
		{routeKey{"creditcard", "count", true}, "GET /api/v3/creditcard/_count", s.countCards},
		{routeKey{"creditcard", "create", false}, "POST /api/v3/creditcard", s.createCard},
		{routeKey{"creditcard", "delete", true}, "DELETE /api/v3/creditcard/{ref}", s.deleteCard},
		{routeKey{"customer", "list", false}, "GET /api/v3/customer", s.listCustomers},
		{routeKey{"customer", "get", true}, "GET /api/v3/customer/{ref}", s.getCustomer},
		{routeKey{"customer", "count", true}, "GET /api/v3/customer/_count", s.countCustomers},
		{routeKey{"customer", "create", false}, "POST /api/v3/customer", s.createCustomer},
		{routeKey{"customer", "delete", true}, "DELETE /api/v3/customer/{ref}", s.deleteCustomer},
	}
}

// objectKinds maps the supported object types to the cardvault error Kind of
// their objects, which decides whether ENotFound is a 404 (§3.8).
var objectKinds = map[string]string{"creditcard": "card", "customer": "customer"}

// call is what a handler needs besides the request: the authenticated scope,
// the object reference from the path and, after signature-v1, the body that
// was already read to check the signature.
type call struct {
	scope    cardvault.Scope
	key      *cardvault.APIKey // the key the call acts as (the audit trail's actor)
	target   target
	body     []byte
	bodyRead bool
	leave    func() // gives the body gates' turns back; nil before the body is read
}

// readBody returns the request body, reading it at most once. The body is
// read with turns at the process's body gates, which the call keeps until
// done is called (after decoding).
func (c *call) readBody(r *http.Request) ([]byte, error) {
	if c.bodyRead {
		return c.body, nil
	}
	b, leave, err := httpx.ReadForDecoding(r)
	if err != nil {
		return nil, err
	}
	c.body, c.bodyRead, c.leave = b, true, leave
	return b, nil
}

// done gives the call's turns at the body gates back, if it holds any.
func (c *call) done() {
	if c != nil && c.leave != nil {
		c.leave()
	}
}

// ServeHTTP authenticates, then routes (API.md §1.3: authentication comes
// before routing errors, body parsing and lookups).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := parseTarget(r.Method, r.URL.EscapedPath())
	rt, routed := s.routes[t.key()]
	if routed {
		httpx.SetRoute(r, "chargeover:"+rt.pattern)
	} else {
		httpx.SetRoute(r, "chargeover:"+t.pattern())
	}
	r = r.WithContext(vault.WithCaller(r.Context(), vault.Caller{RequestID: httpx.InfoFrom(r.Context()).ID,
		ClientAddr: httpx.ClientIP(r)}))
	c, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, "", err)
		return
	}
	defer c.done()
	r = r.WithContext(vault.WithKey(r.Context(), c.key))
	if err := s.check(&t, routed); err != nil {
		s.writeError(w, r, "", err)
		return
	}
	c.target = t
	rt.handle(w, r, c)
}

// check applies the routing checks of §3.3 in order: path shape, type,
// command, then the form of {ref}.
func (s *Server) check(t *target, routed bool) error {
	switch {
	case !t.shapeOK:
		return errPath
	case objectKinds[t.typ] == "":
		return errType(t)
	case !routed:
		return errCommand(t)
	case t.hasRef && t.command != "count" && !t.parseRef():
		return errPath
	}
	return nil
}
