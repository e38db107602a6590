package chargeoverapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const badParam = "Missing or invalid parameter."

func TestCreditcardPostErrors(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Acme","external_key":"crm-1"}`)
	live := created(t, e.coAs(e.lpkey, e.lskey, "POST", "/api/v3/customer", `{"company":"Live"}`))
	e.mustCard(cust, "4242424242424242", `,"external_key":"taken"`)
	long := strings.Repeat("é", 256)
	card := func(extra string) string {
		return fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate_year":2030,"expdate_month":5%s}`, cust, extra)
	}
	noData := "A required parameter was missing: No data."
	tests := []struct {
		name, body, msg string
		details         map[string]string
	}{
		{"empty body", "", noData, nil},
		{"whitespace body", " \n", noData, nil},
		{"empty object", "{}", noData, nil},
		{"unknown fields only", `{"foo":"bar","nmber":"4111111111111111"}`, noData, nil},
		{"known fields empty", `{"customer_id":"","number":null,"name":""}`, noData, nil},
		{"array", `[{"customer_id":1}]`, badParam, map[string]string{"body": "not a JSON object"}},
		{"string", `"x"`, badParam, map[string]string{"body": "not a JSON object"}},
		{"form body", "customer_id=1&number=4111111111111111", badParam, map[string]string{"body": "not a JSON object"}},
		{"trailing data", `{"customer_id":1}{}`, badParam, map[string]string{"body": "not a JSON object"}},
		{"customer missing", `{"number":"4111111111111111","expdate":"2030-05-01"}`, badParam, map[string]string{"customer_id": "required"}},
		{"customer_id not integer", `{"customer_id":"abc","number":"4111111111111111"}`, badParam, map[string]string{"customer_id": "invalid"}},
		{"customer_id fraction", `{"customer_id":1.5,"number":"4111111111111111"}`, badParam, map[string]string{"customer_id": "invalid"}},
		{"customer_id zero", `{"customer_id":0,"number":"4111111111111111"}`, badParam, map[string]string{"customer_id": "invalid"}},
		{"customer_id bool", `{"customer_id":true,"number":"4111111111111111"}`, badParam, map[string]string{"customer_id": "invalid"}},
		{"customer unknown", strings.Replace(card(""), fmt.Sprint(cust), "999999", 1), badParam, map[string]string{"customer_id": "not found"}},
		{"customer of live mode", strings.Replace(card(""), fmt.Sprintf(":%d,", cust), fmt.Sprintf(":%d,", live), 1), badParam, map[string]string{"customer_id": "not found"}},
		{"customer external key unknown", `{"customer_external_key":"nope","number":"4111111111111111","expdate":"2030-05-01"}`, badParam, map[string]string{"customer_id": "not found"}},
		{"external key taken", card(`,"external_key":"taken"`), badParam, map[string]string{"external_key": "already in use"}},
		{"name too long", card(`,"name":"` + long + `"`), badParam, map[string]string{"name": "too long"}},
		{"address too long", card(`,"address":"` + strings.Repeat("a", 256) + `"`), badParam, map[string]string{"address": "too long"}},
		{"external key too long", card(`,"external_key":"` + strings.Repeat("k", 256) + `"`), badParam, map[string]string{"external_key": "too long"}},
		{"name object", card(`,"name":{"a":1}`), badParam, map[string]string{"name": "invalid"}},
		{"number array", `{"customer_id":1,"number":["4111111111111111"]}`, badParam, map[string]string{"number": "invalid"}},
		{"luhn", card(`,"number":"4242424242424241"`), badParam, map[string]string{"creditcard": "number is invalid"}},
		{"unknown brand", card(`,"number":"1234567812345678"`), badParam, map[string]string{"creditcard": "number is invalid and brand not supported (unknown)"}},
		{"number missing", fmt.Sprintf(`{"customer_id":%d,"expdate":"2030-05-01"}`, cust), badParam, map[string]string{"creditcard": "number can't be blank and brand not supported (unknown)"}},
		{"expired", card(`,"expdate":"2020-01-01"`), badParam, map[string]string{"creditcard": "expiration date cannot be in the past"}},
		{"month 13", card(`,"expdate_month":13`), badParam, map[string]string{"creditcard": "expiration month is not between 1 and 12 and expiration date is invalid"}},
		{"expiry missing", fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111"}`, cust), badParam, map[string]string{"creditcard": "expiration month can't be blank, expiration month is not between 1 and 12, expiration year can't be blank, and expiration year is invalid"}},
		{"expdate malformed", card(`,"expdate":"05/2030"`), badParam, map[string]string{"creditcard": "expiration month is not between 1 and 12, expiration year is invalid, and expiration date is invalid"}},
		{"expdate month 13", card(`,"expdate":"2030-13-01"`), badParam, map[string]string{"creditcard": "expiration month is not between 1 and 12 and expiration date is invalid"}},
		{"amex cvv length", card(`,"number":"378282246310005","cvv":"123"`), badParam, map[string]string{"creditcard": "security code is invalid"}},
		{"cvv letters", card(`,"cvv":"12a"`), badParam, map[string]string{"creditcard": "security code is invalid"}},
		{"number as float", card(`,"number":4.111111111111111e15`), badParam, map[string]string{"creditcard": "number is invalid and brand not supported (unknown)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			r := e.co("POST", "/api/v3/creditcard", tt.body)
			wantError(t, r, 400, tt.msg, tt.details)
			if strings.Contains(string(r.body), "4111111111111111") || strings.Contains(string(r.body), "1234567812345678") {
				t.Error("number echoed")
			}
		})
	}
	if got := count(t, e.co("GET", "/api/v3/creditcard/_count", "")); got != 1 {
		t.Errorf("%d cards stored, want only the fixture's", got)
	}
}

func TestCreditcardPostForms(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Acme","external_key":"crm/1"}`)
	token := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", cust), ""))["token"].(string)
	tests := []struct{ name, body string }{
		{"numbers as JSON numbers", fmt.Sprintf(`{"customer_id":%d,"number":4111111111111111,"expdate_year":2030,"expdate_month":5,"cvv":123}`, cust)},
		{"strings", fmt.Sprintf(`{"customer_id":"%d","number":"5555-5555-5555-4444","expdate_year":"30","expdate_month":"05"}`, cust)},
		{"customer by external key", `{"customer_external_key":"crm/1","number":"378282246310005","expdate":"2031-12-15","cvv":"1234"}`},
		{"customer by token", `{"customer_token":"` + token + `","number":"3530111333300000","expdate":"2031-01-01"}`},
		{"null fields ignored", fmt.Sprintf(`{"customer_id":%d,"number":"6011111111111117","expdate":"2031-01-01","name":null,"cvv":"","external_key":"  "}`, cust)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created(t, e.with(t).co("POST", "/api/v3/creditcard", tt.body))
		})
	}
	cards := list(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard?where=customer_id:EQUALS:%d", cust), ""))
	var types []string
	for _, c := range cards {
		types = append(types, c["type"].(string)+"/"+c["expdate"].(string))
		if c["external_key"] != nil || c["name"] != "" {
			t.Errorf("unset fields: external_key %v name %q", c["external_key"], c["name"])
		}
	}
	want := "[visa/2030-05-01 mast/2030-05-01 amex/2031-12-01 jcb/2031-01-01 disc/2031-01-01]"
	if fmt.Sprint(types) != want {
		t.Errorf("cards %v, want %s", types, want)
	}
}

// TestCreditcardUpsert checks that a second POST of the same number for the
// same customer updates only the fields it carries (§3.4), and that the
// same number for another customer is a new card.
func TestCreditcardUpsert(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Acme"}`)
	other := e.mustCustomer(`{"company":"Other"}`)
	first := fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate":"2030-05-01","name":"Jane",`+
		`"address":"1 Main St","city":"Springfield","state":"IL","postcode":"62701","country":"US","external_key":"ek1"}`, cust)
	id := created(t, e.co("POST", "/api/v3/creditcard", first))
	before := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""))
	if omiseCard(t, e, before)["security_code_check"].(bool) {
		t.Error("security_code_check without cvv")
	}
	again := fmt.Sprintf(`{"customer_id":%d,"number":"4111 1111 1111 1111","expdate_year":2032,"expdate_month":7,"city":"Shelbyville","cvv":"456"}`, cust)
	if got := created(t, e.co("POST", "/api/v3/creditcard", again)); got != id {
		t.Fatalf("upsert id %d, want %d", got, id)
	}
	after := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""))
	for k, want := range map[string]any{"name": "Jane", "address": "1 Main St", "city": "Shelbyville", "state": "IL",
		"postcode": "62701", "country": "US", "external_key": "ek1", "expdate": "2032-07-01", "token": before["token"],
		"omise_id": before["omise_id"], "write_datetime": before["write_datetime"]} {
		if after[k] != want {
			t.Errorf("%s = %v, want %v", k, after[k], want)
		}
	}
	if !omiseCard(t, e, after)["security_code_check"].(bool) {
		t.Error("security_code_check not set by upsert with cvv")
	}
	third := fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate":"2033-01-01","name":"Jane Doe"}`, cust)
	if got := created(t, e.co("POST", "/api/v3/creditcard", third)); got != id {
		t.Fatalf("second upsert id %d, want %d", got, id)
	}
	final := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""))
	if final["name"] != "Jane Doe" || final["city"] != "Shelbyville" || final["expdate"] != "2033-01-01" {
		t.Errorf("after second upsert: %v", final)
	}
	if !omiseCard(t, e, final)["security_code_check"].(bool) {
		t.Error("security_code_check cleared by upsert without cvv")
	}
	otherID := created(t, e.co("POST", "/api/v3/creditcard", strings.Replace(again, fmt.Sprint(cust), fmt.Sprint(other), 1)))
	if otherID == id {
		t.Error("same number for another customer reused the card")
	}
	if got := count(t, e.co("GET", "/api/v3/creditcard/_count", "")); got != 2 {
		t.Errorf("%d cards, want 2", got)
	}
}

