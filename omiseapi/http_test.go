package omiseapi_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAuthentication covers §1.3 and the 401 row of §2.13: the key kind must
// match the path, and authentication comes before everything else.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.MustToken(t, "4242424242424242")
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	basic := func(user, pass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
	}
	unknownSecret := "skey_test_" + strings.Repeat("0", 32)
	tests := []struct {
		name, method, path string
		hdr                http.Header
		ct, body           string
	}{
		{"no header on POST /tokens", "POST", "/tokens", nil, ctForm, cardForm()},
		{"no header on GET /tokens/{id}", "GET", "/tokens/" + tok, nil, "", ""},
		{"no header on GET /customers", "GET", "/customers", nil, "", ""},
		{"no header on unknown path", "GET", "/nope", nil, "", ""},
		{"no header on PUT /customers", "PUT", "/customers", nil, ctJSON, `{`},
		{"no header on POST cards", "POST", "/customers/" + cust + "/cards", nil, "", ""},
		{"secret key on POST /tokens", "POST", "/tokens", basic(e.SK, ""), ctForm, cardForm()},
		{"secret key on GET /tokens/{id}", "GET", "/tokens/" + tok, basic(e.SK, ""), "", ""},
		{"secret key on /tokens/ with slash", "POST", "/tokens/", basic(e.SK, ""), ctForm, cardForm()},
		{"live secret key on POST /tokens", "POST", "/tokens", basic(e.LSK, ""), ctForm, cardForm()},
		{"public key on GET /customers", "GET", "/customers", basic(e.PK, ""), "", ""},
		{"public key on POST /customers", "POST", "/customers", basic(e.PK, ""), ctForm, "email=a"},
		{"public key on GET /customers/{id}", "GET", "/customers/" + cust, basic(e.PK, ""), "", ""},
		{"public key on DELETE /customers/{id}", "DELETE", "/customers/" + cust, basic(e.PK, ""), "", ""},
		{"live public key on /customers", "GET", "/customers", basic(e.LPK, ""), "", ""},
		{"public key on unknown path", "GET", "/nope", basic(e.PK, ""), "", ""},
		{"unknown well-formed key", "GET", "/customers", basic(unknownSecret, ""), "", ""},
		{"unknown key on unknown path", "GET", "/nope", basic(unknownSecret, ""), "", ""},
		{"malformed key", "GET", "/customers", basic("hello", ""), "", ""},
		{"key with a suffix", "GET", "/customers", basic(e.SK+"x", ""), "", ""},
		{"key in upper case", "GET", "/customers", basic(strings.ToUpper(e.SK), ""), "", ""},
		{"key as password", "GET", "/customers", basic("", e.SK), "", ""},
		{"malformed basic header", "GET", "/customers", http.Header{"Authorization": {"Basic !!!"}}, "", ""},
		{"bearer", "GET", "/customers", http.Header{"Authorization": {"Bearer " + e.SK}}, "", ""},
		{"empty header", "GET", "/customers", http.Header{"Authorization": {""}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.doH(t, tc.method, tc.path, "", tc.ct, tc.body, tc.hdr)
			wantError(t, r.Status, r.Body, 401, "authentication_failure", "authentication failed")
		})
	}
	// The password is ignored.
	if r := e.doH(t, "GET", "/customers", "", "", "", basic(e.SK, "anything")); r.Status != 200 {
		t.Errorf("secret key with a password: status %d", r.Status)
	}
	if r := e.doH(t, "POST", "/tokens", "", ctForm, cardForm(), basic(e.PK, "x")); r.Status != 200 {
		t.Errorf("public key with a password: status %d", r.Status)
	}
}

