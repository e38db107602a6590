package omiseapi

import (
	"strings"
	"testing"

	"github.com/cardvault/cardvault/browser"
	"github.com/cardvault/cardvault/openapi/openapitest"
)

// TestRoutesInOpenAPI: every route of the route table is an operation of
// openapi/omise.json, and every operation of the document outside
// cardvault's own routes (/, /healthz, /openapi/…, the paths package browser
// serves: server's TestBrowserPathsInOpenAPI) is a route.
func TestRoutesInOpenAPI(t *testing.T) {
	doc, _, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, rt := range (&Server{}).routes() {
		routes[rt.pattern] = true
		method, path, _ := strings.Cut(rt.pattern, " ")
		if op, tmpl := doc.Operation(method, path); op == nil || tmpl != path {
			t.Errorf("route %s is not in the document (found %q)", rt.pattern, tmpl)
		}
	}
	for path, item := range doc.T.Paths.Map() {
		if path == "/" || path == "/healthz" || strings.HasPrefix(path, "/openapi/") || browser.Integrity(path) != "" {
			continue
		}
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("the document has %s %s, the route table does not", method, path)
			}
		}
	}
	if len(routes) < 11 {
		t.Errorf("only %d routes", len(routes))
	}
}
