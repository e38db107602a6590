package chargeoverapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
)

// Rows 15–27 of API.md §6, each from the fixture state.

const authPrefix = "Invalid or incorrect authorization ["

func TestRow15NoAuth(t *testing.T) {
	e := newEnv(t)
	r := e.send(e.newReq("GET", "/api/v3/creditcard", ""))
	want := `{"code":401,"status":"Error","message":"Invalid or incorrect authorization [Missing (basic) authorization header.]","details":{},"response":false}` + "\n"
	if r.status != 401 || string(r.body) != want {
		t.Errorf("got %d %s\nwant 401 %s", r.status, r.body, want)
	}
}

func TestRow16WrongPairs(t *testing.T) {
	e := newEnv(t)
	for name, up := range map[string][2]string{
		"test public, live secret": {e.pkey, e.lskey},
		"secret as user":           {e.skey, ""},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, e.with(t).coAs(up[0], up[1], "GET", "/api/v3/creditcard", ""), 401,
				authPrefix+"Invalid API credentials.]", nil)
		})
	}
}

// row17Body is the card of row 17 for a customer.
func row17Body(cust int64, number, expiry string) string {
	return fmt.Sprintf(`{"customer_id":%d,"number":%q,%s,"name":"John Doe","cvv":"123"}`, cust, number, expiry)
}

func TestRows17to19StoreGetUpsert(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	r := e.co("POST", "/api/v3/creditcard", row17Body(f.cust, "4012 8888 8888 1881", `"expdate_year":2030,"expdate_month":"5"`))
	n := created(t, r)
	if want := fmt.Sprintf(`{"code":201,"status":"OK","message":"","details":{},"response":{"id":%d}}`+"\n", n); string(r.body) != want {
		t.Errorf("body %s, want %s", r.body, want)
	}
	if want := fmt.Sprintf("%s/api/v3/creditcard/%d", e.srv.URL, n); r.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
	}
	if n <= f.mast {
		t.Errorf("new id %d not above %d", n, f.mast)
	}

	// Row 18.
	r = e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", n), "")
	c := object(t, r)
	for k, want := range map[string]any{"type": "visa", "type_name": "Visa", "mask_number": "x1881",
		"mask_and_bin_number": "401288xxx1881", "expdate": "2030-05-01", "expdate_month": "5", "expdate_year": "2030",
		"expdate_formatted": "May 2030", "creditcard_id": float64(n), "customer_id": float64(f.cust), "name": "John Doe"} {
		if c[k] != want {
			t.Errorf("%s = %v, want %v", k, c[k], want)
		}
	}
	if !regexp.MustCompile(`^[a-z0-9]{12}$`).MatchString(fmt.Sprint(c["token"])) {
		t.Errorf("token %v", c["token"])
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(fmt.Sprint(c["write_datetime"])) {
		t.Errorf("write_datetime %v", c["write_datetime"])
	}
	for _, k := range []string{"number", "cvv"} {
		if _, ok := c[k]; ok {
			t.Errorf("card has key %q", k)
		}
	}
	if strings.Contains(string(r.body), "4012888888881881") {
		t.Error("PAN in response")
	}

	// Row 19.
	n2 := created(t, e.co("POST", "/api/v3/creditcard", row17Body(f.cust, "4012888888881881", `"expdate":"2033-02-01"`)))
	if n2 != n {
		t.Errorf("upsert gave id %d, want %d", n2, n)
	}
	if got := object(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", n), ""))["expdate"]; got != "2033-02-01" {
		t.Errorf("expdate after upsert %v", got)
	}
	if got := count(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/_count?where=customer_id:EQUALS:%d", f.cust), "")); got != 3 {
		t.Errorf("_count = %d, want 3", got)
	}
}

func TestRows20to22QueryErrors(t *testing.T) {
	e := newEnv(t)
	e.mustFixture()
	tests := []struct{ query, key, detail string }{
		{"where=customer_id:LIKE:42", "where", "condition 1: unknown operator"},
		{"where=number:EQUALS:4111111111111111", "where", "condition 1: field is not filterable"},
		{"limit=abc", "limit", "must be a non-negative integer"},
		{"offset=-1", "offset", "must be a non-negative integer"},
		{"limit=1.5", "limit", "must be a non-negative integer"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.with(t).co("GET", "/api/v3/creditcard?"+tt.query, "")
			wantError(t, r, 400, "Missing or invalid parameter.", map[string]string{tt.key: tt.detail})
			if strings.Contains(string(r.body), "4111111111111111") {
				t.Error("query value echoed")
			}
		})
	}
}

func TestRow22LimitClamping(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	for i := range 10 {
		e.mustCard(f.cust, luhn("4000"+fmt.Sprintf("%011d", i)), "")
	}
	if got := len(list(t, e.co("GET", "/api/v3/creditcard?limit=0", ""))); got != 10 {
		t.Errorf("limit=0 gave %d cards, want 10", got)
	}
	if got := len(list(t, e.co("GET", "/api/v3/creditcard", ""))); got != 10 {
		t.Errorf("no limit gave %d cards, want 10", got)
	}
	if got := len(list(t, e.co("GET", "/api/v3/creditcard?limit=100000", ""))); got != 12 {
		t.Errorf("limit=100000 gave %d cards, want all 12", got)
	}
	if got := len(list(t, e.co("GET", "/api/v3/creditcard?limit=99999999999999999999999", ""))); got != 12 {
		t.Errorf("huge limit gave %d cards, want all 12", got)
	}
	if got := list(t, e.co("GET", "/api/v3/creditcard?offset=9223372036854775807", "")); len(got) != 0 {
		t.Errorf("offset past the end gave %d cards", len(got))
	}
	wantError(t, e.co("GET", "/api/v3/creditcard?offset=9223372036854775808", ""), 400,
		"Missing or invalid parameter.", map[string]string{"offset": "must be a non-negative integer"})
}

