package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/browser"
)

// TestBrowserRoutes: the browser's page and scripts are served through
// Handler without a key, with the hygiene headers; the provider page carries
// its CSP and nothing that stops another origin from framing it; other
// methods on those paths belong to the Omise dialect.
func TestBrowserRoutes(t *testing.T) {
	e := mustEnv(t, nil)
	h := Handler(e.v, e.log)
	serve := func(method, target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec
	}
	for _, c := range []struct{ target, ctype string }{
		{"/provider?xdm_e=https%3A%2F%2Fshop.example&xdm_c=default1&xdm_p=1", "text/html; charset=utf-8"},
		{browser.CardvaultJSPath, "text/javascript; charset=utf-8"},
		{browser.EasyXDMPath, "text/javascript; charset=utf-8"},
		{"/js/provider.v1.js", "text/javascript; charset=utf-8"},
	} {
		rec := serve("GET", c.target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != c.ctype || rec.Body.Len() == 0 {
			t.Errorf("GET %s: %d %q, %d bytes", c.target, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
		checkHygiene(t, "GET "+c.target, rec)
		if xfo := rec.Header().Get("X-Frame-Options"); xfo != "" {
			t.Errorf("GET %s: X-Frame-Options %q: no origin could frame the provider", c.target, xfo)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if strings.HasPrefix(c.target, "/provider") {
			if csp != browser.ProviderCSP || strings.Contains(csp, "frame-ancestors") || !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET /provider: Content-Security-Policy %q", csp)
			}
		} else if acao := rec.Header().Get("Access-Control-Allow-Origin"); acao != "*" {
			t.Errorf("GET %s: Access-Control-Allow-Origin %q, want * (integrity checks need CORS)", c.target, acao)
		}
		if head := serve("HEAD", c.target); head.Code != http.StatusOK || head.Body.Len() != 0 ||
			head.Header().Get("Content-Length") != rec.Header().Get("Content-Length") {
			t.Errorf("HEAD %s: %d, %d bytes, Content-Length %q", c.target, head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
		}
	}
	if !strings.Contains(e.logs.String(), `"route":"browser:provider"`) {
		t.Errorf("the access log names no browser:provider route")
	}
	// Other methods and neighbouring paths: the Omise dialect's 401.
	for _, c := range []struct{ method, target string }{
		{"POST", "/provider"}, {"DELETE", browser.CardvaultJSPath}, {"GET", "/js/cardvault.v2.js"}, {"GET", "/provider/x"},
	} {
		rec := serve(c.method, c.target)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"authentication_failure"`) {
			t.Errorf("%s %s: %d %s, want the Omise dialect's 401", c.method, c.target, rec.Code, rec.Body.String())
		}
	}
}