// omiseCard fetches a ChargeOver card through the Omise dialect.
func omiseCard(t *testing.T, e *env, c map[string]any) map[string]any {
	t.Helper()
	cust := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%.0f", c["customer_id"]), "")) // ids < 2^53: exact
	var m map[string]any
	mustJSON(t, e.omise(e.skey, "GET", fmt.Sprintf("/customers/%s/cards/%s", cust["omise_id"], c["omise_id"]), nil), &m)
	return m
}

func TestCreditcardGetByRef(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Acme"}`)
	id := e.mustCard(cust, "4111111111111111", `,"external_key":"a/b:c,d e%"`)
	c := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""))
	wantKeys := "creditcard_id,customer_id,external_key,type,type_name,token,name,mask_number,mask_and_bin_number," +
		"expdate,expdate_year,expdate_month,expdate_formatted,address,city,state,postcode,country,url_updatelink," +
		"write_datetime,write_ipaddr,mod_datetime,omise_id"
	r := e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", id), "")
	if got := strings.Join(topKeys(t, responseOf(t, r)), ","); got != wantKeys {
		t.Errorf("keys %s\nwant %s", got, wantKeys)
	}
	for k, want := range map[string]any{"url_updatelink": nil, "write_ipaddr": "127.0.0.1", "address": nil} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
	if oc := omiseCard(t, e, c)["country"]; (oc == "" && c["country"] != nil) || (oc != "" && c["country"] != oc) {
		t.Errorf("country %v, Omise shows %q", c["country"], oc)
	}
	for _, path := range []string{
		"/api/v3/creditcard/token:" + c["token"].(string),
		"/api/v3/creditcard/token%3A" + c["token"].(string) + "/",
		"/api/v3/creditcard/external_key:" + url.PathEscape("a/b:c,d e%"),
		"/api/v3/creditcard/external_key:a%2Fb:c,d%20e%25",
	} {
		if got := object(t, e.co("GET", path, ""))["creditcard_id"]; got != float64(id) {
			t.Errorf("%s: id %v", path, got)
		}
	}
	for _, path := range []string{"/api/v3/creditcard/999999", "/api/v3/creditcard/token:nosuchtoken1",
		"/api/v3/creditcard/external_key:nope", "/api/v3/creditcard/external_key:a%252Fb:c,d%20e%25",
		"/api/v3/creditcard/4111111111111111"} {
		r := e.co("GET", path, "")
		wantError(t, r, 404, "This credit card does not exist.", nil)
		if strings.Contains(string(r.body), "4111111111111111") {
			t.Error("PAN echoed")
		}
	}
	wantError(t, e.coAs(e.lpkey, e.lskey, "GET", fmt.Sprintf("/api/v3/creditcard/%d", id), ""), 404, "This credit card does not exist.", nil)
	wantError(t, e.coAs(e.lpkey, e.lskey, "DELETE", fmt.Sprintf("/api/v3/creditcard/%d", id), ""), 404, "This credit card does not exist.", nil)
	wantError(t, e.co("DELETE", "/api/v3/creditcard/external_key:nope", ""), 404, "This credit card does not exist.", nil)
	var ok bool
	okResponse(t, e.co("DELETE", "/api/v3/creditcard/external_key:a%2Fb:c,d%20e%25", ""), &ok)
	if !ok || count(t, e.co("GET", "/api/v3/creditcard/_count", "")) != 0 {
		t.Error("delete by external key did not delete")
	}
}

