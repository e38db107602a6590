package query

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var pageTests = []struct {
	raw        string
	wantLimit  int
	wantOffset int64
	wantErr    map[string]string
}{
	{"", 10, 0, nil},
	{"limit=&offset=", 10, 0, nil},
	{"limit=0", 10, 0, nil},
	{"limit=0000", 10, 0, nil},
	{"limit=1", 1, 0, nil},
	{"limit=007", 7, 0, nil},
	{"limit=500", 500, 0, nil},
	{"limit=501", 500, 0, nil},
	{"limit=100000", 500, 0, nil},
	{"limit=99999999999999999999", 500, 0, nil},
	{"limit=18446744073709551616", 500, 0, nil},
	{"limit=" + strings.Repeat("9", 1000), 500, 0, nil},
	{"limit=abc", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=-1", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=1.5", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=+5", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=%2B5", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=1e3", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=%EF%BC%95", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=5&limit=abc", 5, 0, nil},
	{"limit=abc&limit=5", 0, 0, map[string]string{"limit": "must be a non-negative integer"}},
	{"limit=&limit=7", 10, 0, nil},
	{"offset=0", 10, 0, nil},
	{"offset=25", 10, 25, nil},
	{"offset=9223372036854775807", 10, 9223372036854775807, nil},
	{"offset=0009223372036854775807", 10, 9223372036854775807, nil},
	{"offset=9223372036854775808", 0, 0, map[string]string{"offset": "must be a non-negative integer"}},
	{"offset=99999999999999999999", 0, 0, map[string]string{"offset": "must be a non-negative integer"}},
	{"offset=-1", 0, 0, map[string]string{"offset": "must be a non-negative integer"}},
	{"offset=1.5", 0, 0, map[string]string{"offset": "must be a non-negative integer"}},
	{"offset=abc", 0, 0, map[string]string{"offset": "must be a non-negative integer"}},
	{"offset=3&offset=x", 10, 3, nil},
	{"limit=x&offset=-1", 0, 0, map[string]string{
		"limit": "must be a non-negative integer", "offset": "must be a non-negative integer"}},
}

func TestLimitOffset(t *testing.T) {
	for _, tt := range pageTests {
		q, err := Parse(mustQuery(t, tt.raw), CreditCard)
		if tt.wantErr != nil {
			checkDetails(t, tt.raw, q, err, tt.wantErr)
			continue
		}
		if err != nil || q.Limit != tt.wantLimit || q.Offset != tt.wantOffset {
			t.Errorf("Parse(%q) = limit %d offset %d err %v; want %d %d nil",
				tt.raw, q.Limit, q.Offset, err, tt.wantLimit, tt.wantOffset)
		}
	}
}

// wireTests are raw query strings as they arrive on the wire (before step 1).
var wireTests = []struct {
	name    string
	schema  Schema
	raw     string
	want    Query
	wantErr map[string]string
}{
	{"raw escaped colon", CreditCard, `where=external_key:EQUALS:ext\:1`,
		page(strC("external_key", Equals, "ext:1")), nil},
	{"percent encoded", CreditCard, `where=external_key%3AEQUALS%3Aext%5C%3A1`,
		page(strC("external_key", Equals, "ext:1")), nil},
	{"php sdk form", CreditCard,
		"_dummy=1&_flag_emails=0&where=customer_id%3AEQUALS%3A42&order=creditcard_id%3ADESC&offset=0&limit=0",
		Query{Where: []Cond{intC("customer_id", Equals, 42)}, Order: []OrderKey{desc("creditcard_id", Int)}, Limit: 10}, nil},
	{"no second decoding", CreditCard, `where=external_key:EQUALS:%253A`,
		page(strC("external_key", Equals, "%3A")), nil},
	{"encoded comma separates", CreditCard, `where=external_key:EQUALS:a%2Cb`,
		Query{}, map[string]string{"where": "condition 2: malformed"}},
	{"encoded escaped comma", CreditCard, `where=external_key:EQUALS:a%5C%2Cb`,
		page(strC("external_key", Equals, "a,b")), nil},
	{"company with comma", Customer, `where=company:CONTAINS:Acme\,%20Inc`,
		Query{Where: []Cond{strC("company", Contains, "Acme, Inc")}, Order: []OrderKey{asc("customer_id", Int)}, Limit: 10}, nil},
	{"plus is space", CreditCard, `where=external_key:EQUALS:a+b`, page(strC("external_key", Equals, "a b")), nil},
	{"encoded plus", CreditCard, `where=external_key:EQUALS:a%2Bb`, page(strC("external_key", Equals, "a+b")), nil},
	{"two where params", CreditCard, `where=customer_id:EQUALS:42&where=token:EQUALS:t`,
		page(intC("customer_id", Equals, 42), strC("token", Equals, "t")), nil},
	{"empty where skipped", CreditCard, `where=&where=customer_id:EQUALS:42`,
		page(intC("customer_id", Equals, 42)), nil},
	{"unknown params ignored", CreditCard, `action=x&_flag_webhooks=1&foo=%ZZ`, page(), nil},
	{"row 20", CreditCard, `where=customer_id:LIKE:42`,
		Query{}, map[string]string{"where": "condition 1: unknown operator"}},
	{"row 21", CreditCard, `where=number:EQUALS:4111111111111111`,
		Query{}, map[string]string{"where": "condition 1: field is not filterable"}},
	{"three details", CreditCard, `where=number:EQUALS:4111111111111111&order=cvv&limit=abc`,
		Query{}, map[string]string{
			"where": "condition 1: field is not filterable",
			"order": "key 1: field is not sortable",
			"limit": "must be a non-negative integer"}},
	{"four details", CreditCard, `where=customer_id:EQUALS:1,x&order=customer_id:UP&limit=1.5&offset=-1`,
		Query{}, map[string]string{
			"where":  "condition 2: malformed",
			"order":  "key 1: invalid direction",
			"limit":  "must be a non-negative integer",
			"offset": "must be a non-negative integer"}},
}

// page is the Query of a card list with default order and paging.
func page(conds ...Cond) Query {
	return Query{Where: conds, Order: []OrderKey{asc("creditcard_id", Int)}, Limit: 10}
}

func TestWire(t *testing.T) {
	for _, tt := range wireTests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(mustQuery(t, tt.raw), tt.schema)
			if tt.wantErr != nil {
				checkDetails(t, tt.raw, q, err, tt.wantErr)
				return
			}
			if err != nil || !reflect.DeepEqual(q, tt.want) {
				t.Errorf("Parse(%q)\n got %#v, %v\nwant %#v", tt.raw, q, err, tt.want)
			}
		})
	}
}

