package chargeoverapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// The semantics of API.md §3.6 over HTTP: NULL handling, CONTAINS, byte-wise
// comparison, ordering with nulls and ties, offset and limit.

// queryCase is one list query and the ids it must return, in order.
type queryCase struct {
	query string
	want  []int64
}

// wantQueryIDs runs each case on the list of typ and compares the ids. When
// the case has no limit/offset, _count with the same query must equal the
// number of ids (order is ignored by _count).
func wantQueryIDs(t *testing.T, e *env, typ, idField string, cases []queryCase) {
	t.Helper()
	for _, tt := range cases {
		got := ids(list(t, e.co("GET", "/api/v3/"+typ+"?"+tt.query, "")), idField)
		if fmt.Sprint(got) != fmt.Sprint(orNone(tt.want)) {
			t.Errorf("%s?%s:\n got %v\nwant %v", typ, tt.query, got, orNone(tt.want))
		}
		if strings.Contains(tt.query, "limit=") || strings.Contains(tt.query, "offset=") {
			continue
		}
		if n := count(t, e.co("GET", "/api/v3/"+typ+"/_count?"+tt.query, "")); n != len(tt.want) {
			t.Errorf("%s/_count?%s = %d, want %d", typ, tt.query, n, len(tt.want))
		}
	}
}

