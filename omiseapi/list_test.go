package omiseapi_test

import (
	"strings"
	"testing"
	"time"
)

// listFixture is a customer with three cards tokenized at t0, t0+10s and
// t0+20s, and the clock at t0+60s.
func listFixture(t *testing.T) (*env, string, []string) {
	t.Helper()
	e := newEnv(t)
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	var cards []string
	for _, n := range []string{"4242424242424242", "5555555555554444", "378282246310005"} {
		cvv := "123"
		if n[0] == '3' {
			cvv = "1234"
		}
		tok, card := e.MustToken(t, n, "security_code", cvv)
		e.MustAttach(t, e.SK, cust, tok)
		cards = append(cards, card)
		e.Clock.Advance(10 * time.Second)
	}
	e.Clock.Advance(30 * time.Second)
	return e, cust, cards
}

// TestListCards covers GET /customers/{cust}/cards and the list parameters of §2.6.
func TestListCards(t *testing.T) {
	e, cust, c := listFixture(t)
	path := "/customers/" + cust + "/cards"
	now := ts(e.Clock.Now())
	tests := []struct {
		name      string
		query     string // appended to the path
		ct, body  string
		wantIDs   []string
		want      map[string]string
		errMsg    string
		errStatus int
	}{
		{name: "defaults", wantIDs: c, want: map[string]string{"object": `"list"`, "limit": `20`, "offset": `0`, "total": `3`,
			"order": `"chronological"`, "from": `"1970-01-01T00:00:00Z"`, "to": q(now), "location": q(path)}},
		{name: "limit and offset", query: "?limit=1&offset=1", wantIDs: c[1:2], want: map[string]string{"limit": `1`, "offset": `1`, "total": `3`}},
		{name: "limit 0 means 20", query: "?limit=0", wantIDs: c, want: map[string]string{"limit": `20`}},
		{name: "limit 100", query: "?limit=100", wantIDs: c, want: map[string]string{"limit": `100`}},
		{name: "limit 101 clamps", query: "?limit=101", wantIDs: c, want: map[string]string{"limit": `100`}},
		{name: "limit 500 clamps", query: "?limit=500", wantIDs: c, want: map[string]string{"limit": `100`}},
		{name: "huge limit clamps", query: "?limit=99999999999999", wantIDs: c, want: map[string]string{"limit": `100`}},
		{name: "empty values are defaults", query: "?limit=&offset=&order=&from=&to=", wantIDs: c,
			want: map[string]string{"limit": `20`, "offset": `0`, "order": `"chronological"`, "to": q(now)}},
		{name: "offset past the end", query: "?offset=5", wantIDs: []string{}, want: map[string]string{"total": `3`, "offset": `5`}},
		{name: "reverse", query: "?order=reverse_chronological", wantIDs: []string{c[2], c[1], c[0]},
			want: map[string]string{"order": `"reverse_chronological"`}},
		{name: "reverse with limit", query: "?order=reverse_chronological&limit=2&offset=0", wantIDs: []string{c[2], c[1]},
			want: map[string]string{"total": `3`}},
		{name: "chronological explicit", query: "?order=chronological", wantIDs: c},
		{name: "from", query: "?from=" + ts(t0.Add(5*time.Second)), wantIDs: c[1:],
			want: map[string]string{"total": `2`, "from": q(ts(t0.Add(5 * time.Second)))}},
		{name: "from is inclusive", query: "?from=" + ts(t0.Add(10*time.Second)), wantIDs: c[1:]},
		{name: "to", query: "?to=" + ts(t0.Add(15*time.Second)), wantIDs: c[:2],
			want: map[string]string{"total": `2`, "to": q(ts(t0.Add(15 * time.Second)))}},
		{name: "to is inclusive", query: "?to=" + ts(t0.Add(10*time.Second)), wantIDs: c[:2]},
		{name: "window", query: "?from=" + ts(t0.Add(5*time.Second)) + "&to=" + ts(t0.Add(15*time.Second)), wantIDs: c[1:2],
			want: map[string]string{"total": `1`}},
		{name: "from with fraction", query: "?from=2026-11-21T10:15:35.123Z", wantIDs: c[1:],
			want: map[string]string{"from": `"2026-11-21T10:15:35Z"`}},
		{name: "from with offset", query: "?from=2026-11-21T17:15:35%2B07:00", wantIDs: c[1:],
			want: map[string]string{"from": `"2026-11-21T10:15:35Z"`}},
		{name: "to in the future", query: "?to=2030-01-01T00:00:00Z", wantIDs: c, want: map[string]string{"to": `"2030-01-01T00:00:00Z"`}},
		{name: "from after to", query: "?from=" + ts(t0.Add(20*time.Second)) + "&to=" + ts(t0), wantIDs: []string{},
			want: map[string]string{"total": `0`, "from": q(ts(t0.Add(20 * time.Second))), "to": q(ts(t0))}},
		{name: "json body", ct: ctJSON, body: `{"limit":1,"offset":1}`, wantIDs: c[1:2],
			want: map[string]string{"limit": `1`, "offset": `1`, "total": `3`}},
		{name: "json body numbers as strings and 1.0", ct: ctJSON, body: `{"limit":"1","offset":2.0,"order":"reverse_chronological"}`,
			wantIDs: c[0:1], want: map[string]string{"limit": `1`, "offset": `2`}},
		{name: "json body with omise-go from", ct: ctJSON, body: `{"from":"2026-11-21T10:15:35.123Z"}`, wantIDs: c[1:]},
		{name: "form body", ct: ctForm, body: "limit=2&order=reverse_chronological", wantIDs: []string{c[2], c[1]}},
		{name: "no content type body", body: `{"limit":2}`, wantIDs: c[:2]},
		{name: "query wins over body", query: "?limit=1", ct: ctJSON, body: `{"limit":2,"offset":1}`, wantIDs: c[1:2],
			want: map[string]string{"limit": `1`, "offset": `1`}},
		{name: "empty query value wins over body", query: "?limit=", ct: ctJSON, body: `{"limit":2}`, wantIDs: c,
			want: map[string]string{"limit": `20`}},
		{name: "unknown params ignored", query: "?foo=bar&expand=true", wantIDs: c},

		{name: "limit -1", query: "?limit=-1", errStatus: 400, errMsg: "limit is invalid"},
		{name: "limit abc", query: "?limit=abc", errStatus: 400, errMsg: "limit is invalid"},
		{name: "limit 1.5", query: "?limit=1.5", errStatus: 400, errMsg: "limit is invalid"},
		{name: "json limit 1.5", ct: ctJSON, body: `{"limit":1.5}`, errStatus: 400, errMsg: "limit is invalid"},
		{name: "json limit -1", ct: ctJSON, body: `{"limit":-1}`, errStatus: 400, errMsg: "limit is invalid"},
		{name: "json limit object", ct: ctJSON, body: `{"limit":{"a":1}}`, errStatus: 400, errMsg: "limit is invalid"},
		{name: "offset -1", query: "?offset=-1", errStatus: 400, errMsg: "offset is invalid"},
		{name: "offset x", query: "?offset=x", errStatus: 400, errMsg: "offset is invalid"},
		{name: "order sideways", query: "?order=sideways", errStatus: 400, errMsg: "order is invalid"},
		{name: "json order array", ct: ctJSON, body: `{"order":["chronological"]}`, errStatus: 400, errMsg: "order is invalid"},
		{name: "from yesterday", query: "?from=yesterday", errStatus: 400, errMsg: "from is invalid"},
		{name: "from date only", query: "?from=2026-11-21", errStatus: 400, errMsg: "from is invalid"},
		{name: "to tomorrow", query: "?to=tomorrow", errStatus: 400, errMsg: "to is invalid"},
		{name: "query value never echoed", query: "?limit=4242424242424242x", errStatus: 400, errMsg: "limit is invalid"},
		{name: "invalid json body", ct: ctJSON, body: `{"limit":`, errStatus: 400, errMsg: "request body is not valid JSON"},
		{name: "unsupported content type", ct: "text/plain", body: "limit=1", errStatus: 400, errMsg: "content type is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "GET", path+tc.query, e.SK, tc.ct, tc.body)
			if tc.errStatus != 0 {
				wantError(t, st, body, tc.errStatus, "bad_request", tc.errMsg)
				return
			}
			if st != 200 {
				t.Fatalf("status %d: %v", st, body)
			}
			wantKeys(t, body, "", listKeys...)
			if got := ids(t, body); strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids:\n got %v\nwant %v", got, tc.wantIDs)
			}
			check(t, body, tc.want)
		})
	}

	// The customer lookup: unknown, other mode, other account → 404.
	_, osk, _, _ := e.NewAccount(t)
	for _, key := range []string{e.LSK, osk} {
		st, body := e.do(t, "GET", path, key, "", "")
		wantError(t, st, body, 404, "not_found", "customer "+cust+" was not found")
	}
	st, body := e.do(t, "GET", "/customers/cust_test_nosuchcustomer00000/cards", e.SK, "", "")
	wantError(t, st, body, 404, "not_found", "customer cust_test_nosuchcustomer00000 was not found")
}

