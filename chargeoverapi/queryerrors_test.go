package chargeoverapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// The error table of API.md §3.6, over HTTP against a real server, for both
// resources, on the list and on _count. Every query error is exactly
// 400 "Missing or invalid parameter." with response:false and one details
// entry per offending parameter (its first problem), conditions numbered
// from 1 across all where parameters.

// queryErrorCase is one request and the complete details it must produce.
type queryErrorCase struct {
	query   string
	details map[string]string
}

func whereDetail(n int, problem string) map[string]string {
	return map[string]string{"where": fmt.Sprintf("condition %d: %s", n, problem)}
}

func orderDetail(n int, problem string) map[string]string {
	return map[string]string{"order": fmt.Sprintf("key %d: %s", n, problem)}
}

const nonNegative = "must be a non-negative integer"

// commonQueryErrors hold for both /creditcard and /customer: they use only
// the fields both schemas share (customer_id, external_key, token) or fields
// neither has.
var commonQueryErrors = []queryErrorCase{
	// Malformed conditions (steps 3–5).
	{"where=customer_id:EQUALS", whereDetail(1, "malformed")},
	{"where=customer_id%3AEQUALS", whereDetail(1, "malformed")},
	{"where=customer_id", whereDetail(1, "malformed")},
	{"where=customer_id:EQUALS:1,", whereDetail(2, "malformed")},   // trailing comma
	{"where=customer_id:EQUALS:1%2C", whereDetail(2, "malformed")}, // an encoded comma still separates
	{"where=,customer_id:EQUALS:1", whereDetail(1, "malformed")},   // leading comma
	{"where=customer_id:GT:0,,token:IS:NULL", whereDetail(2, "malformed")},
	{`where=customer_id:EQUALS:1\`, whereDetail(1, "malformed")},                 // trailing backslash
	{"where=customer_id:EQUALS:1%5C", whereDetail(1, "malformed")},               // the same, encoded
	{`where=external_key:EQUALS:abc\`, whereDetail(1, "malformed")},              // string field too
	{`where=external_key:EQUALS:a\\\`, whereDetail(1, "malformed")},              // escaped backslash, then a lone one
	{`where=external_key:EQUALS:x\,token:IS:NULL\`, whereDetail(1, "malformed")}, // "\," joins: one condition
	{`where=token:IS:NULL,customer_id:EQUALS:1\`, whereDetail(2, "malformed")},
	{"where=:EQUALS:1", whereDetail(1, "malformed")},      // empty field
	{"where=customer_id::1", whereDetail(1, "malformed")}, // empty operator
	{"where=::", whereDetail(1, "malformed")},
	{"where=%3AEQUALS%3A1", whereDetail(1, "malformed")},
	{`where=customer_id\:EQUALS:1`, whereDetail(1, "malformed")}, // an escaped colon does not split
	{`where=customer_id:EQUALS\:1`, whereDetail(1, "malformed")},

	// Fields that are not filterable, card data first.
	{"where=number:EQUALS:4111111111111111", whereDetail(1, "field is not filterable")},
	{"where=number:CONTAINS:4111", whereDetail(1, "field is not filterable")},
	{"where=number:IS:NULL", whereDetail(1, "field is not filterable")},
	{"where=number:LIKE:4111", whereDetail(1, "field is not filterable")}, // the field is checked before the operator
	{"where=cvv:EQUALS:123", whereDetail(1, "field is not filterable")},
	{"where=expdate:EQUALS:2030-05-01", whereDetail(1, "field is not filterable")},
	{"where=expdate_year:GT:2029", whereDetail(1, "field is not filterable")},
	{"where=expdate_month:EQUALS:5", whereDetail(1, "field is not filterable")},
	{"where=mask_number:EQUALS:x1111", whereDetail(1, "field is not filterable")},
	{"where=mask_and_bin_number:CONTAINS:411111", whereDetail(1, "field is not filterable")},
	{"where=omise_id:EQUALS:card_test_x", whereDetail(1, "field is not filterable")},
	{"where=write_datetime:GT:2020", whereDetail(1, "field is not filterable")},
	{"where=foo:EQUALS:1", whereDetail(1, "field is not filterable")},
	{"where=CUSTOMER_ID:EQUALS:1", whereDetail(1, "field is not filterable")}, // field names are exact
	{"where=%20customer_id:EQUALS:1", whereDetail(1, "field is not filterable")},
	{"where=pan_sealed:IS:NULL", whereDetail(1, "field is not filterable")},
	{"where=customer_id:GT:0,number:EQUALS:4242424242424242", whereDetail(2, "field is not filterable")},

	// Unknown operators, and IS/ISNOT not followed by NULL.
	{"where=customer_id:LIKE:42", whereDetail(1, "unknown operator")},
	{"where=customer_id:IS:foo", whereDetail(1, "unknown operator")},
	{"where=external_key:IS:foo", whereDetail(1, "unknown operator")},
	{"where=customer_id:ISNOT:1", whereDetail(1, "unknown operator")},
	{"where=token:IS:", whereDetail(1, "unknown operator")},
	{"where=token:ISNOT:NUL", whereDetail(1, "unknown operator")},
	{"where=token:IS:NULL%20", whereDetail(1, "unknown operator")},
	{"where=token:IS:NULL:x", whereDetail(1, "unknown operator")},
	{"where=customer_id:EQ:1", whereDetail(1, "unknown operator")},
	{"where=customer_id:IN:1", whereDetail(1, "unknown operator")},
	{"where=customer_id:BETWEEN:1", whereDetail(1, "unknown operator")},
	{"where=customer_id:ISNULL:x", whereDetail(1, "unknown operator")},
	{"where=customer_id:EQUALS%20:1", whereDetail(1, "unknown operator")},
	{"where=customer_id:LIKE:1,foo:EQUALS:1", whereDetail(1, "unknown operator")}, // first problem only

	// CONTAINS on an integer field, checked before the value.
	{"where=customer_id:CONTAINS:1", whereDetail(1, "operator not allowed for field")},
	{"where=customer_id:contains:1", whereDetail(1, "operator not allowed for field")},
	{"where=customer_id:CONTAINS:abc", whereDetail(1, "operator not allowed for field")},
	{"where=customer_id:CONTAINS:", whereDetail(1, "operator not allowed for field")},

	// Integer values must match -?[0-9]{1,18}.
	{"where=customer_id:EQUALS:abc", whereDetail(1, "invalid value")},
	{"where=customer_id:EQUALS:1234567890123456789", whereDetail(1, "invalid value")},  // 19 digits
	{"where=customer_id:EQUALS:0000000000000000001", whereDetail(1, "invalid value")},  // 19 digits, small
	{"where=customer_id:EQUALS:-1234567890123456789", whereDetail(1, "invalid value")}, // 19 digits, negative
	{"where=customer_id:EQUALS:99999999999999999999999", whereDetail(1, "invalid value")},
	{"where=customer_id:GT:1.5", whereDetail(1, "invalid value")},
	{"where=customer_id:LT:%2B1", whereDetail(1, "invalid value")},
	{"where=customer_id:LT:+1", whereDetail(1, "invalid value")}, // "+" decodes to a space
	{"where=customer_id:EQUALS:%201", whereDetail(1, "invalid value")},
	{"where=customer_id:EQUALS:", whereDetail(1, "invalid value")},
	{"where=customer_id:EQUALS:-", whereDetail(1, "invalid value")},
	{"where=customer_id:NOTEQUALS:--1", whereDetail(1, "invalid value")},
	{"where=customer_id:GTE:1e3", whereDetail(1, "invalid value")},
	{"where=customer_id:LTE:0x10", whereDetail(1, "invalid value")},
	{"where=customer_id:EQUALS:%EF%BC%91", whereDetail(1, "invalid value")}, // fullwidth 1
	{`where=customer_id:EQUALS:1\,`, whereDetail(1, "invalid value")},       // escaped comma is part of the value
	{"where=customer_id:EQUALS:1:2", whereDetail(1, "invalid value")},       // further colons belong to the value

	// N counts across where parameters; empty ones are skipped.
	{"where=customer_id:GT:0&where=foo:EQUALS:1", whereDetail(2, "field is not filterable")},
	{"where=customer_id:GT:0,token:ISNOT:NULL&where=customer_id:LIKE:1", whereDetail(3, "unknown operator")},
	{"where=&where=foo:EQUALS:1", whereDetail(1, "field is not filterable")},
	{"where=customer_id:GT:0&where=&where=customer_id:EQUALS", whereDetail(2, "malformed")},
	{"where=foo:EQUALS:1&where=customer_id:LIKE:1", whereDetail(1, "field is not filterable")},
	{"where=customer_id:GT:0&where=customer_id:GT:0,customer_id:CONTAINS:1", whereDetail(3, "operator not allowed for field")},
	{"where=customer_id:GT:0&_dummy=1&where=customer_id:EQUALS:abc", whereDetail(2, "invalid value")},
	{"where=customer_id:GT:0&where=customer_id:GT:0&where=customer_id:GT:0&where=customer_id:EQUALS:1,", whereDetail(5, "malformed")},

	// order.
	{"order=,", orderDetail(1, "malformed")},
	{"order=,customer_id", orderDetail(1, "malformed")},
	{"order=customer_id:ASC,", orderDetail(2, "malformed")},
	{"order=customer_id:DESC,,token", orderDetail(2, "malformed")},
	{"order=:ASC", orderDetail(1, "malformed")},
	{"order=customer_id:", orderDetail(1, "malformed")},
	{"order=number", orderDetail(1, "field is not sortable")},
	{"order=number:DESC", orderDetail(1, "field is not sortable")},
	{"order=cvv", orderDetail(1, "field is not sortable")},
	{"order=expdate:ASC", orderDetail(1, "field is not sortable")},
	{"order=mask_number", orderDetail(1, "field is not sortable")},
	{"order=foo", orderDetail(1, "field is not sortable")},
	{"order=CUSTOMER_ID", orderDetail(1, "field is not sortable")},
	{"order=customer_id:ASC,mask_number:DESC", orderDetail(2, "field is not sortable")},
	{"order=foo:UP", orderDetail(1, "field is not sortable")}, // the field is checked before the direction
	{"order=customer_id:UP", orderDetail(1, "invalid direction")},
	{"order=customer_id:ASCENDING", orderDetail(1, "invalid direction")},
	{"order=customer_id:DSC", orderDetail(1, "invalid direction")},
	{"order=customer_id:%20ASC", orderDetail(1, "invalid direction")},
	{"order=customer_id:asc,token:down", orderDetail(2, "invalid direction")},
	{"order=customer_id:UP&order=customer_id", orderDetail(1, "invalid direction")}, // the first occurrence counts

	// limit and offset.
	{"limit=abc", map[string]string{"limit": nonNegative}},
	{"limit=-1", map[string]string{"limit": nonNegative}},
	{"limit=1.5", map[string]string{"limit": nonNegative}},
	{"limit=%2B1", map[string]string{"limit": nonNegative}},
	{"limit=+1", map[string]string{"limit": nonNegative}},
	{"limit=%201", map[string]string{"limit": nonNegative}},
	{"limit=1e3", map[string]string{"limit": nonNegative}},
	{"limit=0x10", map[string]string{"limit": nonNegative}},
	{"limit=abc&limit=5", map[string]string{"limit": nonNegative}}, // the first occurrence counts
	{"offset=-1", map[string]string{"offset": nonNegative}},
	{"offset=abc", map[string]string{"offset": nonNegative}},
	{"offset=1.5", map[string]string{"offset": nonNegative}},
	{"offset=%2B0", map[string]string{"offset": nonNegative}},
	{"offset=9223372036854775808", map[string]string{"offset": nonNegative}},
	{"offset=99999999999999999999", map[string]string{"offset": nonNegative}},
	{"offset=-1&offset=0", map[string]string{"offset": nonNegative}},

	// Several at once: one entry per offending parameter.
	{"where=foo:EQUALS:1&order=bar&limit=x", map[string]string{
		"where": "condition 1: field is not filterable", "order": "key 1: field is not sortable", "limit": nonNegative}},
	{"limit=x&order=customer_id:UP&where=customer_id:CONTAINS:1", map[string]string{
		"where": "condition 1: operator not allowed for field", "order": "key 1: invalid direction", "limit": nonNegative}},
	{"where=customer_id:EQUALS&order=customer_id:UP&limit=-1&offset=abc", map[string]string{
		"where": "condition 1: malformed", "order": "key 1: invalid direction", "limit": nonNegative, "offset": nonNegative}},
	{"where=customer_id:GT:0&where=cvv:EQUALS:123,foo:LIKE:1&order=token,number&offset=1.5", map[string]string{
		"where": "condition 2: field is not filterable", "order": "key 2: field is not sortable", "offset": nonNegative}},
}

// Errors that depend on the resource's own fields.
var creditcardQueryErrors = []queryErrorCase{
	{"where=creditcard_id:CONTAINS:1", whereDetail(1, "operator not allowed for field")},
	{"where=creditcard_id:EQUALS:abc", whereDetail(1, "invalid value")},
	{"where=creditcard_id:EQUALS:1234567890123456789", whereDetail(1, "invalid value")},
	{"where=creditcard_id:IS:1", whereDetail(1, "unknown operator")},
	{"where=company:CONTAINS:a", whereDetail(1, "field is not filterable")},
	{"where=superuser_email:IS:NULL", whereDetail(1, "field is not filterable")},
	{"where=name:EQUALS:John", whereDetail(1, "field is not filterable")},
	{"where=type:EQUALS:visa", whereDetail(1, "field is not filterable")},
	{"order=company", orderDetail(1, "field is not sortable")},
	{"order=creditcard_id:DESC,name", orderDetail(2, "field is not sortable")},
	{"order=creditcard_id:UP", orderDetail(1, "invalid direction")},
}

var customerQueryErrors = []queryErrorCase{
	{"where=creditcard_id:EQUALS:1", whereDetail(1, "field is not filterable")},
	{"where=superuser_name:EQUALS:Jane", whereDetail(1, "field is not filterable")},
	{"where=superuser_phone:IS:NULL", whereDetail(1, "field is not filterable")},
	{"where=company:LIKE:Acme", whereDetail(1, "unknown operator")},
	{"where=superuser_email:IS:nothing", whereDetail(1, "unknown operator")},
	{"where=company:CONTAINS:a,customer_id:CONTAINS:1", whereDetail(2, "operator not allowed for field")},
	{"order=creditcard_id", orderDetail(1, "field is not sortable")},
	{"order=superuser_name:DESC", orderDetail(1, "field is not sortable")},
	{"order=company:DESC,superuser_email:SIDEWAYS", orderDetail(2, "invalid direction")},
}

// TestQueryErrorTableOverHTTP sends every case to the list and to _count of
// both resources. The list answers with exactly the case's details; _count
// reads only where, so it answers with the where entry alone, or 200 when
// only order/limit/offset are bad.
func TestQueryErrorTableOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.mustFixture()
	resources := []struct {
		typ   string
		cases []queryErrorCase
		total int
	}{
		{"creditcard", append(append([]queryErrorCase{}, commonQueryErrors...), creditcardQueryErrors...), 2},
		{"customer", append(append([]queryErrorCase{}, commonQueryErrors...), customerQueryErrors...), 1},
	}
	for _, res := range resources {
		for _, tt := range res.cases {
			t.Run(res.typ+"?"+tt.query, func(t *testing.T) {
				e := e.with(t)
				r := e.co("GET", "/api/v3/"+res.typ+"?"+tt.query, "")
				wantError(t, r, 400, badParam, tt.details)
				noQueryEcho(t, r)

				rc := e.co("GET", "/api/v3/"+res.typ+"/_count?"+tt.query, "")
				if w, ok := tt.details["where"]; ok {
					wantError(t, rc, 400, badParam, map[string]string{"where": w})
					noQueryEcho(t, rc)
				} else if n := count(t, rc); n != res.total {
					t.Errorf("_count with bad order/limit/offset = %d, want %d", n, res.total)
				}
			})
		}
	}
}

// noQueryEcho: no client text of the query reaches the body (§1.5, §3.6).
func noQueryEcho(t *testing.T, r *resp) {
	t.Helper()
	for _, s := range []string{"4111", "4242", "foo", "abc", "LIKE", "EQUALS", "ASCENDING", "UP", "bar", "1.5", "-1"} {
		if strings.Contains(string(r.body), s) {
			t.Errorf("body echoes %q: %s", s, r.body)
		}
	}
}

// TestQueryValidEdgesOverHTTP: the boundaries just inside the rules are
// accepted (200) on the list and on _count of both resources.
func TestQueryValidEdgesOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.mustFixture()
	valid := []string{
		"where=customer_id:EQUALS:999999999999999999", // 18 digits
		"where=customer_id:GT:-999999999999999999",    // 18 digits, negative
		"where=customer_id:EQUALS:000000000000000001", // 18 digits, leading zeros
		`where=external_key:EQUALS:a\\`,               // value a\
		`where=external_key:EQUALS:\a\b`,              // \x is x
		"where=external_key:EQUALS:",                  // an empty string value
		"where=external_key:CONTAINS:",                // matches every non-null
		"where=token:is:null", "where=token:ISNOT:Null", "where=customer_id:IS:NULL",
		"where=customer_id:equals:1", "where=customer_id:NotEquals:1", "where=customer_id:gte:1,customer_id:lte:9",
		"where=&where=", "where=&order=&limit=&offset=",
		"order=customer_id:desc", "order=customer_id:Asc", "order=token,customer_id", "order=external_key:DESC,token:asc",
		"limit=0", "limit=500", "limit=501", "limit=007", "limit=100000", "limit=99999999999999999999999",
		"offset=0", "offset=9223372036854775807", "offset=00",
		"limit=5&limit=abc", "offset=0&offset=-1", "order=customer_id&order=foo:UP", // the first occurrence counts
		"_dummy=1&_flag_emails=0&_flag_webhooks=0&action=x",
	}
	for _, typ := range []string{"creditcard", "customer"} {
		for _, q := range valid {
			t.Run(typ+"?"+q, func(t *testing.T) {
				e := e.with(t)
				list(t, e.co("GET", "/api/v3/"+typ+"?"+q, ""))
				count(t, e.co("GET", "/api/v3/"+typ+"/_count?"+q, ""))
			})
		}
	}
}

// TestCountIgnoresOrderLimitOffset: _count answers 200 with the filtered
// count whatever order, limit and offset say.
func TestCountIgnoresOrderLimitOffset(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	other := e.mustCustomer(`{"company":"Other"}`)
	e.mustCard(other, "4111111111111111", "")
	bad := []string{
		"order=number:UP", "order=,", "order=foo", "order=customer_id:UP",
		"limit=abc", "limit=-1", "limit=1", "offset=-1", "offset=abc", "offset=5",
		"offset=9223372036854775808", "order=bar&limit=x&offset=1.5",
	}
	for _, b := range bad {
		for _, tt := range []struct {
			path string
			want int
		}{
			{"/api/v3/creditcard/_count?" + b, 3},
			{fmt.Sprintf("/api/v3/creditcard/_count?where=customer_id:EQUALS:%d&%s", f.cust, b), 2},
			{"/api/v3/customer/_count?" + b, 2},
			{fmt.Sprintf("/api/v3/customer/_count?%s&where=customer_id:NOTEQUALS:%d", b, f.cust), 1},
		} {
			if n := count(t, e.co("GET", tt.path, "")); n != tt.want {
				t.Errorf("%s: %d, want %d", tt.path, n, tt.want)
			}
		}
	}
}
