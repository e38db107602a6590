// Package omiseapi serves the Omise dialect of cardvault: the Token, Customer
// and Card APIs (API.md §2). It owns its JSON shapes, its request decoding
// rules and its error table; the business operations are the vault's.
package omiseapi

import (
	"bytes"
	"context"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
	"github.com/cardvault/cardvault/vault"
)

// Server is the Omise-dialect HTTP handler.
type Server struct {
	v   *vault.Vault
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the Omise-dialect handler over a vault.
func New(v *vault.Vault, log *slog.Logger) *Server {
	s := &Server{v: v, log: httpx.RequestLogger(log), mux: http.NewServeMux()}
	for _, rt := range s.routes() {
		s.mux.HandleFunc(rt.pattern, rt.handle)
	}
	return s
}

type route struct {
	pattern string
	handle  http.HandlerFunc
}

func (s *Server) routes() []route {
	tok := ids{{"id", cardvault.PrefixToken, "token"}}
	cust := ids{{"id", cardvault.PrefixCustomer, "customer"}}
	card := ids{{"id", cardvault.PrefixCustomer, "customer"}, {"card", cardvault.PrefixCard, "card"}}
	return []route{
		{"POST /tokens", s.createToken},
		{"GET /tokens/{id}", s.checked(tok, s.getToken)},
		{"POST /customers", s.createCustomer},
		{"GET /customers", s.listCustomers},
		{"GET /customers/{id}", s.checked(cust, s.getCustomer)},
		{"PATCH /customers/{id}", s.updateCustomer},
		{"DELETE /customers/{id}", s.checked(cust, s.deleteCustomer)},
		{"GET /customers/{id}/cards", s.listCards},
		{"GET /customers/{id}/cards/{card}", s.checked(card, s.getCard)},
		{"PATCH /customers/{id}/cards/{card}", s.updateCard},
		{"DELETE /customers/{id}/cards/{card}", s.checked(card, s.deleteCard)},
	}
}

// ids names the path values of a route that are object ids: the wildcard,
// the id prefix and the object kind for the 404 message.
type ids []struct{ wildcard, prefix, kind string }

// checked answers 404 for a path id that cannot name an object of the
// request's mode (wrong prefix, wrong mode, malformed) without asking the
// store; wildcards are checked in order, so an unknown customer comes first.
// Only routes that decode no parameters use it: elsewhere body and list
// parameter errors (400) must come before lookups (404), as §2.1 orders them.
func (s *Server) checked(want ids, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, id := range want {
			v := r.PathValue(id.wildcard)
			if m, ok := cardvault.ParseID(id.prefix, v); !ok || m != scope(r).Mode {
				s.writeError(w, r, cardvault.NotFound(id.kind, v))
				return
			}
		}
		h(w, r)
	}
}

type keyCtx struct{}

