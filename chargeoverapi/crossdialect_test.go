package chargeoverapi_test

import (
	"fmt"
	"net/url"
	"testing"
)

// TestStoredHereListedThroughOmise follows API.md §4.1.
func TestStoredHereListedThroughOmise(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Acme, Inc","superuser_email":"jane@example.com"}`)
	id := created(t, e.co("POST", "/api/v3/creditcard", fmt.Sprintf(
		`{"customer_id":%d,"number":"4111 1111 1111 1111","expdate_year":2030,"expdate_month":"5","name":"Jane Doe","cvv":"123"}`, cust)))
	cc := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""))
	omiseCust := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", cust), ""))["omise_id"].(string)

	var cards struct {
		Object string           `json:"object"`
		Total  int              `json:"total"`
		Data   []map[string]any `json:"data"`
	}
	mustJSON(t, e.omise(e.skey, "GET", "/customers/"+omiseCust+"/cards", nil), &cards)
	if cards.Total != 1 || len(cards.Data) != 1 {
		t.Fatalf("Omise lists %d cards", cards.Total)
	}
	c := cards.Data[0]
	for k, want := range map[string]any{"id": cc["omise_id"], "chargeover_id": float64(id), "brand": "Visa",
		"last_digits": "1111", "name": "Jane Doe", "expiration_month": float64(5), "expiration_year": float64(2030),
		"security_code_check": true, "street1": nil} {
		if c[k] != want {
			t.Errorf("Omise card %s = %v, want %v", k, c[k], want)
		}
	}
	var oc map[string]any
	mustJSON(t, e.omise(e.skey, "GET", "/customers/"+omiseCust, nil), &oc)
	for k, want := range map[string]any{"description": "Acme, Inc", "email": "jane@example.com",
		"chargeover_id": float64(cust), "default_card": cc["omise_id"]} {
		if oc[k] != want {
			t.Errorf("Omise customer %s = %v, want %v", k, oc[k], want)
		}
	}
	// A second card does not take over as default.
	e.mustCard(cust, "5555555555554444", "")
	mustJSON(t, e.omise(e.skey, "GET", "/customers/"+omiseCust, nil), &oc)
	if oc["default_card"] != cc["omise_id"] {
		t.Errorf("default_card %v", oc["default_card"])
	}
}

// TestStoredThroughOmiseListedHere follows API.md §4.2.
func TestStoredThroughOmiseListedHere(t *testing.T) {
	e := newEnv(t)
	tok := e.mustToken("4242424242424242", "12", "2030")
	var cust struct {
		ID           string `json:"id"`
		ChargeoverID int64  `json:"chargeover_id"`
		Cards        struct {
			Data []map[string]any `json:"data"`
		} `json:"cards"`
	}
	mustJSON(t, e.omise(e.skey, "POST", "/customers", url.Values{"email": {"somchai@example.com"}, "card": {tok}}), &cust)
	cardID := cust.Cards.Data[0]["id"]
	seq := cust.Cards.Data[0]["chargeover_id"]

	l := list(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard?where=customer_id:EQUALS:%d", cust.ChargeoverID), ""))
	if len(l) != 1 {
		t.Fatalf("%d cards", len(l))
	}
	for k, want := range map[string]any{"creditcard_id": seq, "customer_id": float64(cust.ChargeoverID), "type": "visa",
		"type_name": "Visa", "mask_number": "x4242", "mask_and_bin_number": "424242xxx4242", "expdate": "2030-12-01",
		"expdate_month": "12", "expdate_year": "2030", "expdate_formatted": "Dec 2030", "name": "Somchai Prasert",
		"external_key": nil, "omise_id": cardID} {
		if l[0][k] != want {
			t.Errorf("%s = %v, want %v", k, l[0][k], want)
		}
	}
	c := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", cust.ChargeoverID), ""))
	if c["omise_id"] != cust.ID || c["superuser_email"] != "somchai@example.com" || c["company"] != nil {
		t.Errorf("customer %v", c)
	}
	var ok bool
	okResponse(t, e.co("DELETE", fmt.Sprintf("/api/v3/creditcard/%.0f", seq), ""), &ok) // ids < 2^53: exact
	var after map[string]any
	mustJSON(t, e.omise(e.skey, "GET", "/customers/"+cust.ID, nil), &after)
	if after["default_card"] != nil || after["cards"].(map[string]any)["total"] != float64(0) {
		t.Errorf("after delete: default_card %v, cards %v", after["default_card"], after["cards"])
	}
	// An unattached token's card is not a stored card.
	e.mustToken("5555555555554444", "1", "2031")
	if n := count(t, e.co("GET", "/api/v3/creditcard/_count", "")); n != 0 {
		t.Errorf("_count %d counts token cards", n)
	}
}
