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
}