// ServeHTTP authenticates, then routes. Authentication comes before routing
// errors: an unauthenticated request to an unknown path gets 401, not 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = p[:len(p)-1]
		r.URL.RawPath = ""
	}
	// The route is known before authentication, so that the log names it
	// for refused requests (401, 429) too.
	_, pattern := s.mux.Handler(r)
	// A path with text no store holds (NUL, invalid UTF-8) cannot name an object.
	routed := pattern != "" && r.Method != http.MethodHead && path.Clean(r.URL.Path) == r.URL.Path && r.URL.RawPath == "" &&
		httpx.StorableText(r.URL.Path)
	if routed {
		httpx.SetRoute(r, "omise:"+pattern)
	} else {
		httpx.SetRoute(r, "omise:unmatched")
	}
	r = r.WithContext(vault.WithCaller(r.Context(), vault.Caller{RequestID: httpx.InfoFrom(r.Context()).ID,
		ClientAddr: httpx.ClientIP(r)}))
	key, err := s.authenticate(r)
	if err == nil {
		err = s.allow(r, key)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	r = r.WithContext(vault.WithKey(context.WithValue(r.Context(), keyCtx{}, key), key))
	if !routed {
		s.writeError(w, r, errPathNotFound)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authenticate checks the Basic credentials: the key is the user name, the
// password is ignored. /tokens needs a public key, everything else a secret key.
func (s *Server) authenticate(r *http.Request) (*cardvault.APIKey, error) {
	user, _, ok := r.BasicAuth()
	if !ok {
		s.v.AuthFailed(r.Context(), nil, vault.AuthNoKey)
		return nil, errAuth
	}
	rec, err := s.v.Authenticate(r.Context(), cardvault.NewSecret(user))
	if err != nil {
		if cardvault.ErrorCode(err) == cardvault.EUnauthorized {
			s.v.AuthFailed(r.Context(), nil, vault.AuthUnknownKey)
			return nil, errAuth
		}
		return nil, err
	}
	want := cardvault.SecretKey
	if publicRoute(r) {
		want = cardvault.PublicKey
	}
	if rec.Kind != want {
		s.v.AuthFailed(r.Context(), rec, vault.AuthWrongKind)
		return nil, errAuth
	}
	return rec, nil
}

// publicRoute reports whether r is for the public-key routes (/tokens…).
func publicRoute(r *http.Request) bool {
	p := r.URL.Path
	return p == "/tokens" || strings.HasPrefix(p, "/tokens/")
}

// allow charges an authenticated request to its rate-limit buckets before
// any body is read: tokenization from browsers to the public key's browser
// bucket and the client address's, everything else to the secret key's
// server bucket.
func (s *Server) allow(r *http.Request, key *cardvault.APIKey) error {
	if key.Kind == cardvault.PublicKey {
		return s.v.Allow(vault.Browser, key, httpx.ClientIP(r))
	}
	return s.v.Allow(vault.Server, key, "")
}

// scope returns the account and mode of the authenticated key.
func scope(r *http.Request) cardvault.Scope {
	return r.Context().Value(keyCtx{}).(*cardvault.APIKey).Scope()
}

// body decodes a request body by its Content-Type: form, JSON (any +json), or,
// with no Content-Type, JSON if it starts with '{' and form otherwise. Reading
// and decoding take turns at the process's body gates.
func body(r *http.Request) (param.Params, error) {
	b, done, err := httpx.ReadForDecoding(r)
	if err != nil {
		return nil, err
	}
	defer done()
	if len(bytes.TrimSpace(b)) == 0 {
		return param.Params{}, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case ct == "" && bytes.TrimLeft(b, " \t\r\n")[0] == '{', mt == "application/json", strings.HasSuffix(mt, "+json"):
		p, err := param.ParseJSON(b)
		if err == param.ErrNotJSON {
			return nil, errNotJSON
		}
		return p, err
	case ct == "", mt == "application/x-www-form-urlencoded":
		p, err := param.ParseForm(string(b))
		if err == param.ErrMalformed {
			return nil, badRequest("request body is malformed")
		}
		return p, err
	}
	return nil, errContentType
}

// listParams reads parameters from the query string and the body; the query wins.
func listParams(r *http.Request) (param.Params, error) {
	b, err := body(r)
	if err != nil {
		return nil, err
	}
	q, err := param.ParseQuery(r.URL.RawQuery)
	if err == param.ErrMalformed {
		return nil, badRequest("query string is malformed")
	}
	if err != nil {
		return nil, err
	}
	return param.Merge(q, b), nil
}

// legacyShape reports whether the client pinned an Omise-Version before
// 2019-05-29, which names the creation time "created" instead of "created_at".
func legacyShape(r *http.Request) bool {
	v := r.Header.Get("Omise-Version")
	t, err := time.Parse("2006-01-02", v)
	return err == nil && v < "2019-05-29" && !t.IsZero()
}

func (s *Server) ok(w http.ResponseWriter, v any) { httpx.WriteJSON(w, http.StatusOK, v) }

// text reads an optional free-text parameter: trimmed, "" when absent, at most 255 chars,
// storable (valid UTF-8 without NUL).
func text(p param.Params, key, wire string) (string, error) {
	v, st := p.String(key)
	if st == param.Invalid || !httpx.StorableText(v) {
		return "", badRequest(wire + " is invalid")
	}
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > 255 {
		return "", badRequest(wire + " is too long")
	}
	return v, nil
}

func intInput(p param.Params, key string) cardvault.IntInput {
	n, st := p.Int(key)
	return cardvault.IntInput{N: n, Given: st != param.Absent, Invalid: st == param.Invalid}
}

// scalar rejects an object, array or boolean where a scalar is expected.
func scalar(p param.Params, key, wire string) error {
	switch v, _ := p.Raw(key); v.(type) {
	case param.Params, []any, map[string]any, bool:
		return badRequest(wire + " is invalid")
	}
	return nil
}