func TestRow23UnknownParamsAndOrder(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	other := e.mustCustomer(`{"company":"Other"}`)
	e.mustCard(other, "4111111111111111", "")
	r := e.co("GET", fmt.Sprintf("/api/v3/creditcard?_dummy=1&_flag_emails=0&where=customer_id%%3AEQUALS%%3A%d"+
		"&order=creditcard_id%%3ADESC&offset=0&limit=0", f.cust), "")
	if got := ids(list(t, r), "creditcard_id"); fmt.Sprint(got) != fmt.Sprint([]int64{f.mast, f.visa}) {
		t.Errorf("ids %v, want [%d %d]", got, f.mast, f.visa)
	}
}

func TestRow24ExternalKeyEscapes(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	n := e.mustCard(f.cust, "4111111111111111", `,"external_key":"ext:1"`)
	e.mustCard(f.cust, "4012888888881881", `,"external_key":"ext"`)
	for _, q := range []string{`where=external_key:EQUALS:ext\:1`, `where=external_key%3AEQUALS%3Aext%5C%3A1`} {
		if got := ids(list(t, e.co("GET", "/api/v3/creditcard?"+q, "")), "creditcard_id"); fmt.Sprint(got) != fmt.Sprint([]int64{n}) {
			t.Errorf("%s: ids %v, want [%d]", q, got, n)
		}
	}
}

func TestRow25UnsupportedCommandAndType(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	wantError(t, e.co("PUT", fmt.Sprintf("/api/v3/creditcard/%d", f.mast), "{}"), 400,
		// The ref is echoed by the echo rule (§1.5): an id of 12 or more digits is redacted.
		"The command requested is not supported: modify(creditcard, "+httpx.Echo(strconv.FormatInt(f.mast, 10))+")", nil)
	wantError(t, e.co("GET", "/api/v3/creditcards", ""), 400,
		"The object type requested is not supported: list(creditcards, )", nil)
}

func TestRow26Delete(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	var ok bool
	okResponse(t, e.co("DELETE", fmt.Sprintf("/api/v3/creditcard/%d", f.mast), ""), &ok)
	if !ok {
		t.Error("response not true")
	}
	wantError(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/%d", f.mast), ""), 404, "This credit card does not exist.", nil)
	if r := e.omise(e.skey, "GET", "/customers/"+f.custOmise+"/cards/"+f.mastOmise, nil); r.status != 404 {
		t.Errorf("Omise GET deleted card: %d %s", r.status, r.body)
	}
	wantError(t, e.co("DELETE", fmt.Sprintf("/api/v3/creditcard/%d", f.mast), ""), 404, "This credit card does not exist.", nil)
}

// signedReq builds a signature-v1 request, computing the MAC independently
// of the package under test.
func (e *env) signedReq(pub, sec, method, target, body, nonce string, ts int64) *http.Request {
	req := e.newReq(method, target, body)
	tsText := strconv.FormatInt(ts, 10)
	m := hmac.New(sha256.New, []byte(sec))
	m.Write([]byte(pub + "||" + strings.ToLower(e.srv.URL+target) + "||" + nonce + "||" + tsText + "||" + body))
	req.Header.Set("Authorization", fmt.Sprintf(`ChargeOver co_public_key="%s" co_nonce="%s" co_timestamp="%s" `+
		`co_signature_method="HMAC-SHA256" co_version="1.0" co_signature="%s"`, pub, nonce, tsText, hex.EncodeToString(m.Sum(nil))))
	return req
}

func TestRow27Signature(t *testing.T) {
	e := newEnv(t)
	f := e.mustFixture()
	target := fmt.Sprintf("/api/v3/creditcard?where=customer_id:EQUALS:%d", f.cust)
	now := time.Now().Unix()
	req := e.signedReq(e.pkey, e.skey, "GET", target, "", "abcd1234", now)
	if got := ids(list(t, e.send(req)), "creditcard_id"); fmt.Sprint(got) != fmt.Sprint([]int64{f.visa, f.mast}) {
		t.Errorf("ids %v", got)
	}
	again := e.signedReq(e.pkey, e.skey, "GET", target, "", "abcd1234", now)
	wantError(t, e.send(again), 401, authPrefix+"Nonce already used.]", nil)
	old := e.signedReq(e.pkey, e.skey, "GET", target, "", "fresh0001", now-600)
	wantError(t, e.send(old), 401, authPrefix+"Request timestamp out of range.]", nil)
	future := e.signedReq(e.pkey, e.skey, "GET", target, "", "fresh0002", now+600)
	wantError(t, e.send(future), 401, authPrefix+"Request timestamp out of range.]", nil)
	// The out-of-range requests did not burn their nonces.
	if r := e.send(e.signedReq(e.pkey, e.skey, "GET", target, "", "fresh0001", now)); r.status != 200 {
		t.Errorf("fresh nonce after rejected timestamp: %d %s", r.status, r.body)
	}
}