// TestCustomerQuerySemantics: a small set of customers with and without
// external keys, companies and emails.
func TestCustomerQuerySemantics(t *testing.T) {
	e := newEnv(t)
	// Byte-wise order of the companies: "100%_done" < "ACME Labs" < "Acme, Inc"
	// < "acme" (twice) < "Ärger GmbH" (0xC3…).
	a := e.mustCustomer(`{"company":"Acme, Inc","superuser_email":"a@example.com","external_key":"k-a"}`)
	b := e.mustCustomer(`{"company":"ACME Labs"}`)
	c := e.mustCustomer(`{"company":"100%_done","superuser_email":"c@example.com","external_key":"k-c"}`)
	d := e.mustCustomer(`{"superuser_email":"a@example.com"}`)
	f := e.mustCustomer(`{"company":"acme","external_key":"K-F"}`)
	g := e.mustCustomer(`{"company":"acme","superuser_email":"g@example.com"}`)
	h := e.mustCustomer(`{"company":"Ärger GmbH"}`)
	i := e.mustCustomer(`{"superuser_name":"Nobody"}`)
	all := []int64{a, b, c, d, f, g, h, i}
	for k := 1; k < len(all); k++ {
		if all[k] <= all[k-1] {
			t.Fatalf("customer ids not ascending: %v", all)
		}
	}

	wantQueryIDs(t, e, "customer", "customer_id", []queryCase{
		{"", all},
		{"order=", all},

		// NOTEQUALS never matches NULL.
		{"where=company:NOTEQUALS:acme", []int64{a, b, c, h}},
		{"where=company:NOTEQUALS:nothing-like-this", []int64{a, b, c, f, g, h}},
		{"where=superuser_email:NOTEQUALS:a@example.com", []int64{c, g}},
		{"where=external_key:NOTEQUALS:nope", []int64{a, c, f}},
		{fmt.Sprintf("where=customer_id:NOTEQUALS:%d", a), []int64{b, c, d, f, g, h, i}},

		// IS:NULL / ISNOT:NULL, NULL in any case.
		{"where=company:IS:NULL", []int64{d, i}},
		{"where=company:is:null", []int64{d, i}},
		{"where=company:ISNOT:NULL", []int64{a, b, c, f, g, h}},
		{"where=company:isnot:Null", []int64{a, b, c, f, g, h}},
		{"where=external_key:IS:NULL", []int64{b, d, g, h, i}},
		{"where=external_key:ISNOT:NULL", []int64{a, c, f}},
		{"where=superuser_email:IS:NULL", []int64{b, f, h, i}},
		{"where=superuser_email:ISNOT:NULL", []int64{a, c, d, g}},
		{"where=token:IS:NULL", nil},
		{"where=token:ISNOT:NULL", all},
		{"where=customer_id:IS:NULL", nil},
		{"where=customer_id:ISNOT:NULL", all},
		{"where=company:IS:NULL,superuser_email:IS:NULL", []int64{i}},

		// CONTAINS: ASCII case-insensitive substring; % and _ are literal.
		{"where=company:CONTAINS:acme", []int64{a, b, f, g}},
		{"where=company:CONTAINS:ACME", []int64{a, b, f, g}},
		{"where=company:contains:aCmE", []int64{a, b, f, g}},
		{"where=company:CONTAINS:%25_", []int64{c}},            // "%_"
		{"where=company:CONTAINS:%25", []int64{c}},             // "%"
		{"where=company:CONTAINS:_", []int64{c}},               // "_"
		{"where=company:CONTAINS:0%25_D", []int64{c}},          // "0%_D"
		{"where=company:CONTAINS:x%25", nil},                   // "x%": a LIKE pattern would match "…x…"
		{"where=company:CONTAINS:1_0", nil},                    // LIKE would match "100"
		{"where=company:CONTAINS:a%25e", nil},                  // LIKE would match "Acme"
		{"where=company:CONTAINS:a_m", nil},                    // LIKE would match "Acm"
		{"where=company:CONTAINS:%25%25", nil},                 // "%%"
		{"where=company:CONTAINS:", []int64{a, b, c, f, g, h}}, // empty matches every non-null
		{"where=external_key:CONTAINS:", []int64{a, c, f}},
		{"where=superuser_email:CONTAINS:", []int64{a, c, d, g}},
		{`where=company:CONTAINS:acme\,%20inc`, []int64{a}},
		{"where=company:CONTAINS:RGER", []int64{h}},
		{"where=company:CONTAINS:%C3%84", []int64{h}}, // "Ä"
		{"where=company:CONTAINS:%C3%A4", nil},        // "ä": only ASCII letters fold
		{"where=external_key:CONTAINS:k-", []int64{a, c, f}},
		{"where=superuser_email:CONTAINS:@EXAMPLE.COM", []int64{a, c, d, g}},

		// EQUALS is exact and case-sensitive.
		{"where=company:EQUALS:acme", []int64{f, g}},
		{"where=company:EQUALS:ACME", nil},
		{"where=company:EQUALS:acm", nil},
		{"where=company:EQUALS:", nil}, // unset is NULL, not ""
		{"where=external_key:EQUALS:K-F", []int64{f}},
		{"where=external_key:EQUALS:k-f", nil},
		{"where=company:EQUALS:100%25_done", []int64{c}},

		// GT/LT/GTE/LTE on strings are byte-wise; NULL never matches.
		{"where=company:GT:Acme", []int64{a, f, g, h}},
		{"where=company:GT:acme", []int64{h}},
		{"where=company:GTE:acme", []int64{f, g, h}},
		{"where=company:LT:a", []int64{a, b, c}},
		{"where=company:LT:B", []int64{a, b, c}},
		{"where=company:LTE:ACME%20Labs", []int64{b, c}},
		{"where=company:GT:z", []int64{h}}, // 0xC3 > 'z'
		{"where=company:LT:", nil},
		{"where=company:GTE:", []int64{a, b, c, f, g, h}},
		{"where=external_key:GTE:k", []int64{a, c}},
		{"where=external_key:LT:k", []int64{f}},
		{"where=superuser_email:GT:b", []int64{c, g}},
		{"where=company:GT:A,company:LT:a", []int64{a, b}},
		{"where=company:CONTAINS:acme&where=superuser_email:ISNOT:NULL", []int64{a, g}},

		// Integer comparisons.
		{fmt.Sprintf("where=customer_id:GT:%d&where=customer_id:LTE:%d", b, d), []int64{c, d}},
		{fmt.Sprintf("where=customer_id:GTE:%d,customer_id:LT:%d", f, h), []int64{f, g}},
		{fmt.Sprintf("where=customer_id:EQUALS:%d", h), []int64{h}},
		{"where=customer_id:GT:-5", all},
		{"where=customer_id:LT:0", nil},

		// Order: nulls first ascending, last descending; ties by id ascending.
		{"order=company", []int64{d, i, c, b, a, f, g, h}},
		{"order=company:ASC", []int64{d, i, c, b, a, f, g, h}},
		{"order=company:asc", []int64{d, i, c, b, a, f, g, h}},
		{"order=company:DESC", []int64{h, f, g, a, b, c, d, i}},
		{"order=company:desc", []int64{h, f, g, a, b, c, d, i}},
		{"order=company:DESC,customer_id:DESC", []int64{h, g, f, a, b, c, i, d}},
		{"order=superuser_email", []int64{b, f, h, i, a, d, c, g}},
		{"order=superuser_email:DESC", []int64{g, c, a, d, b, f, h, i}},
		{"order=superuser_email:DESC,company:ASC", []int64{g, c, d, a, i, b, f, h}},
		{"order=superuser_email:DESC,company:DESC", []int64{g, c, a, d, h, f, b, i}},
		{"order=external_key", []int64{b, d, g, h, i, f, a, c}},
		{"order=external_key:DESC", []int64{c, a, f, b, d, g, h, i}},
		{"order=customer_id:DESC", []int64{i, h, g, f, d, c, b, a}},
		{"order=customer_id:ASC", all},
		{"where=company:CONTAINS:acme&order=company:DESC", []int64{f, g, a, b}},
		{"where=company:ISNOT:NULL&order=company:DESC", []int64{h, f, g, a, b, c}},

		// Paging applies after ordering; offset past the end is [].
		{"order=company:DESC&limit=2&offset=1", []int64{f, g}},
		{"order=company&limit=3", []int64{d, i, c}},
		{"order=company:DESC&offset=6", []int64{d, i}},
		{"offset=7", []int64{i}},
		{"offset=8", nil},
		{"offset=1000", nil},
		{"offset=9223372036854775807", nil},
		{"where=company:IS:NULL&offset=2", nil},
		{"limit=0&offset=8", nil},
	})
	if n := count(t, e.co("GET", "/api/v3/customer/_count?offset=1000&limit=1", "")); n != len(all) {
		t.Errorf("_count with offset past the end = %d, want %d", n, len(all))
	}
}

