package chargeoverapi_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestCustomerCreateAndGet(t *testing.T) {
	e := newEnv(t)
	r := e.co("POST", "/api/v3/customer", `{"company":" Acme, Inc ","external_key":"crm-1001","superuser_first_name":"Jane",`+
		`"superuser_last_name":"Doe","superuser_email":"jane@example.com","ignored":{"x":1}}`)
	id := created(t, r)
	if want := fmt.Sprintf("%s/api/v3/customer/%d", e.srv.URL, id); r.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
	}
	r = e.co("GET", fmt.Sprintf("/api/v3/customer/%d", id), "")
	wantKeys := "customer_id,external_key,token,company,superuser_name,superuser_first_name,superuser_last_name," +
		"superuser_email,superuser_phone,write_datetime,mod_datetime,omise_id"
	if got := strings.Join(topKeys(t, responseOf(t, r)), ","); got != wantKeys {
		t.Errorf("keys %s\nwant %s", got, wantKeys)
	}
	c := object(t, r)
	for k, want := range map[string]any{"customer_id": float64(id), "external_key": "crm-1001", "company": "Acme, Inc",
		"superuser_name": "Jane Doe", "superuser_first_name": "Jane", "superuser_last_name": "Doe",
		"superuser_email": "jane@example.com", "superuser_phone": nil} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
	if !regexp.MustCompile(`^[a-z0-9]{12}$`).MatchString(fmt.Sprint(c["token"])) ||
		!regexp.MustCompile(`^cust_test_[0-9a-z]{19}$`).MatchString(fmt.Sprint(c["omise_id"])) ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(fmt.Sprint(c["mod_datetime"])) {
		t.Errorf("token/omise_id/mod_datetime: %v", c)
	}
	for _, path := range []string{"/api/v3/customer/token:" + c["token"].(string), "/api/v3/customer/external_key:crm-1001"} {
		if got := object(t, e.co("GET", path, ""))["customer_id"]; got != float64(id) {
			t.Errorf("%s: %v", path, got)
		}
	}
	// The Omise side sees the same customer.
	var oc map[string]any
	mustJSON(t, e.omise(e.skey, "GET", "/customers/"+c["omise_id"].(string), nil), &oc)
	if oc["email"] != "jane@example.com" || oc["description"] != "Acme, Inc" || oc["chargeover_id"] != float64(id) {
		t.Errorf("Omise customer %v", oc)
	}
	// Minimal customer: unset strings are null, an explicit name wins.
	id2 := e.mustCustomer(`{"superuser_name":"Boss","superuser_first_name":"B"}`)
	c2 := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", id2), ""))
	if c2["superuser_name"] != "Boss" || c2["company"] != nil || c2["external_key"] != nil || c2["superuser_email"] != nil {
		t.Errorf("minimal customer %v", c2)
	}
	if id2 <= id {
		t.Errorf("ids not ascending: %d then %d", id, id2)
	}
}

func TestCustomerErrors(t *testing.T) {
	e := newEnv(t)
	e.mustCustomer(`{"external_key":"taken"}`)
	noData := "A required parameter was missing: No data."
	tests := []struct {
		name, body, msg string
		details         map[string]string
	}{
		{"empty", "", noData, nil},
		{"empty object", "{}", noData, nil},
		{"unknown only", `{"email":"x@example.com"}`, noData, nil},
		{"nulls", `{"company":null,"external_key":""}`, noData, nil},
		{"not an object", `[]`, badParam, map[string]string{"body": "not a JSON object"}},
		{"invalid JSON", `{"company":`, badParam, map[string]string{"body": "not a JSON object"}},
		{"taken", `{"external_key":"taken"}`, badParam, map[string]string{"external_key": "already in use"}},
		{"too long", `{"company":"` + strings.Repeat("c", 256) + `"}`, badParam, map[string]string{"company": "too long"}},
		{"email too long", `{"superuser_email":"` + strings.Repeat("e", 250) + `@x.com"}`, badParam, map[string]string{"superuser_email": "too long"}},
		{"bool", `{"company":true}`, badParam, map[string]string{"company": "invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.with(t).co("POST", "/api/v3/customer", tt.body), 400, tt.msg, tt.details)
		})
	}
	// 255 characters after trimming is fine.
	created(t, e.co("POST", "/api/v3/customer", `{"company":"  `+strings.Repeat("ü", 255)+`  "}`))
	// The same external key is free in live mode.
	created(t, e.coAs(e.lpkey, e.lskey, "POST", "/api/v3/customer", `{"external_key":"taken"}`))
	for _, path := range []string{"/api/v3/customer/999", "/api/v3/customer/token:abcdefabcdef", "/api/v3/customer/external_key:none"} {
		wantError(t, e.co("GET", path, ""), 404, "This customer does not exist.", nil)
	}
	wantError(t, e.co("PUT", "/api/v3/customer/1", `{"company":"x"}`), 400, "The command requested is not supported: modify(customer, 1)", nil)
}

