package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// checkHygiene fails unless a response carries the headers of API.md §1.5.
func checkHygiene(t *testing.T, name string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: status %d, Cache-Control = %q, want no-store", name, rec.Code, got)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: status %d, X-Content-Type-Options = %q, want nosniff", name, rec.Code, got)
	}
}

// TestHygieneHeadersEveryRoute walks every route of both dialects, with
// successes and errors, through Handler: every answer carries
// Cache-Control: no-store and X-Content-Type-Options: nosniff.
func TestHygieneHeadersEveryRoute(t *testing.T) {
	e := mustEnv(t, nil)
	h := Handler(e.v, e.log)
	const form, js = "application/x-www-form-urlencoded", "application/json"
	card := url.Values{"card[name]": {"JOHN DOE"}, "card[number]": {"4242424242424242"},
		"card[expiration_month]": {"12"}, "card[expiration_year]": {"2030"}, "card[security_code]": {"123"}}.Encode()
	step := func(name string, want int, method, target, user, pass, ctype, body string) string {
		t.Helper()
		rec := call(t, h, method, target, user, pass, ctype, body)
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d: %s", name, rec.Code, want, rec.Body.String())
		}
		checkHygiene(t, name, rec)
		return rec.Body.String()
	}

	step("healthz", 200, "GET", "/healthz", "", "", "", "")
	// Omise dialect.
	tok := firstMatch(t, omiseIDRe, step("create token", 200, "POST", "/tokens", e.pk, "", form, card))
	tok2 := firstMatch(t, omiseIDRe, step("create token 2", 200, "POST", "/tokens", e.pk, "", form, card))
	step("token without key", 401, "POST", "/tokens", "", "", form, card)
	step("token invalid card", 400, "POST", "/tokens", e.pk, "", form, "card[number]=1")
	step("get token", 200, "GET", "/tokens/"+tok, e.pk, "", "", "")
	step("get unknown token", 404, "GET", "/tokens/tokn_test_0000000000000000000", e.pk, "", "", "")
	cust := firstMatch(t, omiseIDRe, step("create customer", 200, "POST", "/customers", e.sk, "", form, "card="+tok))
	step("create customer used token", 400, "POST", "/customers", e.sk, "", form, "card="+tok)
	step("list customers", 200, "GET", "/customers", e.sk, "", "", "")
	step("list customers bad limit", 400, "GET", "/customers?limit=x", e.sk, "", "", "")
	step("get customer", 200, "GET", "/customers/"+cust, e.sk, "", "", "")
	step("get unknown customer", 404, "GET", "/customers/cust_test_0000000000000000000", e.sk, "", "", "")
	step("update customer", 200, "PATCH", "/customers/"+cust, e.sk, "", form, "card="+tok2+"&email=a%40b.co")
	cards := step("list cards", 200, "GET", "/customers/"+cust+"/cards", e.sk, "", "", "")
	cardID := firstMatch(t, cardIDRe, cards)
	step("get card", 200, "GET", "/customers/"+cust+"/cards/"+cardID, e.sk, "", "", "")
	step("update card", 200, "PATCH", "/customers/"+cust+"/cards/"+cardID, e.sk, "", form, "name=JANE")
	step("update card bad month", 400, "PATCH", "/customers/"+cust+"/cards/"+cardID, e.sk, "", form, "expiration_month=13")
	step("delete card", 200, "DELETE", "/customers/"+cust+"/cards/"+cardID, e.sk, "", "", "")
	step("get deleted card", 404, "GET", "/customers/"+cust+"/cards/"+cardID, e.sk, "", "", "")
	step("unknown path", 404, "GET", "/nope", e.sk, "", "", "")
	step("unsupported method", 404, "PUT", "/customers", e.sk, "", "", "")
	step("unsupported content type", 400, "POST", "/customers", e.sk, "", "text/plain", "x")
	step("delete customer", 200, "DELETE", "/customers/"+cust, e.sk, "", "", "")

	// ChargeOver dialect.
	coCust := firstMatch(t, coIDRe, step("co create customer", 201, "POST", "/api/v3/customer", e.pk, e.sk, js, `{"company":"Acme"}`))
	step("co create customer no data", 400, "POST", "/api/v3/customer", e.pk, e.sk, js, `{}`)
	step("co list customers", 200, "GET", "/api/v3/customer", e.pk, e.sk, "", "")
	step("co count customers", 200, "GET", "/api/v3/customer/_count", e.pk, e.sk, "", "")
	step("co get customer", 200, "GET", "/api/v3/customer/"+coCust, e.pk, e.sk, "", "")
	step("co get unknown customer", 404, "GET", "/api/v3/customer/999999999", e.pk, e.sk, "", "")
	coCard := firstMatch(t, coIDRe, step("co store card", 201, "POST", "/api/v3/creditcard", e.pk, e.sk, js,
		`{"customer_id":`+coCust+`,"number":"4242424242424242","expdate":"2030-12-01"}`))
	step("co store invalid card", 400, "POST", "/api/v3/creditcard", e.pk, e.sk, js, `{"customer_id":`+coCust+`,"number":"1"}`)
	step("co list cards", 200, "GET", "/api/v3/creditcard?where=customer_id:EQUALS:"+coCust, e.pk, e.sk, "", "")
	step("co list cards bad where", 400, "GET", "/api/v3/creditcard?where=nope:EQUALS:1", e.pk, e.sk, "", "")
	step("co count cards", 200, "GET", "/api/v3/creditcard/_count", e.pk, e.sk, "", "")
	step("co get card", 200, "GET", "/api/v3/creditcard/"+coCard, e.pk, e.sk, "", "")
	step("co modify card", 400, "PUT", "/api/v3/creditcard/"+coCard, e.pk, e.sk, js, `{}`)
	step("co without auth", 401, "GET", "/api/v3/creditcard", "", "", "", "")
	step("co unknown type", 400, "GET", "/api/v3/invoice", e.pk, e.sk, "", "")
	step("co bad path", 400, "GET", "/api/v2/creditcard", e.pk, e.sk, "", "")
	step("co delete card", 200, "DELETE", "/api/v3/creditcard/"+coCard, e.pk, e.sk, "", "")
	step("co get deleted card", 404, "GET", "/api/v3/creditcard/"+coCard, e.pk, e.sk, "", "")
	step("co delete customer", 200, "DELETE", "/api/v3/customer/"+coCust, e.pk, e.sk, "", "")

	// Answers written before a dialect runs.
	big := httptest.NewRequest("GET", "/customers", nil)
	big.Header.Set("X-Pad", string(make([]byte, MaxHeaderBytes)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, big)
	if rec.Code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("head too large: status %d", rec.Code)
	}
	checkHygiene(t, "head too large", rec)
}

// TestHygieneHeadersOnPanic: a handler that panics (here the store, in each
// dialect) still answers with the headers.
func TestHygieneHeadersOnPanic(t *testing.T) {
	e := mustEnv(t, func(s cardvault.Store) cardvault.Store { return panicStore{s} })
	h := Handler(e.v, e.log)
	for _, c := range []struct{ name, target, user, pass string }{
		{"omise", "/customers", e.sk, ""},
		{"chargeover", "/api/v3/customer", e.pk, e.sk},
	} {
		rec := call(t, h, "GET", c.target, c.user, c.pass, "", "")
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500", c.name, rec.Code)
		}
		checkHygiene(t, c.name, rec)
	}
}

// panicStore panics on the list operations.
type panicStore struct{ cardvault.Store }

func (panicStore) ListCustomers(context.Context, cardvault.Scope, cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	panic("store panic")
}

func (panicStore) ListCustomersWithCards(context.Context, cardvault.Scope, cardvault.ListParams, cardvault.ListParams) ([]cardvault.CustomerCards, int, error) {
	panic("store panic")
}

func (panicStore) QueryCustomers(context.Context, cardvault.Scope, query.Query) ([]*cardvault.Customer, error) {
	panic("store panic")
}
