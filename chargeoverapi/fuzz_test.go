package chargeoverapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryHTTP sends fuzzed raw query strings and {ref} segments through
// the whole handler (auth, routing, decoding, store): never a 500, always the
// envelope, and a list answer is an array.
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
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	auth := basic(e.pkey, e.skey)
	f.Fuzz(func(t *testing.T, where, order, limit, ref string) {
		raw := "where=" + where + "&order=" + order + "&limit=" + limit + "&offset=" + limit
		for _, typ := range []string{"creditcard", "customer"} {
			serve(t, e.h, auth, "/api/v3/"+typ, raw, true)
			serve(t, e.h, auth, "/api/v3/"+typ+"/_count", raw, false)
			if u, err := url.ParseRequestURI("/api/v3/" + typ + "/" + ref); err == nil {
				serve(t, e.h, auth, u.EscapedPath(), raw, false)
			}
		}
	})
}

// serve runs one GET through h and checks the answer.
func serve(t *testing.T, h http.Handler, auth, path, rawQuery string, isList bool) {
	t.Helper()
	req := httptest.NewRequest("GET", "/", nil)
	u, err := url.Parse(path)
	if err != nil {
		return
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
	en := r.env(t)
	if isList && r.status == 200 {
		var l []json.RawMessage
		if err := json.Unmarshal(en.Response, &l); err != nil || l == nil {
			t.Fatalf("list response %s", en.Response)
		}
	}
	if strings.Contains(string(r.body), "4111111111111111") {
		t.Fatalf("PAN in response")
	}
}