// TestCreditcardQuerySemantics: cards with and without external keys.
func TestCreditcardQuerySemantics(t *testing.T) {
	e := newEnv(t)
	p := e.mustCustomer(`{"company":"P"}`)
	q := e.mustCustomer(`{"company":"Q"}`)
	pan := func(i int) string { return luhn("4000" + fmt.Sprintf("%011d", i)) }
	c1 := e.mustCard(p, pan(1), `,"external_key":"card-A"`)
	c2 := e.mustCard(p, pan(2), "")
	c3 := e.mustCard(p, pan(3), `,"external_key":"CARD-b"`)
	c4 := e.mustCard(p, pan(4), "")
	c5 := e.mustCard(q, pan(5), `,"external_key":"x%_y"`)
	c6 := e.mustCard(q, pan(6), "")
	all := []int64{c1, c2, c3, c4, c5, c6}

	wantQueryIDs(t, e, "creditcard", "creditcard_id", []queryCase{
		{"", all},
		{"where=external_key:NOTEQUALS:card-A", []int64{c3, c5}},
		{fmt.Sprintf("where=creditcard_id:NOTEQUALS:%d", c1), []int64{c2, c3, c4, c5, c6}},
		{fmt.Sprintf("where=customer_id:NOTEQUALS:%d", p), []int64{c5, c6}},
		{"where=external_key:IS:NULL", []int64{c2, c4, c6}},
		{"where=external_key:ISNOT:null", []int64{c1, c3, c5}},
		{"where=token:IS:NULL", nil},
		{"where=token:ISNOT:NULL", all},
		{"where=external_key:CONTAINS:card-", []int64{c1, c3}},
		{"where=external_key:CONTAINS:CARD-B", []int64{c3}},
		{"where=external_key:CONTAINS:%25_", []int64{c5}},
		{"where=external_key:CONTAINS:d%25", nil},
		{"where=external_key:CONTAINS:c_rd", nil},
		{"where=external_key:CONTAINS:", []int64{c1, c3, c5}},
		{"where=external_key:EQUALS:card-a", nil},
		{"where=external_key:EQUALS:card-A", []int64{c1}},
		{"where=external_key:GT:CARD-b", []int64{c1, c5}}, // 'c' > 'C'
		{"where=external_key:LT:card", []int64{c3}},
		{"where=external_key:LTE:card-A", []int64{c1, c3}},
		{"where=external_key:GTE:x", []int64{c5}},
		{fmt.Sprintf("where=customer_id:EQUALS:%d&where=external_key:ISNOT:NULL", p), []int64{c1, c3}},
		{fmt.Sprintf("where=creditcard_id:GT:%d,creditcard_id:LTE:%d", c2, c5), []int64{c3, c4, c5}},

		{"order=external_key", []int64{c2, c4, c6, c3, c1, c5}},
		{"order=external_key:DESC", []int64{c5, c1, c3, c2, c4, c6}},
		{fmt.Sprintf("where=customer_id:EQUALS:%d&order=external_key:DESC", p), []int64{c1, c3, c2, c4}},
		{"order=customer_id:DESC", []int64{c5, c6, c1, c2, c3, c4}},
		{"order=customer_id:DESC,external_key:DESC", []int64{c5, c6, c1, c3, c2, c4}},
		{"order=customer_id,external_key", []int64{c2, c4, c3, c1, c6, c5}},
		{"order=creditcard_id:DESC", []int64{c6, c5, c4, c3, c2, c1}},

		{"order=external_key:DESC&offset=3&limit=2", []int64{c2, c4}},
		{"offset=6", nil},
		{"offset=100", nil},
		{"where=external_key:ISNOT:NULL&offset=3", nil},
	})
}

