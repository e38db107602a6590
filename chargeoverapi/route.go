package chargeoverapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
)

// apiPrefix is the part of every ChargeOver path before the object type.
const apiPrefix = "/api/v3/"

// countRef is the {ref} that turns GET into count.
const countRef = "_count"

// target is a request path read as /api/v3/{type}[/{ref}] (API.md §3.3).
// typ and rawRef are the path segments percent-decoded once; ref is set by
// parseRef.
type target struct {
	method  string
	shapeOK bool // /api/v3/ followed by one or two non-empty segments
	typ     string
	hasRef  bool
	rawRef  string
	command string
	ref     cardvault.Ref
}

// parseTarget splits an escaped path into type and ref and names the command.
// It works on the escaped path so that an encoded "/" (%2F) inside an
// external key stays inside its segment; each segment is then decoded once.
// One trailing "/" is ignored.
func parseTarget(method, escapedPath string) target {
	t := target{method: method}
	p := escapedPath
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	rest, ok := strings.CutPrefix(p, apiPrefix)
	segs := strings.Split(rest, "/")
	dec := make([]string, 0, 2)
	for _, seg := range segs {
		d, err := url.PathUnescape(seg)
		if err != nil || d == "" {
			ok = false
		}
		dec = append(dec, d)
	}
	if ok && len(dec) <= 2 {
		t.shapeOK, t.typ = true, dec[0]
		if len(dec) == 2 {
			t.hasRef, t.rawRef = true, dec[1]
		}
	}
	t.command = command(method, t.hasRef, t.rawRef)
	return t
}

// key returns the route table key of the target: an unusable path matches
// no route.
func (t *target) key() routeKey {
	if !t.shapeOK {
		return routeKey{}
	}
	return routeKey{t.typ, t.command, t.hasRef}
}

// command names what a method does to a path shape (the table of §3.3).
// HEAD is GET without a body; other methods are named after themselves and
// are never supported.
func command(method string, hasRef bool, ref string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case !hasRef:
			return "list"
		case ref == countRef:
			return "count"
		}
		return "get"
	case http.MethodPost:
		if hasRef {
			return "action"
		}
		return "create"
	case http.MethodPut:
		return "modify"
	case http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(method)
}

// parseRef reads rawRef as a positive integer id (at most int64),
// token:{token} or external_key:{key}, each with a non-empty value of
// storable text (no stored token or key holds NUL or invalid UTF-8).
func (t *target) parseRef() bool {
	s := t.rawRef
	if !httpx.StorableText(s) {
		return false
	}
	if v, ok := strings.CutPrefix(s, "token:"); ok && v != "" {
		t.ref = cardvault.Ref{Token: v}
		return true
	}
	if v, ok := strings.CutPrefix(s, "external_key:"); ok && v != "" {
		t.ref = cardvault.Ref{ExternalKey: v}
		return true
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return false
	}
	t.ref = cardvault.Ref{Seq: n}
	return true
}

// signature renders the command as the routing messages show it, e.g.
// "list(creditcards, )", with client text passed through the echo rule.
func (t *target) signature() string {
	return echo(t.command) + "(" + echo(t.typ) + ", " + echo(t.rawRef) + ")"
}

// pattern is the access-log route of a request that matched no route. It
// names only supported types and known methods, never client text.
func (t *target) pattern() string {
	if !t.shapeOK {
		return "unsupported path"
	}
	m := t.method
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions:
	default:
		m = "OTHER"
	}
	typ := t.typ
	if objectKinds[typ] == "" {
		typ = "{type}"
	}
	p := m + " " + apiPrefix + typ
	if t.hasRef {
		p += "/{ref}"
	}
	return p
}
