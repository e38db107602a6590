package openapitest

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/browser"
	"github.com/cardvault/cardvault/openapi"
)

func TestDocumentsLoadAsOpenAPI31(t *testing.T) {
	if _, _, err := Load(); err != nil {
		t.Fatal(err)
	}
}

// TestEveryObjectIsClosed: kin-openapi lets fields no schema names through
// unless additionalProperties is false, so every object schema of a response
// says so, except the free-form ones listed here.
func TestEveryObjectIsClosed(t *testing.T) {
	open := map[string][]string{
		"omise": {"/components/schemas/Customer/properties/metadata",
			"/paths/~1openapi~1chargeover.json/get/responses/200/content/application~1json/schema",
			"/paths/~1openapi~1omise.json/get/responses/200/content/application~1json/schema"},
		"chargeover": {"/paths/~1openapi~1chargeover.json/get/responses/200/content/application~1json/schema",
			"/paths/~1openapi~1omise.json/get/responses/200/content/application~1json/schema"},
	}
	for name, doc := range map[string][]byte{"omise": openapi.Omise, "chargeover": openapi.ChargeOver} {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			t.Fatal(err)
		}
		var got []string
		objects := 0
		var walk func(ptr string, v any)
		walk = func(ptr string, v any) {
			switch m := v.(type) {
			case map[string]any:
				if strings.HasSuffix(ptr, "/requestBody") {
					return // requests are not validated
				}
				if m["type"] == "object" {
					objects++
					switch ap := m["additionalProperties"].(type) {
					case bool:
						if ap {
							got = append(got, ptr)
						}
					case map[string]any: // a typed map (ChargeOver details): closed to other types
					default:
						got = append(got, ptr+" (no additionalProperties)")
					}
				}
				for k, c := range m {
					walk(ptr+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), c)
				}
			case []any:
				for _, c := range m {
					walk(ptr+"/[]", c)
				}
			}
		}
		walk("", v)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(open[name], "\n") {
			t.Errorf("%s: open object schemas:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(open[name], "\n"))
		}
		if objects < 10 {
			t.Errorf("%s: only %d object schemas seen", name, objects)
		}
	}
}

const omiseNotFound = `{"object":"error","location":"https://www.omise.co/api-errors#not-found","code":"not_found","message":"customer x was not found"}`

const token = `{"object":"token","id":"tokn_test_0mwq95bdc8ncd11rl2z","livemode":false,"location":"/tokens/tokn_test_0mwq95bdc8ncd11rl2z","used":false,
"charge_status":"unknown","created_at":"2026-11-21T10:15:30Z","card":{"object":"card","id":"card_test_0mwq95bdc8ncd11rl2z","livemode":false,
"location":null,"deleted":false,"street1":null,"street2":null,"city":null,"state":null,"phone_number":null,"postal_code":null,
"country":"us","financing":"credit","bank":"","brand":"Visa","fingerprint":"f","first_digits":null,"last_digits":"4242",
"name":"A","expiration_month":12,"expiration_year":2030,"security_code_check":true,"tokenization_method":null,
"chargeover_id":null,"created_at":"2026-11-21T10:15:30Z"%s}}`