// TestListLimitClamping: limit absent/empty/0 → 10 when more exist; above
// 500, of any size → 500 (§3.6), for both resources.
func TestListLimitClamping(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 505 customers and 505 cards")
	}
	e := newEnv(t)
	const n = 505
	customers := make([]int64, n)
	for k := range customers {
		customers[k] = e.mustCustomer(fmt.Sprintf(`{"company":"c%03d"}`, k))
	}
	cards := make([]int64, n)
	for k := range cards {
		cards[k] = e.mustCard(customers[0], luhn("4000"+fmt.Sprintf("%011d", k)), fmt.Sprintf(`,"external_key":"c%03d"`, k))
	}
	for _, res := range []struct {
		typ, idField, textField string // textField holds "c000"…"c504"
		all                     []int64
	}{{"customer", "customer_id", "company", customers}, {"creditcard", "creditcard_id", "external_key", cards}} {
		all := res.all
		for _, tt := range []struct {
			query string
			want  []int64
		}{
			{"", all[:10]},
			{"limit=", all[:10]},
			{"limit=0", all[:10]},
			{"limit=00", all[:10]},
			{"limit=1", all[:1]},
			{"limit=499", all[:499]},
			{"limit=500", all[:500]},
			{"limit=501", all[:500]},
			{"limit=100000", all[:500]},
			{"limit=99999999999999999999999999", all[:500]},
			{"limit=0&offset=500", all[500:]},
			{"limit=100000&offset=3", all[3:503]},
			{"limit=100000&offset=500", all[500:]},
			{"limit=100000&offset=505", nil},
			{"order=" + res.idField + ":DESC&limit=100000", reversed(all)[:500]},
			{"where=" + res.textField + ":GTE:c500&limit=0", all[500:]},
			{"where=" + res.textField + ":CONTAINS:c&limit=100000&order=" + res.textField + ":DESC", reversed(all)[:500]},
		} {
			got := ids(list(t, e.co("GET", "/api/v3/"+res.typ+"?"+tt.query, "")), res.idField)
			if fmt.Sprint(got) != fmt.Sprint(orNone(tt.want)) {
				t.Errorf("%s?%s: got %d ids %v…, want %d", res.typ, tt.query, len(got), head(got), len(tt.want))
			}
		}
		if got := count(t, e.co("GET", "/api/v3/"+res.typ+"/_count?limit=1", "")); got != n {
			t.Errorf("%s/_count = %d, want %d", res.typ, got, n)
		}
	}
}

func reversed(v []int64) []int64 {
	out := make([]int64, len(v))
	for k, x := range v {
		out[len(v)-1-k] = x
	}
	return out
}

func head(v []int64) []int64 {
	if len(v) > 5 {
		return v[:5]
	}
	return v
}