// responseOf returns the raw response member of an envelope.
func responseOf(t testing.TB, r *resp) []byte {
	t.Helper()
	return r.env(t).Response
}

func TestRoutingErrorsOverHTTP(t *testing.T) {
	e := newEnv(t)
	path := map[string]string{"path": "unsupported"}
	tests := []struct {
		method, target, msg string
		details             map[string]string
	}{
		{"GET", "/api/v3/creditcard/abc", badParam, path},
		{"GET", "/api/v3/creditcard/1/2", badParam, path},
		{"GET", "/api/v3/creditcard//", badParam, path},
		{"GET", "/api/v3//creditcard", badParam, path},
		{"GET", "/api/v3/creditcard/../customer", badParam, path},
		{"GET", "/api/v2/creditcard", badParam, path},
		{"GET", "/api/", badParam, path},
		{"DELETE", "/api/v3/customer/_count", badParam, path},
		{"GET", "/api/v3/customer/token:", badParam, path},
		{"POST", "/api/v3/customer/5", "The command requested is not supported: action(customer, 5)", nil},
		{"DELETE", "/api/v3/customer", "The command requested is not supported: delete(customer, )", nil},
		{"PUT", "/api/v3/customer/token:abc", "The command requested is not supported: modify(customer, token:abc)", nil},
		{"PATCH", "/api/v3/creditcard/1", "The command requested is not supported: patch(creditcard, 1)", nil},
		{"GET", "/api/v3/tokenized", "The object type requested is not supported: list(tokenized, )", nil},
		{"POST", "/api/v3/invoice/4111111111111111", "The object type requested is not supported: action(invoice, [redacted])", nil},
		{"GET", "/api/v3/creditcard?%zz", badParam, map[string]string{"query": "malformed"}},
		// ';' is an ordinary character of form decoding, not a separator.
		{"GET", "/api/v3/creditcard/_count?where=a;b", badParam, map[string]string{"where": "condition 1: malformed"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			wantError(t, e.with(t).co(tt.method, tt.target, "{}"), 400, tt.msg, tt.details)
		})
	}
	if r := e.co("GET", "/api/v3/creditcard/", ""); r.status != 200 {
		t.Errorf("trailing slash: %d", r.status)
	}
	// GET one ignores the query string, even a malformed one.
	wantError(t, e.co("GET", "/api/v3/creditcard/5?%zz", ""), 404, "This credit card does not exist.", nil)
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Big"}`)
	big := fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate":"2030-05-01","name":"%s"}`, cust, strings.Repeat(" ", 1<<20))
	wantError(t, e.co("POST", "/api/v3/creditcard", big), 400, badParam, map[string]string{"body": "too large"})
	req := e.newReq("POST", "/api/v3/creditcard", big)
	req.Header.Set("Authorization", signHeader(e.pkey, e.skey, e.srv.URL+"/api/v3/creditcard", "big1", time.Now().Unix(), big))
	// A signed body over the limit is refused the same way: it is never read to be verified.
	wantError(t, e.send(req), 400, badParam, map[string]string{"body": "too large"})
	// Just under the limit is read (and the padding trimmed from the name).
	ok := fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate":"2030-05-01","name":"J%s"}`, cust, strings.Repeat(" ", 1<<19))
	created(t, e.co("POST", "/api/v3/creditcard", ok))
}

func TestLocationUnderTLS(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewTLSServer(e.h)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v3/customer", strings.NewReader(`{"company":"TLS"}`))
	req.SetBasicAuth(e.pkey, e.skey)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != 201 || !strings.HasPrefix(loc, srv.URL+"/api/v3/customer/") ||
		!strings.HasPrefix(loc, "https://") {
		t.Errorf("status %d Location %q", res.StatusCode, loc)
	}
}

// TestSemicolonIsData: a ';' in a where value is part of the value (§3.6 step 1).
func TestSemicolonIsData(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Semi"}`)
	e.mustCard(cust, "4242424242424242", `,"external_key":"a;b"`)
	if n := count(t, e.co("GET", "/api/v3/creditcard/_count?where=external_key:EQUALS:a;b", "")); n != 1 {
		t.Fatalf("count with ';' in the value = %d, want 1", n)
	}
}