// TestRouting covers unknown paths and methods (§2.2), the trailing slash
// (§1.1) and 404 before body decoding (§2.1).
func TestRouting(t *testing.T) {
	f := newFixture(t)
	card := "/customers/" + f.Cust + "/cards/" + f.Card1
	notFound := []struct {
		name, method, path, key, ct, body string
	}{
		{"unknown path", "GET", "/nope", f.SK, "", ""},
		{"root with another method", "POST", "/", f.SK, ctForm, "a=1"}, // GET / is the server's own page
		{"POST cards", "POST", "/customers/" + f.Cust + "/cards", f.SK, ctForm, form("card", f.Tok1)},
		{"PUT customers", "PUT", "/customers", f.SK, ctJSON, `{}`},
		{"PUT customers invalid json", "PUT", "/customers", f.SK, ctJSON, `{`},
		{"PUT customer", "PUT", "/customers/" + f.Cust, f.SK, ctJSON, `{}`},
		{"POST customer", "POST", "/customers/" + f.Cust, f.SK, ctJSON, `{}`},
		{"DELETE customers", "DELETE", "/customers", f.SK, "", ""},
		{"PATCH customers", "PATCH", "/customers", f.SK, ctJSON, `{}`},
		{"PUT card", "PUT", card, f.SK, ctJSON, `{}`},
		{"POST card", "POST", card, f.SK, ctJSON, `{}`},
		{"DELETE cards", "DELETE", "/customers/" + f.Cust + "/cards", f.SK, "", ""},
		{"OPTIONS customers", "OPTIONS", "/customers", f.SK, "", ""},
		{"GET /tokens", "GET", "/tokens", f.PK, "", ""},
		{"DELETE token", "DELETE", "/tokens/" + f.Tok1, f.PK, "", ""},
		{"PATCH token", "PATCH", "/tokens/" + f.Tok1, f.PK, ctJSON, `{}`},
		{"deeper card path", "GET", card + "/x", f.SK, "", ""},
		{"tokens subpath", "GET", "/tokens/" + f.Tok1 + "/card", f.PK, "", ""},
		{"charges", "POST", "/charges", f.SK, ctForm, "amount=1"},
		{"encoded slash", "GET", "/customers/" + f.Cust + "%2Fcards", f.SK, "", ""},
		{"case matters", "GET", "/Customers", f.SK, "", ""},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, tc.method, tc.path, tc.key, tc.ct, tc.body)
			wantError(t, st, body, 404, "not_found", "the requested path was not found")
		})
	}
	// A single trailing slash is ignored.
	for _, tc := range []struct{ method, path, key, ct, body string }{
		{"GET", "/customers/", f.SK, "", ""},
		{"GET", "/customers/" + f.Cust + "/", f.SK, "", ""},
		{"GET", "/customers/" + f.Cust + "/cards/", f.SK, "", ""},
		{"GET", card + "/", f.SK, "", ""},
		{"PATCH", card + "/", f.SK, ctForm, "city=x"},
		{"POST", "/tokens/", f.PK, ctForm, cardForm()},
		{"GET", "/tokens/" + f.Tok1 + "/", f.PK, "", ""},
		{"POST", "/customers/", f.SK, ctForm, "email=a%40example.com"},
	} {
		if st, body := f.do(t, tc.method, tc.path, tc.key, tc.ct, tc.body); st != 200 {
			t.Errorf("%s %s: status %d %v", tc.method, tc.path, st, body["message"])
		}
	}
	// GET /healthz needs no key.
	resp, err := http.Get(f.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 || h["status"] != "ok" {
		t.Errorf("healthz: %d %v %v", resp.StatusCode, h, err)
	}
	resp.Body.Close()
}

// TestPathNormalization: paths that Go's ServeMux would redirect (double
// slashes, dot segments) must still get the Omise answers: 401 without a key
// or with the wrong kind of key for the path as sent, 404 with the right one —
// never a redirect without authentication (§1.3, §2.1, §2.2).
func TestPathNormalization(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ path, key, wrongKey string }{
		{"/customers//", e.SK, e.PK},
		{"/customers//cards", e.SK, e.PK},
		{"/customers/./x", e.SK, e.PK},
		{"/customers//x", e.SK, e.PK},
		{"//customers", e.SK, e.PK},
		{"/customers/../tokens", e.SK, e.PK},
		{"/tokens/../customers", e.PK, e.SK}, // the key kind follows the path as sent
		{"/tokens//x", e.PK, e.SK},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			for _, key := range []string{"", tc.wrongKey} {
				st, body := e.do(t, "GET", tc.path, key, "", "")
				wantError(t, st, body, 401, "authentication_failure", "authentication failed")
			}
			st, body := e.do(t, "GET", tc.path, tc.key, "", "")
			wantError(t, st, body, 404, "not_found", "the requested path was not found")
		})
	}
}

