package chargeoverapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
)

// FuzzQueryHTTP sends fuzzed raw query strings and {ref} segments through
// the whole handler (auth, routing, decoding, store): never a 500, always the
// envelope, and a list answer is an array. Every 400 is "Missing or invalid
// parameter." with non-empty details whose keys name the offending query
// parameter (or the path), worded from the §3.6 catalogue; _count reports
// exactly the where (or whole-query) problems of the same list request and
// nothing about order/limit/offset.
func FuzzQueryHTTP(f *testing.F) {
	e := newEnv(f)
	cust := e.mustCustomer(`{"company":"Acme, Inc","external_key":"ext:1"}`)
	e.mustCard(cust, "4111111111111111", `,"external_key":"ext:1"`)
	seeds := [][4]string{
		{"customer_id:EQUALS:1", "creditcard_id:DESC", "10", "17"},
		{`external_key:EQUALS:ext\:1`, "", "0", "token:abc"},
		{"external_key%3AEQUALS%3Aext%5C%3A1", "token", "", "external_key:ext%3A1"},
		{"company:CONTAINS:Acme\\,%20Inc", "customer_id:asc,company:DESC", "500", "_count"},
		{"customer_id:LIKE:42", "x:UP", "abc", "0"},
		{"number:EQUALS:4111111111111111", "", "1.5", "4111111111111111"},
		{"a\\", ",", "-1", "%zz"},
		{"1 OR 1=1;--", "/*", "99999999999999999999", "..%2F"},
		{"%", "%%", "%2", "external_key:%FF"},
		{"token:IS:NULL,external_key:ISNOT:null", "", "", ""},
		// One per row of the §3.6 error table, and several at once.
		{"customer_id:EQUALS", "customer_id:", "", "_count"},
		{"customer_id:EQUALS:1,", ",", "", "1/2"},
		{"customer_id:IS:foo", "number", "x", "_count"},
		{"customer_id:CONTAINS:1", "customer_id:SIDEWAYS", "-0", "token:"},
		{"customer_id:EQUALS:1234567890123456789", "", "9223372036854775808", ""},
		{"customer_id:GT:0&where=foo:EQUALS:1", "", "", "_count"},
		{"cvv:EQUALS:123&where=", "mask_number:DESC", "", "external_key:"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	auth := basic(e.pkey, e.skey)
	f.Fuzz(func(t *testing.T, where, order, limit, ref string) {
		raw := "where=" + where + "&order=" + order + "&limit=" + limit + "&offset=" + limit
		for _, typ := range []string{"creditcard", "customer"} {
			l := serve(t, e.h, auth, "/api/v3/"+typ, raw, listCall)
			c := serve(t, e.h, auth, "/api/v3/"+typ+"/_count", raw, countCall)
			checkListCount(t, typ, raw, l, c)
			if u, err := url.ParseRequestURI("/api/v3/" + typ + "/" + ref); err == nil {
				serve(t, e.h, auth, u.EscapedPath(), raw, refCall)
			}
		}
	})
}

// callKind is what a fuzzed request asks for.
type callKind int

const (
	listCall  callKind = iota // GET /api/v3/{type}
	countCall                 // GET /api/v3/{type}/_count
	refCall                   // GET /api/v3/{type}/{fuzzed ref}: any of the above, a get, or a bad path
)

// detailPattern is, per details key, what the value of a query or path
// problem may be: the catalogue of §3.3 and §3.6 (plus "query" for a query
// string that cannot be decoded at all).
var detailPattern = map[string]*regexp.Regexp{
	"where":  regexp.MustCompile(`^condition [1-9][0-9]*: (malformed|field is not filterable|unknown operator|operator not allowed for field|invalid value)$`),
	"order":  regexp.MustCompile(`^key [1-9][0-9]*: (malformed|field is not sortable|invalid direction)$`),
	"limit":  regexp.MustCompile(`^must be a non-negative integer$`),
	"offset": regexp.MustCompile(`^must be a non-negative integer$`),
	"query":  regexp.MustCompile(`^[a-z ]+$`), // not in the contract: a fixed word, no client text
	"path":   regexp.MustCompile(`^unsupported$`),
}

// allowedDetails are the details keys each kind of call may answer with.
var allowedDetails = map[callKind][]string{
	listCall:  {"where", "order", "limit", "offset", "query"},
	countCall: {"where", "query"},
	refCall:   {"where", "order", "limit", "offset", "query", "path"},
}

// serve runs one GET through h, checks the answer and returns its envelope
// with the HTTP status in Code.
func serve(t *testing.T, h http.Handler, auth, path, rawQuery string, kind callKind) coEnvelope {
	t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	u, err := url.Parse(path)
	if err != nil {
		return coEnvelope{}
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, rawQuery
	req.RequestURI = req.URL.RequestURI()
	req.Header.Set("Authorization", auth)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	r := &resp{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if r.status >= 500 || (r.status != 200 && r.status != 400 && r.status != 404) {
		t.Fatalf("GET %q ?%q: status %d %s", path, rawQuery, r.status, r.body)
	}
	if kind != refCall && r.status == 404 {
		t.Fatalf("GET %q ?%q: 404 on a list or _count: %s", path, rawQuery, r.body)
	}
	en := r.env(t)
	if kind == listCall && r.status == 200 {
		var l []json.RawMessage
		if err := json.Unmarshal(en.Response, &l); err != nil || l == nil {
			t.Fatalf("list response %s", en.Response)
		}
	}
	if kind == countCall && r.status == 200 {
		var n int64
		if err := json.Unmarshal(en.Response, &n); err != nil || n < 0 {
			t.Fatalf("_count response %s", en.Response)
		}
	}
	if r.status == 400 {
		checkQueryDetails(t, path, rawQuery, kind, en)
	}
	if strings.Contains(string(r.body), "4111111111111111") {
		t.Fatalf("PAN in response")
	}
	return en
}

// checkQueryDetails: a 400 caused by the query or the path is "Missing or
// invalid parameter." with non-empty details, each key one the call may
// report and each value from the catalogue.
func checkQueryDetails(t *testing.T, path, rawQuery string, kind callKind, en coEnvelope) {
	t.Helper()
	if en.Message != badParam {
		t.Fatalf("GET %q ?%q: 400 message %q, want %q", path, rawQuery, en.Message, badParam)
	}
	if len(en.Details) == 0 {
		t.Fatalf("GET %q ?%q: 400 with empty details", path, rawQuery)
	}
	for k, v := range en.Details {
		if !slices.Contains(allowedDetails[kind], k) {
			t.Fatalf("GET %q ?%q: details key %q not among %v: %v", path, rawQuery, k, allowedDetails[kind], en.Details)
		}
		if !detailPattern[k].MatchString(v) {
			t.Fatalf("GET %q ?%q: details %q = %q is not from the catalogue", path, rawQuery, k, v)
		}
	}
}

// checkListCount: _count reads only where, so its answer is the list's
// where/query problems and nothing else; and a page never holds more items
// than _count counts.
func checkListCount(t *testing.T, typ, rawQuery string, l, c coEnvelope) {
	t.Helper()
	if l.Code == 0 || c.Code == 0 {
		return // the path did not parse
	}
	want := map[string]string{}
	for _, k := range []string{"where", "query"} {
		if v, ok := l.Details[k]; ok {
			want[k] = v
		}
	}
	if c.Code == 200 && len(want) != 0 || c.Code == 400 && fmt.Sprint(c.Details) != fmt.Sprint(want) {
		t.Fatalf("%s ?%q: list %d %v but _count %d %v", typ, rawQuery, l.Code, l.Details, c.Code, c.Details)
	}
	if l.Code == 200 && c.Code == 200 {
		var page []json.RawMessage
		var n int
		if json.Unmarshal(l.Response, &page) == nil && json.Unmarshal(c.Response, &n) == nil && len(page) > n {
			t.Fatalf("%s ?%q: list has %d items, _count says %d", typ, rawQuery, len(page), n)
		}
	}
}

// FuzzCustomerBody posts arbitrary bodies to POST /api/v3/customer: never a
// 500, always the envelope, and a created customer's stored text is storable
// (valid UTF-8 without NUL), which the rendered JSON could not show.
func FuzzCustomerBody(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{
		`{"company":"Acme","external_key":"k1","superuser_email":"a@example.com"}`,
		`{"company":"a\u0000b"}`, "{\"company\":\"a\xffb\"}", `{"superuser_name":"\ud800"}`,
		`{"external_key":"\udbff\udfff","superuser_phone":12345}`, `{"company":["x"]}`, `{"company":`, "",
		`{"superuser_first_name":"é","superuser_last_name":"\u00e9\ufffd"}`,
	} {
		f.Add([]byte(s))
	}
	key, err := e.v.Authenticate(context.Background(), cardvault.NewSecret(e.pkey))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v3/customer", bytes.NewReader(body))
		req.SetBasicAuth(e.pkey, e.skey)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		r := &resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		en := r.env(t)
		if r.status != http.StatusCreated {
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d for %q: %s", r.status, body, r.body)
			}
			return
		}
		var id struct{ ID int64 }
		if err := json.Unmarshal(en.Response, &id); err != nil {
			t.Fatal(err)
		}
		c, err := e.v.Customer(context.Background(), key.Scope(), cardvault.Ref{Seq: id.ID})
		if err != nil {
			t.Fatal(err)
		}
		k := c.Contact
		for _, v := range []string{c.Description, c.ExternalKey, c.Email, k.Name, k.FirstName, k.LastName, k.Phone} {
			if !httpx.StorableText(v) {
				t.Fatalf("stored unstorable text %q from body %q", v, body)
			}
		}
	})
}