func TestCustomerListCountDelete(t *testing.T) {
	e := newEnv(t)
	a := e.mustCustomer(`{"company":"Acme, Inc","superuser_email":"a@example.com"}`)
	b := e.mustCustomer(`{"company":"ACME Labs 100%"}`)
	c := e.mustCustomer(`{"external_key":"k"}`)
	e.mustCard(a, "4111111111111111", "")
	e.mustCard(a, "5555555555554444", "")
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{a, b, c}},
		{"order=customer_id:DESC", []int64{c, b, a}},
		{`where=company:CONTAINS:acme\,%20inc`, []int64{a}},
		{"where=company:CONTAINS:acme", []int64{a, b}},
		{"where=company:CONTAINS:100%25", []int64{b}},
		{"where=company:CONTAINS:_", nil},
		{"where=company:IS:NULL", []int64{c}},
		{"where=company:ISNOT:null&order=company:DESC", []int64{a, b}}, // byte-wise: "ACME" < "Acme"
		{"where=superuser_email:EQUALS:a@example.com", []int64{a}},
		{fmt.Sprintf("where=customer_id:GT:%d&where=customer_id:LTE:%d", a, c), []int64{b, c}},
		{"limit=1&offset=1", []int64{b}},
	}
	for _, tt := range tests {
		got := ids(list(t, e.co("GET", "/api/v3/customer?"+tt.query, "")), "customer_id")
		if fmt.Sprint(got) != fmt.Sprint(orNone(tt.want)) {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
		n := count(t, e.co("GET", "/api/v3/customer/_count?"+tt.query+"&limit=abc&order=bad", ""))
		if !strings.Contains(tt.query, "limit") && n != len(tt.want) {
			t.Errorf("%s: _count %d, want %d", tt.query, n, len(tt.want))
		}
	}
	wantError(t, e.co("GET", "/api/v3/customer?where=company:GT:a,nope:EQUALS:1&order=token:UP", ""), 400, badParam,
		map[string]string{"where": "condition 2: field is not filterable", "order": "key 1: invalid direction"})
	wantError(t, e.co("GET", "/api/v3/customer/_count?where=customer_id:CONTAINS:1", ""), 400, badParam,
		map[string]string{"where": "condition 1: operator not allowed for field"})

	var omiseCust map[string]any
	omiseID := object(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", a), ""))["omise_id"].(string)
	var ok bool
	okResponse(t, e.co("DELETE", fmt.Sprintf("/api/v3/customer/%d", a), ""), &ok)
	if !ok {
		t.Error("delete response not true")
	}
	wantError(t, e.co("GET", fmt.Sprintf("/api/v3/customer/%d", a), ""), 404, "This customer does not exist.", nil)
	if n := count(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/_count?where=customer_id:EQUALS:%d", a), "")); n != 0 {
		t.Errorf("%d cards survive their customer", n)
	}
	if r := e.omise(e.skey, "GET", "/customers/"+omiseID, nil); r.status != 404 {
		t.Errorf("Omise still has the customer: %d %v", r.status, omiseCust)
	}
	wantError(t, e.co("DELETE", fmt.Sprintf("/api/v3/customer/%d", a), ""), 404, "This customer does not exist.", nil)
}

func orNone(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}