// TestEchoRule: ids from the path appear in messages only if they pass the
// echo rule of §1.5.
func TestEchoRule(t *testing.T) {
	f := newFixture(t)
	digits := func(n int) string { return strings.Repeat("4", n) }
	tests := []struct {
		name, id, echo string
	}{
		{"plain id", "cust_test_abc", "cust_test_abc"},
		{"allowed punctuation", "cust.test:x-y_Z", "cust.test:x-y_Z"},
		{"11-digit run", "cust_test_" + digits(11), "cust_test_" + digits(11)},
		{"12-digit run", "cust_test_" + digits(12), "[redacted]"},
		{"16 digits", "cust_test_4242424242424242", "[redacted]"},
		{"two short runs", "cust_" + digits(11) + "_" + digits(11), "cust_" + digits(11) + "_" + digits(11)},
		{"64 chars", strings.Repeat("c", 64), strings.Repeat("c", 64)},
		{"65 chars", strings.Repeat("c", 65), "[redacted]"},
		{"70 chars", "cust_test_" + strings.Repeat("a", 60), "[redacted]"},
		{"space", "cust%20x", "[redacted]"},
		{"bang", "cust%21", "[redacted]"},
		{"non-ascii", "cust_%C3%A9", "[redacted]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, "GET", "/customers/"+tc.id, f.SK, "", "")
			wantError(t, st, body, 404, "not_found", "customer "+tc.echo+" was not found")
			st, body = f.do(t, "GET", "/customers/"+f.Cust+"/cards/"+tc.id, f.SK, "", "")
			wantError(t, st, body, 404, "not_found", "card "+tc.echo+" was not found")
			st, body = f.do(t, "GET", "/tokens/"+tc.id, f.PK, "", "")
			wantError(t, st, body, 404, "not_found", "token "+tc.echo+" was not found")
			st, body = f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctJSON, jsonBody(t, map[string]string{"card": unescape(tc.id)}))
			wantError(t, st, body, 404, "not_found", "token "+tc.echo+" was not found")
			st, body = f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctJSON, jsonBody(t, map[string]string{"default_card": unescape(tc.id)}))
			wantError(t, st, body, 404, "not_found", "card "+tc.echo+" was not found")
		})
	}
}

func unescape(s string) string {
	r := strings.NewReplacer("%20", " ", "%21", "!", "%C3%A9", "é")
	return r.Replace(s)
}

