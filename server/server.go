// Package server puts cardvault's HTTP dialects behind one address: /healthz,
// GET / (what this server is), the browser's /provider page and scripts
// (package browser), /api/… for the ChargeOver dialect and
// everything else for the Omise dialect, with the access log, the request deadline, timeouts and graceful
// shutdown.
package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cardvault/cardvault/browser"
	"github.com/cardvault/cardvault/chargeoverapi"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/omiseapi"
	"github.com/cardvault/cardvault/vault"
)

// RequestTimeout bounds a request: its handler's context (and with it every
// store statement it runs) ends after this long, and the whole request,
// headers and body, must have arrived within it (http.Server.ReadTimeout).
// It is well below writeTimeout, so the answer to a request that ran out of
// time still reaches its client.
const RequestTimeout = 10 * time.Second

// MaxHeaderBytes is the largest request head accepted: the request line and
// every header field, counted as `Name: value` CRLF lines, plus the blank
// line. Past it the answer is 431 in the dialect's format.
const MaxHeaderBytes = 64 << 10

// Handler returns the whole HTTP surface of a vault.
func Handler(v *vault.Vault, log *slog.Logger) http.Handler {
	return handler(v, log, RequestTimeout)
}

func handler(v *vault.Vault, log *slog.Logger, timeout time.Duration) http.Handler {
	log = httpx.RequestLogger(log) // request_id on every line logged with a request's context
	omise := omiseapi.New(v, log)
	chargeover := chargeoverapi.New(v, log)
	health := healthz(v, log)
	// No ServeMux here: it would redirect unclean paths (//, ..) before either
	// dialect authenticates; each dialect answers those itself.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case headSize(r) > MaxHeaderBytes:
			httpx.SetRoute(r, "head too large")
			writeRefusal(w, r, http.StatusRequestHeaderFieldsTooLarge)
		case r.URL.Path == "/healthz":
			health(w, r)
		case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			serveRoot(w, r)
		case serveOpenAPI(w, r):
		case browser.Serve(w, r): // /provider, /js/…: no auth, frameable (docs/BROWSER.md)
		case isChargeOver(r.URL.Path):
			chargeover.ServeHTTP(w, r)
		default:
			omise.ServeHTTP(w, r)
		}
	})
	timed := httpx.Deadline(timeout, root, func(w http.ResponseWriter, r *http.Request) {
		writeRefusal(w, r, http.StatusServiceUnavailable)
	})
	return httpx.Log(log, timed, func(w http.ResponseWriter, r *http.Request) {
		if isChargeOver(r.URL.Path) {
			chargeoverapi.WritePanic(w, r)
			return
		}
		omiseapi.WritePanic(w, r)
	})
}

// isChargeOver reports whether a request path belongs to the ChargeOver dialect.
func isChargeOver(path string) bool { return strings.HasPrefix(path, "/api/") }

// headSize is the size of r's request line and header fields as MaxHeaderBytes
// counts them.
func headSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}
