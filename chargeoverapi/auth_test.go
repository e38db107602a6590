package chargeoverapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestBasicAuth(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Test mode"}`)
	tests := []struct {
		name, header string
		status       int
		msg          string
	}{
		{"test pair", basic(e.pkey, e.skey), 200, ""},
		{"live pair", basic(e.lpkey, e.lskey), 200, ""},
		{"lower-case scheme", "basic " + b64(e.pkey+":"+e.skey), 200, ""},
		{"no header", "", 401, "Missing (basic) authorization header."},
		{"bearer", "Bearer " + e.skey, 401, "Missing (basic) authorization header."},
		{"scheme only", "Basic", 401, "Invalid API credentials."},
		{"bad base64", "Basic !!!", 401, "Invalid API credentials."},
		{"no colon", "Basic " + b64(e.pkey), 401, "Invalid API credentials."},
		{"reversed", basic(e.skey, e.pkey), 401, "Invalid API credentials."},
		{"public twice", basic(e.pkey, e.pkey), 401, "Invalid API credentials."},
		{"secret twice", basic(e.skey, e.skey), 401, "Invalid API credentials."},
		{"secret only", basic(e.skey, ""), 401, "Invalid API credentials."},
		{"public only", basic(e.pkey, ""), 401, "Invalid API credentials."},
		{"other account's secret", basic(e.pkey, e.otherSk), 401, "Invalid API credentials."},
		{"live public, test secret", basic(e.lpkey, e.skey), 401, "Invalid API credentials."},
		{"unknown keys", basic("pkey_test_"+strings.Repeat("a", 32), "skey_test_"+strings.Repeat("a", 32)), 401, "Invalid API credentials."},
		{"garbage", basic("4111111111111111", "x"), 401, "Invalid API credentials."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			req := e.newReq("GET", "/api/v3/customer", "")
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			r := e.send(req)
			if tt.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			wantError(t, r, tt.status, authPrefix+tt.msg+"]", nil)
		})
	}
	// The live pair sees live data only.
	if got := list(t, e.coAs(e.lpkey, e.lskey, "GET", "/api/v3/customer", "")); len(got) != 0 {
		t.Errorf("live pair sees %d test customers", len(got))
	}
	wantError(t, e.coAs(e.lpkey, e.lskey, "GET", fmt.Sprintf("/api/v3/customer/%d", cust), ""), 404, "This customer does not exist.", nil)
	wantError(t, e.coAs(e.otherPkey, e.otherSk, "GET", fmt.Sprintf("/api/v3/customer/%d", cust), ""), 404, "This customer does not exist.", nil)
}

// TestAuthBeforeRouting checks that routing, query and body errors come
// only after authentication.
func TestAuthBeforeRouting(t *testing.T) {
	e := newEnv(t)
	for _, c := range [][2]string{{"GET", "/api/v3/creditcards"}, {"PUT", "/api/v3/creditcard/1"}, {"GET", "/api/v2/x"},
		{"GET", "/api/v3/creditcard/abc"}, {"GET", "/api/v3/creditcard?where=bad"}, {"POST", "/api/v3/creditcard"},
		{"GET", "/api/v3//creditcard"}, {"GET", "/api/v3/creditcard/../customer"}, {"GET", "/api/"}} {
		r := e.send(e.newReq(c[0], c[1], "not json"))
		wantError(t, r, 401, authPrefix+"Missing (basic) authorization header.]", nil)
	}
}

func basic(user, pass string) string { return "Basic " + b64(user+":"+pass) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// signHeader computes a signature-v1 header for a full URL.
func signHeader(pub, sec, fullURL, nonce string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(sec))
	m.Write([]byte(fmt.Sprintf("%s||%s||%s||%d||%s", pub, strings.ToLower(fullURL), nonce, ts, body)))
	return fmt.Sprintf(`ChargeOver co_public_key="%s" co_nonce="%s" co_timestamp="%d" co_signature_method="HMAC-SHA256" `+
		`co_version="1.0" co_signature="%s"`, pub, nonce, ts, hex.EncodeToString(m.Sum(nil)))
}

func TestSignatureOverHTTP(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Sig"}`)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	now := time.Now().Unix()
	target := "/api/v3/customer?where=company:EQUALS:Sig"
	card := fmt.Sprintf(`{"customer_id":%d,"number":"4111111111111111","expdate_year":"2030","expdate_month":"05"}`, cust)
	tests := []struct {
		name, method, target, body, header string
		status                             int
		msg                                string
	}{
		{"http URL", "GET", target, "", signHeader(e.pkey, e.skey, "http://"+host+target, "n1", now, ""), 200, ""},
		{"https URL", "GET", target, "", signHeader(e.pkey, e.skey, "https://"+host+target, "n2", now, ""), 200, ""},
		{"upper-case hex", "GET", target, "", upperHex(signHeader(e.pkey, e.skey, "http://"+host+target, "n3", now, "")), 200, ""},
		{"POST body is signed and used", "POST", "/api/v3/creditcard", card,
			signHeader(e.pkey, e.skey, "http://"+host+"/api/v3/creditcard", "n4", now, card), 201, ""},
		{"body tampered", "POST", "/api/v3/creditcard", card,
			signHeader(e.pkey, e.skey, "http://"+host+"/api/v3/creditcard", "n5", now, card+" "), 401, "Invalid signature."},
		{"other path", "GET", "/api/v3/customer", "", signHeader(e.pkey, e.skey, "http://"+host+target, "n6", now, ""), 401, "Invalid signature."},
		{"wrong secret", "GET", target, "", signHeader(e.pkey, e.otherSk, "http://"+host+target, "n7", now, ""), 401, "Invalid signature."},
		{"secret of other mode", "GET", target, "", signHeader(e.pkey, e.lskey, "http://"+host+target, "n8", now, ""), 401, "Invalid signature."},
		{"unknown public key", "GET", target, "", signHeader("pkey_test_"+strings.Repeat("0", 32), e.skey, "http://"+host+target, "n9", now, ""), 401, "Invalid API credentials."},
		{"secret key as public key", "GET", target, "", signHeader(e.skey, e.skey, "http://"+host+target, "n10", now, ""), 401, "Invalid API credentials."},
		{"malformed header", "GET", target, "", "ChargeOver co_public_key=" + e.pkey, 401, "Invalid signature."},
		{"bad nonce", "GET", target, "", signHeader(e.pkey, e.skey, "http://"+host+target, "n-1", now, ""), 401, "Invalid signature."},
		{"edge of window", "GET", target, "", signHeader(e.pkey, e.skey, "http://"+host+target, "n11", now-290, ""), 200, ""},
		{"live key sees live data", "GET", "/api/v3/customer", "", signHeader(e.lpkey, e.lskey, "http://"+host+"/api/v3/customer", "n1", now, ""), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := e.with(t)
			req := e.newReq(tt.method, tt.target, tt.body)
			req.Header.Set("Authorization", tt.header)
			r := e.send(req)
			if tt.status >= 400 {
				wantError(t, r, tt.status, authPrefix+tt.msg+"]", nil)
			} else if r.status != tt.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
	if got := count(t, e.co("GET", fmt.Sprintf("/api/v3/creditcard/_count?where=customer_id:EQUALS:%d", cust), "")); got != 1 {
		t.Errorf("signed POST stored %d cards, want 1", got)
	}
}

// upperHex upper-cases the hex digits of co_signature only.
func upperHex(h string) string {
	i := strings.Index(h, `co_signature="`) + len(`co_signature="`)
	return h[:i] + strings.ToUpper(h[i:])
}