// TestOmiseVersion: a version before 2019-05-29 renames created_at to created
// on every token, card and customer (§2.1).
func TestOmiseVersion(t *testing.T) {
	f := newFixture(t)
	card := "/customers/" + f.Cust + "/cards/" + f.Card1
	tests := []struct {
		version string
		legacy  bool
	}{
		{"2017-11-02", true},
		{"2019-05-28", true},
		{"2015-01-01", true},
		{"2019-05-29", false},
		{"2024-01-01", false},
		{"", false},
		{"garbage", false},
		{"2017-13-45", false},
		{"2017-11-02T00:00:00Z", false},
	}
	for _, tc := range tests {
		t.Run("version "+tc.version, func(t *testing.T) {
			hdr := http.Header{}
			if tc.version != "" {
				hdr.Set("Omise-Version", tc.version)
			}
			wantKey, noKey := "created_at", "created"
			if tc.legacy {
				wantKey, noKey = "created", "created_at"
			}
			stamp := func(body map[string]any, paths ...string) {
				t.Helper()
				for _, p := range paths {
					prefix := p
					if prefix != "" {
						prefix += "."
					}
					check(t, body, map[string]string{prefix + wantKey: `~^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, prefix + noKey: absent})
				}
			}
			do := func(method, path, key, ct, body string) map[string]any {
				t.Helper()
				r := f.doH(t, method, path, key, ct, body, hdr)
				if r.Status != 200 {
					t.Fatalf("%s %s: status %d %v", method, path, r.Status, r.Body)
				}
				return r.Body
			}
			tok := do("POST", "/tokens", f.PK, ctForm, cardForm())
			stamp(tok, "", "card")
			stamp(do("GET", "/tokens/"+f.Tok1, f.PK, "", ""), "", "card")
			stamp(do("GET", "/customers/"+f.Cust, f.SK, "", ""), "", "cards.data.0", "cards.data.1")
			stamp(do("PATCH", "/customers/"+f.Cust, f.SK, ctForm, "description=x"), "", "cards.data.0")
			stamp(do("POST", "/customers", f.SK, ctForm, form("card", str(t, tok, "id"))), "", "cards.data.0")
			stamp(do("GET", "/customers", f.SK, "", ""), "data.0", "data.0.cards.data.0")
			stamp(do("GET", "/customers/"+f.Cust+"/cards", f.SK, "", ""), "data.0")
			stamp(do("GET", card, f.SK, "", ""), "")
			stamp(do("PATCH", card, f.SK, ctForm, "city=x"), "")
			// Lists themselves have no creation time.
			check(t, do("GET", "/customers", f.SK, "", ""), map[string]string{"created": absent, "created_at": absent})
		})
	}
}

// TestDeleteShapeUnderLegacyVersion: deletes answer with the full object and
// deleted:true. §2.12 and §5.15 say deleted objects always use the full
// 2019-05-29 shape (which omise-go's Deletion decodes through created_at),
// so created_at is expected even under an old Omise-Version.
func TestDeleteShapeUnderLegacyVersion(t *testing.T) {
	f := newFixture(t)
	hdr := http.Header{"Omise-Version": {"2017-11-02"}}
	r := f.doH(t, "DELETE", "/customers/"+f.Cust+"/cards/"+f.Card2, f.SK, "", "", hdr)
	check(t, r.Body, map[string]string{"deleted": `true`, "id": q(f.Card2), "created_at": q(f.Created2)})
	r = f.doH(t, "DELETE", "/customers/"+f.Cust, f.SK, "", "", hdr)
	check(t, r.Body, map[string]string{"deleted": `true`, "id": q(f.Cust), "created_at": q(ts(t0))})
}

// TestIsolation: another account's or mode's objects behave as if they did not exist (§1.2).
func TestIsolation(t *testing.T) {
	f := newFixture(t)
	opk, osk, olpk, olsk := f.NewAccount(t)
	// The other account's own objects.
	otok, ocard := f.MustTokenKey(t, opk, "4242424242424242")
	ocust := str(t, f.MustCustomer(t, osk, form("card", otok)), "id")
	otok2, _ := f.MustTokenKey(t, opk, "4111111111111111")
	// Live objects of the first account.
	ltok, lcard := f.MustTokenKey(t, f.LPK, "4242424242424242")
	lcust := str(t, f.MustCustomer(t, f.LSK, form("card", ltok)), "id")
	ltok2, _ := f.MustTokenKey(t, f.LPK, "5555555555554444")

	tests := []struct {
		name, method, path, key, ct, body, msg string
	}{
		{"token of other account", "GET", "/tokens/" + otok2, f.PK, "", "", "token " + otok2 + " was not found"},
		{"live token with test key", "GET", "/tokens/" + ltok2, f.PK, "", "", "token " + ltok2 + " was not found"},
		{"test token with live key", "GET", "/tokens/" + f.Tok1, f.LPK, "", "", "token " + f.Tok1 + " was not found"},
		{"test token with other account's live key", "GET", "/tokens/" + f.Tok1, olpk, "", "", "token " + f.Tok1 + " was not found"},
		{"attach other account's token", "PATCH", "/customers/" + f.Cust, f.SK, ctForm, form("card", otok2), "token " + otok2 + " was not found"},
		{"attach live token", "PATCH", "/customers/" + f.Cust, f.SK, ctForm, form("card", ltok2), "token " + ltok2 + " was not found"},
		{"customer of other account", "GET", "/customers/" + ocust, f.SK, "", "", "customer " + ocust + " was not found"},
		{"live customer with test key", "GET", "/customers/" + lcust, f.SK, "", "", "customer " + lcust + " was not found"},
		{"test customer with live key", "GET", "/customers/" + f.Cust, f.LSK, "", "", "customer " + f.Cust + " was not found"},
		{"test customer with other live key", "PATCH", "/customers/" + f.Cust, olsk, ctForm, "email=x", "customer " + f.Cust + " was not found"},
		{"other account's card under own customer", "GET", "/customers/" + f.Cust + "/cards/" + ocard, f.SK, "", "", "card " + ocard + " was not found"},
		{"live card under test customer", "DELETE", "/customers/" + f.Cust + "/cards/" + lcard, f.SK, "", "", "card " + lcard + " was not found"},
		{"other account's card as default", "PATCH", "/customers/" + f.Cust, f.SK, ctForm, form("default_card", ocard), "card " + ocard + " was not found"},
		{"live card as default", "PATCH", "/customers/" + f.Cust, f.SK, ctForm, form("default_card", lcard), "card " + lcard + " was not found"},
		{"delete other account's customer", "DELETE", "/customers/" + ocust, f.SK, "", "", "customer " + ocust + " was not found"},
		{"list other account's cards", "GET", "/customers/" + ocust + "/cards", f.SK, "", "", "customer " + ocust + " was not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, tc.method, tc.path, tc.key, tc.ct, tc.body)
			wantError(t, st, body, 404, "not_found", tc.msg)
		})
	}
	// Everything above left the other objects intact.
	check(t, f.MustGet(t, "/tokens/"+otok2, opk), map[string]string{"used": `false`})
	check(t, f.MustGet(t, "/tokens/"+ltok2, f.LPK), map[string]string{"used": `false`})
	check(t, f.MustGet(t, "/customers/"+ocust, osk), map[string]string{"cards.total": `1`})
	check(t, f.MustGet(t, "/customers/"+lcust, f.LSK), map[string]string{"cards.total": `1`, "livemode": `true`,
		"cards.data.0.livemode": `true`, "cards.data.0.id": q(lcard)})
	check(t, f.MustGet(t, "/customers", osk), map[string]string{"total": `1`})
}

// TestAccessLog: one JSON line per request with method, route pattern, status,
// duration and request id, and never the raw path, query, body or key (§1.5).
func TestAccessLog(t *testing.T) {
	f := newFixture(t)
	before := len(strings.Split(strings.TrimSpace(f.Logs.String()), "\n"))
	f.do(t, "GET", "/customers/"+f.Cust+"/cards?where=4111111111111111&limit=1", f.SK, "", "")
	f.do(t, "GET", "/customers/cust_test_4111111111111111", f.SK, "", "")
	f.do(t, "POST", "/tokens", f.PK, ctForm, cardForm("number", "4111111111111111"))
	f.do(t, "GET", "/nope?x=4111111111111111", f.SK, "", "")
	f.do(t, "GET", "/customers", "", "", "")
	logs := f.Logs.String()
	for _, s := range []string{"4111111111111111", f.Cust, f.Card1, f.Tok1, f.SK, f.PK, "where=", "Authorization", "Basic "} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains %q", s)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) < 5 {
		t.Fatalf("%d request lines, want at least 5 (had %d lines before)", len(lines), before)
	}
	last := lines[len(lines)-5:]
	wantRoutes := []string{"GET /customers/{id}/cards", "GET /customers/{id}", "POST /tokens", "unmatched", "omise:GET /customers"} // a 401 names its route
	wantStatus := []float64{200, 404, 200, 404, 401}
	for i, m := range last {
		for _, k := range []string{"method", "route", "status", "duration_ms", "request_id"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d: no %q: %v", i, k, m)
			}
		}
		if m["status"] != wantStatus[i] {
			t.Errorf("line %d: status %v, want %v", i, m["status"], wantStatus[i])
		}
		if r, _ := m["route"].(string); wantRoutes[i] != "" && !strings.Contains(r, wantRoutes[i]) {
			t.Errorf("line %d: route %q, want the pattern %q", i, r, wantRoutes[i])
		}
	}
}

// TestHeadIsNotARoute: only the methods of the §2.2 table are routes; any
// other method, HEAD included, is 404.
func TestHeadIsNotARoute(t *testing.T) {
	e := newEnv(t)
	r, err := e.send("HEAD", "/customers", e.SK, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 404 {
		t.Errorf("HEAD /customers: status %d, want 404", r.Status)
	}
}

// TestInternalError: an unexpected failure (here: the store is closed) is
// 500 internal_error "internal error" with no detail in the body; the detail
// goes to the log only (§2.13). /healthz then answers 503 (§1.1).
func TestInternalError(t *testing.T) {
	e := newEnv(t)
	if err := e.DB.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, key, ct, body string }{
		{"GET", "/customers", e.SK, "", ""},
		{"POST", "/tokens", e.PK, ctForm, cardForm()},
	} {
		req, _ := http.NewRequest(tc.method, e.URL+tc.path, strings.NewReader(tc.body))
		req.SetBasicAuth(tc.key, "")
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 500 || m["object"] != "error" || m["code"] != "internal_error" ||
			m["message"] != "internal error" || m["location"] != "https://www.omise.co/api-errors#internal-error" || len(m) != 4 {
			t.Errorf("%s %s: %d %v (%v)", tc.method, tc.path, resp.StatusCode, m, err)
		}
	}
	resp, err := http.Get(e.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 503 || h["status"] != "unavailable" {
		t.Errorf("healthz with a closed store: %d %v", resp.StatusCode, h)
	}
	if !strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("no error logged for the internal errors")
	}
}

// TestErrorPrecedence: authentication (401) → unknown path/method (404) →
// body decoding (400 bad_request) → lookups (404) → validation (400) (§2.1).
func TestErrorPrecedence(t *testing.T) {
	f := newFixture(t)
	card := "/customers/" + f.Cust + "/cards/" + f.Card1
	tests := []struct {
		name, method, path, key, ct, body string
		status                            int
		code, msg                         string
	}{
		{"401 before 404 and 400", "PUT", "/nope", "", ctJSON, `{`, 401, "authentication_failure", "authentication failed"},
		{"wrong key kind before 404", "POST", "/customers/" + f.Cust + "/cards", f.PK, ctJSON, `{`, 401, "authentication_failure", "authentication failed"},
		{"404 path before body decoding", "POST", "/customers/" + f.Cust + "/cards", f.SK, ctJSON, `{`, 404, "not_found", "the requested path was not found"},
		{"404 method before content type", "PUT", card, f.SK, "text/plain", "x", 404, "not_found", "the requested path was not found"},
		{"body decoding before customer lookup", "PATCH", "/customers/cust_test_nosuchcustomer00000", f.SK, ctJSON, `{`,
			400, "bad_request", "request body is not valid JSON"},
		{"body decoding before card lookup", "PATCH", "/customers/" + f.Cust + "/cards/card_test_nosuchcard000000000", f.SK, "text/plain", "x",
			400, "bad_request", "content type is not supported"},
		{"list body decoding before customer lookup", "GET", "/customers/cust_test_nosuchcustomer00000/cards", f.SK, ctJSON, `[`,
			400, "bad_request", "request body is not valid JSON"},
		{"card lookup before expiry validation", "PATCH", "/customers/" + f.Cust + "/cards/card_test_nosuchcard000000000", f.SK, ctForm,
			form("expiration_month", "13"), 404, "not_found", "card card_test_nosuchcard000000000 was not found"},
		{"customer lookup before expiry validation", "PATCH", "/customers/cust_test_nosuchcustomer00000/cards/" + f.Card1, f.SK, ctForm,
			form("expiration_year", "1999"), 404, "not_found", "customer cust_test_nosuchcustomer00000 was not found"},
		{"token lookup before its state", "POST", "/customers", f.SK, ctForm, form("card", "tokn_test_doesnotexist0000"),
			404, "not_found", "token tokn_test_doesnotexist0000 was not found"},
		{"card is attached before default_card is checked", "PATCH", "/customers/" + f.Cust, f.SK, ctForm,
			form("card", f.Tok1, "default_card", "card_test_nosuchcard000000000"), 400, "used_token", "token was already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, tc.method, tc.path, tc.key, tc.ct, tc.body)
			wantError(t, st, body, tc.status, tc.code, tc.msg)
		})
	}
}