func TestParseCountIgnoresPaging(t *testing.T) {
	v := mustQuery(t, "where=customer_id:EQUALS:42&order=number&limit=abc&offset=-1")
	conds, err := ParseCount(v, CreditCard)
	if err != nil || !reflect.DeepEqual(conds, []Cond{intC("customer_id", Equals, 42)}) {
		t.Errorf("ParseCount = %#v, %v", conds, err)
	}
	if _, err := Parse(v, CreditCard); err == nil {
		t.Errorf("Parse accepted what ParseCount ignores")
	}
	_, err = ParseCount(mustQuery(t, "where=cvv:EQUALS:123&limit=abc"), CreditCard)
	want := map[string]string{"where": "condition 1: field is not filterable"}
	var qe *Error
	if !errors.As(err, &qe) || !reflect.DeepEqual(qe.Details, want) {
		t.Errorf("ParseCount error %#v, want %v", err, want)
	}
}

func TestErrorHidesClientText(t *testing.T) {
	secrets := []string{"4111111111111111", "SECRETFIELD", "SECRETDIR", "SECRETLIMIT", "SECRETOFF"}
	raw := "where=number:EQUALS:4111111111111111,SECRETFIELD:EQUALS:1&order=customer_id:SECRETDIR" +
		"&limit=SECRETLIMIT&offset=SECRETOFF"
	_, err := Parse(mustQuery(t, raw), CreditCard)
	if err == nil {
		t.Fatal("Parse accepted bad input")
	}
	msg := err.Error()
	want := "query: invalid parameters: limit: must be a non-negative integer; " +
		"offset: must be a non-negative integer; order: key 1: invalid direction; " +
		"where: condition 1: field is not filterable"
	if msg != want {
		t.Errorf("Error() = %q, want %q", msg, want)
	}
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("Error() contains client text %q", s)
		}
		for k, d := range err.(*Error).Details {
			if strings.Contains(d, s) {
				t.Errorf("detail %s contains client text %q", k, s)
			}
		}
	}
}

// mustQuery does decoding step 1 as the HTTP layer would.
func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	v, _ := url.ParseQuery(raw) // bad pairs are dropped, as net/http does
	return v
}

// checkDetails asserts err is an *Error with exactly want and q is zero.
func checkDetails(t *testing.T, raw string, q Query, err error, want map[string]string) {
	t.Helper()
	var qe *Error
	if !errors.As(err, &qe) || !reflect.DeepEqual(qe.Details, want) {
		t.Errorf("Parse(%q) error %#v, want details %v", raw, err, want)
	}
	if !reflect.DeepEqual(q, Query{}) {
		t.Errorf("Parse(%q) returned %#v with an error, want zero Query", raw, q)
	}
}