// TestListCustomers covers GET /customers (§2.6).
func TestListCustomers(t *testing.T) {
	e := newEnv(t)
	var custs []string
	for i := range 3 {
		tok, _ := e.MustToken(t, "4242424242424242")
		c := e.MustCustomer(t, e.SK, form("email", "c"+string(rune('0'+i))+"@example.com", "card", tok))
		custs = append(custs, str(t, c, "id"))
		e.Clock.Advance(10 * time.Second)
	}
	// Noise that must never show: a live customer, another account's, a deleted one.
	e.MustCustomer(t, e.LSK, "")
	_, osk, _, _ := e.NewAccount(t)
	e.MustCustomer(t, osk, "")
	gone := str(t, e.MustCustomer(t, e.SK, ""), "id")
	if st, _ := e.do(t, "DELETE", "/customers/"+gone, e.SK, "", ""); st != 200 {
		t.Fatal(st)
	}

	body := e.MustGet(t, "/customers", e.SK)
	wantKeys(t, body, "", listKeys...)
	wantKeys(t, body, "data.0", customerKeys...)
	check(t, body, map[string]string{"object": `"list"`, "location": `"/customers"`, "total": `3`, "limit": `20`,
		"offset": `0`, "order": `"chronological"`, "from": `"1970-01-01T00:00:00Z"`, "to": q(ts(e.Clock.Now())),
		"data.0.email": `"c0@example.com"`, "data.0.cards.total": `1`})
	if got := ids(t, body); strings.Join(got, ",") != strings.Join(custs, ",") {
		t.Errorf("ids:\n got %v\nwant %v", got, custs)
	}
	if d, _ := lookup(body, "data.0"); lit(d) != lit(e.MustGet(t, "/customers/"+custs[0], e.SK)) {
		t.Errorf("listed customer differs from GET")
	}
	tests := []struct {
		query   string
		wantIDs []string
		want    map[string]string
	}{
		{"?limit=2", custs[:2], map[string]string{"limit": `2`, "total": `3`}},
		{"?limit=1&offset=2", custs[2:], map[string]string{"total": `3`}},
		{"?order=reverse_chronological&limit=2", []string{custs[2], custs[1]}, map[string]string{"order": `"reverse_chronological"`}},
		{"?from=" + ts(t0.Add(10*time.Second)), custs[1:], map[string]string{"total": `2`}},
		{"?to=" + ts(t0.Add(10*time.Second)), custs[:2], map[string]string{"total": `2`}},
		{"?from=" + ts(t0.Add(time.Hour)) + "&to=" + ts(t0), []string{}, map[string]string{"total": `0`}},
		{"?limit=500", custs, map[string]string{"limit": `100`}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			body := e.MustGet(t, "/customers"+tc.query, e.SK)
			if got := ids(t, body); strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids:\n got %v\nwant %v", got, tc.wantIDs)
			}
			check(t, body, tc.want)
		})
	}
	for _, tc := range []struct{ query, msg string }{
		{"?limit=-1", "limit is invalid"}, {"?limit=abc", "limit is invalid"}, {"?offset=-5", "offset is invalid"},
		{"?order=sideways", "order is invalid"}, {"?from=yesterday", "from is invalid"}, {"?to=x", "to is invalid"},
	} {
		st, body := e.do(t, "GET", "/customers"+tc.query, e.SK, "", "")
		wantError(t, st, body, 400, "bad_request", tc.msg)
	}
	// The live key sees only the live customer.
	check(t, e.MustGet(t, "/customers", e.LSK), map[string]string{"total": `1`, "data.0.livemode": `true`,
		"data.0.id": `~^cust_[0-9a-z]{19}$`})
}