const coCount = `{"code":200,"status":"OK","message":"","details":{},"response":%s%s}`

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// TestCheckFindsDrift: what the suites rely on. A field the document does not
// name, a missing field, a wrong type, an undocumented status or a missing
// Retry-After fails; the error never holds a card-number-like value.
func TestCheckFindsDrift(t *testing.T) {
	retry := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}}
	cases := []struct {
		name, method, target string
		status               int
		header               http.Header
		body                 string
		ok                   bool
	}{
		{"valid token", "GET", "/tokens/tokn_test_0mwq95bdc8ncd11rl2z", 200, jsonHeader, strings.Replace(token, "%s", "", 1), true},
		{"unnamed field nested in the card", "GET", "/tokens/tokn_test_0mwq95bdc8ncd11rl2z", 200, jsonHeader, strings.Replace(token, "%s", `,"number":"x"`, 1), false},
		{"malformed id", "GET", "/tokens/tokn_test_1", 200, jsonHeader, strings.Replace(strings.Replace(token, "%s", "", 1), `"id":"tokn_test_0mwq95bdc8ncd11rl2z"`, `"id":"tokn_1"`, 1), false},
		{"valid 404", "GET", "/customers/x", 404, jsonHeader, omiseNotFound, true},
		{"trailing slash", "GET", "/customers/x/", 404, jsonHeader, omiseNotFound, true},
		{"unnamed error field", "GET", "/customers/x", 404, jsonHeader, strings.Replace(omiseNotFound, "{", `{"extra":1,`, 1), false},
		{"missing error field", "GET", "/customers/x", 404, jsonHeader, `{"object":"error","code":"not_found","message":"m"}`, false},
		{"undocumented status", "GET", "/customers/x", 418, jsonHeader, omiseNotFound, false},
		{"429 with Retry-After", "POST", "/tokens", 429, retry, omiseNotFound, true},
		{"429 without Retry-After", "POST", "/tokens", 429, jsonHeader, omiseNotFound, false},
		{"unrouted 404", "PUT", "/nowhere", 404, jsonHeader, omiseNotFound, true},
		{"unrouted 200", "PUT", "/nowhere", 200, jsonHeader, omiseNotFound, false},
		{"not JSON", "GET", "/customers/x", 404, http.Header{"Content-Type": {"text/plain"}}, omiseNotFound, false},
		{"ChargeOver count", "GET", "/api/v3/customer/_count?where=x", 200, jsonHeader, strings.Replace(coCount, "%s%s", "3", 1), true},
		{"ChargeOver count, escaped path", "GET", "/%61pi/v3/customer/_count", 200, jsonHeader, strings.Replace(coCount, "%s%s", "3", 1), true},
		{"ChargeOver count not a number", "GET", "/api/v3/customer/_count", 200, jsonHeader, strings.Replace(coCount, "%s%s", `"3"`, 1), false},
		{"ChargeOver unnamed envelope field", "GET", "/api/v3/customer/_count", 200, jsonHeader, strings.Replace(coCount, "%s%s", `3,"x":1`, 1), false},
		{"ChargeOver Omise body", "GET", "/api/v3/customer/_count", 404, jsonHeader, omiseNotFound, false},
		{"card number in a wrong value", "GET", "/customers/x", 404, jsonHeader, strings.Replace(omiseNotFound, `"not_found"`, `4242424242424242`, 1), false},
	}
	for _, c := range cases {
		err := Check(c.method, c.target, c.status, c.header, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.name, err, c.ok)
		}
		if err != nil && strings.Contains(err.Error(), "4242424242") {
			t.Errorf("%s: error holds a card number: %v", c.name, err)
		}
	}
}

