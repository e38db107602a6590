package chargeoverapi

import (
	"strings"
	"testing"

	"github.com/cardvault/cardvault/openapi/openapitest"
)

// TestRoutesInOpenAPI: every route of the route table is an operation of
// openapi/chargeover.json, and every operation of the document under /api/
// is a route.
func TestRoutesInOpenAPI(t *testing.T) {
	_, doc, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, rt := range (&Server{}).routeTable() {
		routes[rt.pattern] = true
		method, path, _ := strings.Cut(rt.pattern, " ")
		if op, tmpl := doc.Operation(method, path); op == nil || tmpl != path {
			t.Errorf("route %s is not in the document (found %q)", rt.pattern, tmpl)
		}
	}
	for path, item := range doc.T.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("the document has %s %s, the route table does not", method, path)
			}
		}
	}
	if len(routes) < 10 {
		t.Errorf("only %d routes", len(routes))
	}
}
