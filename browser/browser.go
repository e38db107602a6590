// Package browser serves what a shopper's browser loads from cardvault
// (docs/BROWSER.md): the /provider page that Omise.js and cardvault.js open in
// a hidden frame and tokenize through (an easyXDM RPC endpoint that calls
// POST /tokens of its own origin), cardvault.js, and the easyXDM script the
// provider runs. None of it needs a key; every file is embedded.
package browser

import (
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/cardvault/cardvault/internal/httpx"
)

// The paths served. The scripts' paths carry their version: a file at one
// path changes only with a cardvault release, and its integrity hash with it.
const (
	ProviderPath    = "/provider"
	CardvaultJSPath = "/js/cardvault.v1.js"
	EasyXDMPath     = "/js/easyxdm-2.4.19.js"
	providerJSPath  = "/js/provider.v1.js"
)

// EasyXDMVendored is the npm release the embedded easyXDM comes from, file
// lib/easyXDM.js unchanged (its CommonJS build: it defines no global, so it
// is served wrapped, see easyXDMWrapped).
const EasyXDMVendored = "easyxdm@2.4.19-pre.2"

// ProviderCSP is the Content-Security-Policy of the provider page: its own
// scripts and its own origin's POST /tokens, nothing else. It has no
// frame-ancestors: like Omise's vault, any page may frame the provider (the
// public key arrives in the RPC call; POST /tokens is as open).
const ProviderCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'"

//go:embed static
var static embed.FS

// asset is one file served, its headers decided once.
type asset struct {
	route  string // for the access log
	ctype  string
	body   []byte
	page   bool // an HTML page: gets ProviderCSP
	script bool // a script any origin may load, with an integrity check (CORS)
}

var assets = map[string]*asset{
	ProviderPath:    {route: "browser:provider", ctype: "text/html; charset=utf-8", body: mustRead("static/provider.html"), page: true},
	providerJSPath:  {route: "browser:provider.js", ctype: jsType, body: mustRead("static/js/provider.v1.js"), script: true},
	CardvaultJSPath: {route: "browser:cardvault.js", ctype: jsType, body: mustRead("static/js/cardvault.v1.js"), script: true},
	EasyXDMPath:     {route: "browser:easyxdm.js", ctype: jsType, body: easyXDMWrapped(mustRead(easyXDMFile)), script: true},
}

const jsType = "text/javascript; charset=utf-8"

// easyXDMFile is the vendored file, as npm ships it.
const easyXDMFile = "static/easyxdm/easyXDM.js"

func mustRead(name string) []byte {
	b, err := static.ReadFile(name)
	if err != nil {
		panic("browser: embedded file missing: " + name)
	}
	return b
}

// easyXDMWrapped makes the npm build, which ends in module.exports =
// easyXDM, define window.easyXDM as the library's own browser build does.
func easyXDMWrapped(lib []byte) []byte {
	const head = "/* easyXDM 2.4.19 (npm " + EasyXDMVendored + ", lib/easyXDM.js unchanged; MIT licence in the file " +
		"and in cardvault's NOTICE), wrapped by cardvault to define window.easyXDM. */\n" +
		"(function () {\nvar module = { exports: {} };\n"
	const tail = "\nwindow.easyXDM = module.exports;\n})();\n"
	out := make([]byte, 0, len(head)+len(lib)+len(tail))
	out = append(out, head...)
	out = append(out, lib...)
	return append(out, tail...)
}

// Serve answers GET and HEAD of the browser paths, without authentication,
// and reports whether r was such a request. Other methods on these paths
// belong to the Omise dialect, as on /.
func Serve(w http.ResponseWriter, r *http.Request) bool {
	a, ok := assets[r.URL.Path]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	httpx.SetRoute(r, a.route)
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	h.Set("Referrer-Policy", "no-referrer")
	if a.page {
		h.Set("Content-Security-Policy", ProviderCSP)
	}
	if a.script {
		// A shop loads cardvault.js with integrity="…" crossorigin="anonymous",
		// which needs CORS; the file is public and no credentials are allowed.
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(a.body)
	}
	return true
}

// Integrity returns the Subresource Integrity value (sha384-…) of the file
// served at path, or "" when nothing is served there.
func Integrity(path string) string {
	a, ok := assets[path]
	if !ok {
		return ""
	}
	sum := sha512.Sum384(a.body)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}
