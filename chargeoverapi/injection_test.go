package chargeoverapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// hostile are values an attacker might put in a query parameter or path.
var hostile = []string{
	"1 OR 1=1", "1' OR '1'='1", `" OR ""="`, "'; DROP TABLE cards; --", "1;DELETE FROM cards", "--", "/*", "*/",
	"' UNION SELECT pan_sealed FROM cards --", "%", "_", "%%", "\\", "\\\\", "a\\", "\\,\\:", ":", ",", ",,", "::",
	"ünïcødé", "😀", "\u202e", "\x00", "a\x00b", "\xff\xfe", "NULL", "null", "IS:NULL", "EQUALS", "-1", "0",
	"9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e3", "0x10", "+1", " 1",
	"4111111111111111", strings.Repeat("a", 10<<10), strings.Repeat("\\", 10<<10), strings.Repeat(",", 10<<10),
	strings.Repeat("9", 10<<10), "creditcard_id:ASC;--", "random()", "(SELECT 1)", "customer_id", "pan_sealed",
}

// rawish percent-encodes only what cannot appear in a request line, so that
// quotes, semicolons, backslashes and percent signs reach the server raw.
func rawish(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestInjectionCorpus sends every hostile value through where, order,
// limit, offset and the path, raw and encoded: each answer is a 400, a 404
// for a path, or a correct 200; never a 500; and the data is unchanged.
func TestInjectionCorpus(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	e.mustCard(f.cust, "4111111111111111", `,"external_key":"ext:1"`)
	beforeCards := string(e.co("GET", "/api/v3/creditcard?limit=500", "").body)
	beforeCustomers := string(e.co("GET", "/api/v3/customer?limit=500", "").body)
	c := &corpus{e: e, t: t, known: map[string]bool{}, seen: map[int]int{}}
	for _, l := range []string{beforeCards, beforeCustomers} {
		r := &resp{status: 200, header: map[string][]string{"Content-Type": {"application/json"}}, body: []byte(l)}
		for _, id := range idsIn(t, responseOf(t, r)) {
			c.known[id] = true
		}
	}

	for i, v := range hostile {
		c.i, c.v = i, v
		for _, enc := range []func(string) string{url.QueryEscape, rawish} {
			queries := []struct {
				q     string
				empty bool // no stored object can match
			}{
				{"where=" + enc("external_key:EQUALS:"+v), true}, {"where=" + enc("customer_id:EQUALS:"+v), true},
				{"where=" + enc("external_key:CONTAINS:"+v), false}, {"where=" + enc(v), false},
				{"where=" + enc("external_key:"+v+":x"), false}, {"order=" + enc(v), false},
				{"order=" + enc("creditcard_id:"+v), false}, {"limit=" + enc(v), false}, {"offset=" + enc(v), false},
			}
			for _, q := range queries {
				for _, base := range []string{"/api/v3/creditcard", "/api/v3/creditcard/_count", "/api/v3/customer"} {
					c.check("GET", base, q.q, q.empty)
				}
			}
		}
		for _, p := range []string{url.PathEscape(v), "token:" + url.PathEscape(v), "external_key:" + url.PathEscape(v), rawish(v)} {
			for _, m := range []string{"GET", "DELETE"} {
				c.check(m, "/api/v3/creditcard/"+p, "", true)
				c.check(m, "/api/v3/customer/"+p, "", true)
			}
			c.check("GET", "/api/v3/"+p, "", true)
		}
	}
	if got := string(e.co("GET", "/api/v3/creditcard?limit=500", "").body); got != beforeCards {
		t.Errorf("cards changed:\n%s\n%s", beforeCards, got)
	}
	if got := string(e.co("GET", "/api/v3/customer?limit=500", "").body); got != beforeCustomers {
		t.Errorf("customers changed")
	}
	if n := count(t, e.co("GET", "/api/v3/creditcard/_count", "")); n != 3 {
		t.Errorf("_count %d, want 3", n)
	}
	t.Logf("answers by status: %v", c.seen)
	if c.seen[200] < 100 || c.seen[400] < 100 || c.seen[404] < 100 {
		t.Errorf("corpus did not exercise every outcome: %v", c.seen)
	}
}

// corpus checks answers to hostile requests against the stored objects.
type corpus struct {
	e     *env
	t     *testing.T
	known map[string]bool // "creditcard_id:N" and "customer_id:N" of the stored objects
	seen  map[int]int     // answers by status
	i     int
	v     string
}

// idsIn returns the ids of the objects in a response array, as "field:N".
func idsIn(t *testing.T, array []byte) []string {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(array, &l); err != nil {
		t.Fatalf("not an array: %.200s", array)
	}
	var out []string
	for _, m := range l {
		field := "customer_id"
		if _, ok := m["creditcard_id"]; ok {
			field = "creditcard_id"
		}
		out = append(out, fmt.Sprintf("%s:%v", field, m[field]))
	}
	return out
}

// check sends one request and checks the answer: 400; 404 only for a
// lookup; 200 only with stored objects (none when empty is set) or a count
// no larger than what is stored. Long values are never echoed.
func (c *corpus) check(method, path, rawQuery string, empty bool) {
	t := c.t
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		return // not a request a client can send
	}
	req := c.e.newReq(method, "/", "")
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, rawQuery
	req.SetBasicAuth(c.e.pkey, c.e.skey)
	r := c.e.send(req)
	c.seen[r.status]++
	name := fmt.Sprintf("hostile[%d] %s %.60s?%.60s", c.i, method, path, rawQuery)
	switch {
	case r.status == 400:
		r.env(t)
	case r.status == 404 && strings.Count(path, "/") == 4:
		r.env(t)
	case r.status == 200 && method == "GET":
		c.checkOK(name, r, empty)
	default:
		t.Errorf("%s: status %d %.200s", name, r.status, r.body)
	}
	if len(c.v) >= 12 && strings.Contains(string(r.body), c.v) {
		t.Errorf("%s: value echoed", name)
	}
}

func (c *corpus) checkOK(name string, r *resp, empty bool) {
	t := c.t
	t.Helper()
	raw := string(r.env(t).Response)
	if !strings.HasPrefix(raw, "[") {
		var n int
		okResponse(t, r, &n)
		if n < 0 || n > 3 || (empty && n != 0) {
			t.Errorf("%s: count %d", name, n)
		}
		return
	}
	got := idsIn(t, []byte(raw))
	if empty && len(got) != 0 {
		t.Errorf("%s: found %v", name, got)
	}
	for _, id := range got {
		if !c.known[id] {
			t.Errorf("%s: unknown object %s", name, id)
		}
	}
}
