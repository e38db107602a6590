package omiseapi_test

import (
	"net/http"
	"testing"
)

// TestLookupBeforeValidation: §2.1 puts lookups (404) before validation
// (400), so a PATCH of an unknown customer with a non-string card is a 404.
func TestLookupBeforeValidation(t *testing.T) {
	e := newEnv(t)
	st, body := e.do(t, "PATCH", "/customers/cust_test_nosuchcustomerxxxx", e.SK, "application/json", `{"card":5}`)
	if st != http.StatusNotFound || body["message"] != "customer cust_test_nosuchcustomerxxxx was not found" {
		t.Errorf("unknown customer, card 5: %d %v; want 404 customer not found", st, body["message"])
	}
	c := e.MustCustomer(t, e.SK, "")
	st, body = e.do(t, "PATCH", "/customers/"+c["id"].(string), e.SK, "application/json", `{"card":5}`)
	if st != http.StatusBadRequest || body["code"] != "invalid_card_token" {
		t.Errorf("known customer, card 5: %d %v; want 400 invalid_card_token", st, body["code"])
	}
	// A bad_request parameter error comes before the card's validation error.
	st, body = e.do(t, "PATCH", "/customers/"+c["id"].(string), e.SK, "application/json", `{"card":5,"default_card":{}}`)
	if st != http.StatusBadRequest || body["message"] != "default_card is invalid" {
		t.Errorf("card 5 and default_card {}: %d %v; want 400 default_card is invalid", st, body["message"])
	}
}

// TestDecodingBeforeLookup: a malformed body or list parameter (400) comes
// before an unknown id (404), even an id that cannot exist.
func TestDecodingBeforeLookup(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ method, path, ct, body, want string }{
		{"PATCH", "/customers/garbage", "application/json", `{"email":`, "request body is not valid JSON"},
		{"PATCH", "/customers/garbage/cards/junk", "application/json", `{`, "request body is not valid JSON"},
		{"GET", "/customers/garbage/cards?limit=-1", "", "", "limit is invalid"},
	} {
		st, body := e.do(t, tc.method, tc.path, e.SK, tc.ct, tc.body)
		if st != http.StatusBadRequest || body["message"] != tc.want {
			t.Errorf("%s %s = %d %v, want 400 %q", tc.method, tc.path, st, body["message"], tc.want)
		}
	}
	for _, path := range []string{"/customers/garbage", "/customers/cust_0mwq95cww37e3p3e2z8", "/tokens/cust_test_0mwq95cww37e3p3e2z8"} {
		key := e.SK
		if path[1] == 't' {
			key = e.PK
		}
		if st, _ := e.do(t, "GET", path, key, "", ""); st != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, st)
		}
	}
}
