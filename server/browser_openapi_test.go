package server

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/browser"
	"github.com/cardvault/cardvault/openapi/openapitest"
)

// scriptSrc finds the scripts a page loads.
var scriptSrc = regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`)

// TestBrowserPathsInOpenAPI: every path package browser serves (its exported
// paths and every script the provider page loads) is in openapi/omise.json
// with exactly GET and HEAD; every path the document answers with something
// other than JSON, or that package browser serves, is one of them; a real GET
// and HEAD of each through Handler is what the document says (call checks
// status, Content-Type and the declared headers); and a real answer without
// its Content-Security-Policy, Access-Control-Allow-Origin or Cache-Control,
// or with another type, fails that check.
func TestBrowserPathsInOpenAPI(t *testing.T) {
	doc, _, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := mustEnv(t, nil)
	h := Handler(e.v, e.log)

	paths := map[string]bool{browser.ProviderPath: true, browser.CardvaultJSPath: true, browser.EasyXDMPath: true}
	page := call(t, h, "GET", browser.ProviderPath+"?xdm_e=https%3A%2F%2Fshop.example&xdm_c=default1&xdm_p=1", "", "", "", "")
	if page.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", browser.ProviderPath, page.Code)
	}
	base := &url.URL{Path: browser.ProviderPath}
	loaded := 0
	for _, m := range scriptSrc.FindAllStringSubmatch(page.Body.String(), -1) {
		u, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("the provider page loads a script at an unparseable URL %q", m[1])
			continue
		}
		ref := base.ResolveReference(u)
		if ref.Scheme != "" || ref.Host != "" || ref.RawQuery != "" || browser.Integrity(ref.Path) == "" {
			t.Errorf("the provider page loads %q, which package browser does not serve", m[1])
			continue
		}
		paths[ref.Path] = true
		loaded++
	}
	if loaded < 2 {
		t.Errorf("the provider page loads %d scripts, want easyXDM and its own", loaded)
	}

	for p := range paths {
		item := doc.T.Paths.Value(p)
		if item == nil {
			t.Errorf("%s is not in openapi/omise.json", p)
			continue
		}
		var methods []string
		for m := range item.Operations() {
			methods = append(methods, strings.ToUpper(m))
		}
		slices.Sort(methods)
		if !slices.Equal(methods, []string{"GET", "HEAD"}) {
			t.Errorf("%s: the document has methods %v, want GET and HEAD (others belong to the Omise dialect)", p, methods)
		}
		for _, m := range []string{"GET", "HEAD"} {
			if op, tmpl := doc.Operation(m, p); op == nil || tmpl != p {
				t.Errorf("%s %s: the document's operation is %q", m, p, tmpl)
			}
			rec := call(t, h, m, p, "", "", "", "")
			if rec.Code != http.StatusOK || (m == "GET") != (rec.Body.Len() > 0) {
				t.Errorf("%s %s: %d, %d bytes", m, p, rec.Code, rec.Body.Len())
			}
		}
	}

	for p, item := range doc.T.Paths.Map() {
		if browser.Integrity(p) != "" && !paths[p] {
			t.Errorf("%s: package browser serves it, this test did not find it", p)
		}
		for m, op := range item.Operations() {
			for status, r := range op.Responses.Map() {
				for ct := range r.Value.Content {
					if ct != "application/json" && !paths[p] {
						t.Errorf("the document answers %s %s %s with %s, which package browser does not serve", m, p, status, ct)
					}
				}
			}
		}
	}

	// The check can fail: real answers, one header changed.
	for _, c := range []struct {
		path, header, value string
	}{
		{browser.ProviderPath, "Content-Security-Policy", ""},
		{browser.ProviderPath, "Content-Security-Policy", browser.ProviderCSP + "; frame-ancestors 'self'"},
		{browser.ProviderPath, "Cache-Control", ""},
		{browser.ProviderPath, "Content-Type", "application/json"},
		{browser.CardvaultJSPath, "Access-Control-Allow-Origin", ""},
		{browser.CardvaultJSPath, "Access-Control-Allow-Origin", "https://shop.example"},
		{browser.EasyXDMPath, "Cache-Control", "max-age=3600"},
		{browser.EasyXDMPath, "Content-Type", "text/html; charset=utf-8"},
	} {
		for _, m := range []string{"GET", "HEAD"} {
			if m == "HEAD" && c.header == "Content-Type" {
				continue // a HEAD answer has no body to type
			}
			rec := call(t, h, m, c.path, "", "", "", "")
			hdr := rec.Header().Clone()
			if c.value == "" {
				hdr.Del(c.header)
			} else {
				hdr.Set(c.header, c.value)
			}
			if err := openapitest.Check(m, c.path, rec.Code, hdr, rec.Body.Bytes()); err == nil {
				t.Errorf("%s %s with %s %q: the document check passed", m, c.path, c.header, c.value)
			}
		}
	}
}