// browserHeader is what the server sends with a browser page (ctype
// text/html) or script, less the names in drop and with the values in set.
func browserHeader(ctype string, drop []string, set map[string]string) http.Header {
	h := http.Header{"Content-Type": {ctype}, "Cache-Control": {"no-store"}, "X-Content-Type-Options": {"nosniff"},
		"Referrer-Policy": {"no-referrer"}}
	if strings.HasPrefix(ctype, "text/html") {
		h.Set("Content-Security-Policy", browser.ProviderCSP)
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	for _, name := range drop {
		h.Del(name)
	}
	for name, v := range set {
		h.Set(name, v)
	}
	return h
}

// TestCheckBrowserPaths: the browser's page and scripts (not JSON) are
// checked by status, Content-Type and the headers the document declares: a
// missing or changed Content-Security-Policy, Access-Control-Allow-Origin or
// Cache-Control fails, as does another type or an empty body.
func TestCheckBrowserPaths(t *testing.T) {
	const html, js = "text/html; charset=utf-8", "text/javascript; charset=utf-8"
	page, script := "<!doctype html><title>p</title>", "window.x = 1;\n"
	cases := []struct {
		name, method, target string
		status               int
		header               http.Header
		body                 string
		ok                   bool
	}{
		{"page", "GET", "/provider", 200, browserHeader(html, nil, nil), page, true},
		{"page with the easyXDM query", "GET", "/provider?xdm_e=https%3A%2F%2Fshop.example&xdm_c=default1&xdm_p=1", 200, browserHeader(html, nil, nil), page, true},
		{"page HEAD", "HEAD", "/provider", 200, browserHeader(html, nil, nil), "", true},
		{"page without CSP", "GET", "/provider", 200, browserHeader(html, []string{"Content-Security-Policy"}, nil), page, false},
		{"page HEAD without CSP", "HEAD", "/provider", 200, browserHeader(html, []string{"Content-Security-Policy"}, nil), "", false},
		{"page with frame-ancestors", "GET", "/provider", 200, browserHeader(html, nil, map[string]string{"Content-Security-Policy": browser.ProviderCSP + "; frame-ancestors 'self'"}), page, false},
		{"page without Cache-Control", "GET", "/provider", 200, browserHeader(html, []string{"Cache-Control"}, nil), page, false},
		{"page cached", "GET", "/provider", 200, browserHeader(html, nil, map[string]string{"Cache-Control": "max-age=60"}), page, false},
		{"page as JSON", "GET", "/provider", 200, browserHeader("application/json", nil, map[string]string{"Content-Security-Policy": browser.ProviderCSP}), `{}`, false},
		{"page as a script", "GET", "/provider", 200, browserHeader(js, nil, map[string]string{"Content-Security-Policy": browser.ProviderCSP}), page, false},
		{"page without Content-Type", "GET", "/provider", 200, browserHeader(html, []string{"Content-Type"}, nil), page, false},
		{"page empty", "GET", "/provider", 200, browserHeader(html, nil, nil), "", false},
		{"page undocumented status", "GET", "/provider", 404, browserHeader(html, nil, nil), page, false},
		{"page 431 in the Omise format", "GET", "/provider", 431, jsonHeader, omiseNotFound, true},
		{"script", "GET", "/js/cardvault.v1.js", 200, browserHeader(js, nil, nil), script, true},
		{"script HEAD", "HEAD", "/js/easyxdm-2.4.19.js", 200, browserHeader(js, nil, nil), "", true},
		{"provider script", "GET", "/js/provider.v1.js", 200, browserHeader(js, nil, nil), script, true},
		{"script without CORS", "GET", "/js/cardvault.v1.js", 200, browserHeader(js, []string{"Access-Control-Allow-Origin"}, nil), script, false},
		{"script HEAD without CORS", "HEAD", "/js/cardvault.v1.js", 200, browserHeader(js, []string{"Access-Control-Allow-Origin"}, nil), "", false},
		{"script CORS for one origin", "GET", "/js/cardvault.v1.js", 200, browserHeader(js, nil, map[string]string{"Access-Control-Allow-Origin": "https://shop.example"}), script, false},
		{"script without CORP", "GET", "/js/easyxdm-2.4.19.js", 200, browserHeader(js, []string{"Cross-Origin-Resource-Policy"}, nil), script, false},
		{"script without Cache-Control", "GET", "/js/provider.v1.js", 200, browserHeader(js, []string{"Cache-Control"}, nil), script, false},
		{"script as HTML", "GET", "/js/cardvault.v1.js", 200, browserHeader(html, nil, map[string]string{"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}), script, false},
		{"script as text/plain", "GET", "/js/cardvault.v1.js", 200, browserHeader(js, nil, map[string]string{"Content-Type": "text/plain"}), script, false},
		{"script POST (Omise dialect)", "POST", "/js/cardvault.v1.js", 200, browserHeader(js, nil, nil), script, false},
		{"another script version", "GET", "/js/cardvault.v2.js", 200, browserHeader(js, nil, nil), script, false},
	}
	for _, c := range cases {
		err := Check(c.method, c.target, c.status, c.header, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestNotInTheServer: kin-openapi is for tests only.
func TestNotInTheServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/cardvault/cardvault/cmd/cardvault").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	if !strings.Contains(string(out), "github.com/cardvault/cardvault/server") {
		t.Fatalf("go list -deps does not list the server:\n%s", out)
	}
	if strings.Contains(string(out), "getkin") {
		t.Errorf("cmd/cardvault depends on kin-openapi")
	}
}
