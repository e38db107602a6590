package chargeoverapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/chargeoverapi"
)

// TestNoPANOrCVVLeaks stores cards with distinct numbers and security codes,
// valid and invalid, tries to filter and look up by number, and checks that
// no number, security code or key appears in any response or log line, and
// that log lines carry route patterns, never raw paths or queries.
func TestNoPANOrCVVLeaks(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Leak check"}`)
	pans := []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
		"4242424242424241", "1234567812345678", luhn("400000000000123")}
	cvvs := []string{"731", "846", "9153", "264", "375", "486", "597"}
	var bodies []string
	record := func(r *resp) { bodies = append(bodies, string(r.body)) }
	for i, pan := range pans {
		spaced := pan[:4] + " " + pan[4:8] + "-" + pan[8:]
		for _, number := range []string{fmt.Sprintf("%q", pan), fmt.Sprintf("%q", spaced), pan} {
			record(e.co("POST", "/api/v3/creditcard", fmt.Sprintf(`{"customer_id":%d,"number":%s,"expdate":"2031-01-01","cvv":"%s"}`,
				cust, number, cvvs[i])))
		}
		record(e.co("POST", "/api/v3/creditcard", fmt.Sprintf(`{"customer_id":%d,"number":"%s","expdate":"2020-01-01","cvv":"%s1"}`,
			cust, pan, cvvs[i])))
		for _, q := range []string{"where=number:EQUALS:" + pan, "where=external_key:EQUALS:" + pan, "order=" + pan,
			"limit=" + pan, "where=cvv:EQUALS:" + cvvs[i]} {
			record(e.co("GET", "/api/v3/creditcard?"+q, ""))
			record(e.co("GET", "/api/v3/creditcard/_count?"+q, ""))
		}
		for _, p := range []string{pan, "token:" + pan, "external_key:" + pan} {
			record(e.co("GET", "/api/v3/creditcard/"+p, ""))
			record(e.co("PUT", "/api/v3/creditcard/"+p, ""))
		}
		record(e.co("GET", "/api/v3/"+pan, ""))
		record(e.coAs(pan, cvvs[i], "GET", "/api/v3/creditcard", ""))
		req := e.newReq("GET", "/api/v3/creditcard", "")
		req.Header.Set("Authorization", signHeader(e.pkey, pan, e.srv.URL+"/api/v3/creditcard", cvvs[i], time.Now().Unix(), ""))
		record(e.send(req))
	}
	record(e.co("GET", "/api/v3/creditcard?limit=500", ""))
	if n := count(t, e.co("GET", "/api/v3/creditcard/_count", "")); n != 5 {
		t.Errorf("%d cards stored, want 5 (the valid numbers)", n)
	}
	secrets := append(append([]string{e.pkey, e.skey}, pans...), cvvs...)
	for _, b := range bodies {
		checkNoSecrets(t, "response", b, pans, secrets)
	}
	logs := e.logs.String()
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		checkNoSecrets(t, "log", sc.Text(), pans, secrets)
		checkLogLine(t, sc.Text())
	}
	if lines < len(bodies) {
		t.Errorf("%d log lines for %d requests", lines, len(bodies))
	}
}

// checkNoSecrets fails if s holds a PAN (also as 15-digit prefix) anywhere,
// or a security code or key as a whole JSON string value or a JSON key.
func checkNoSecrets(t *testing.T, what, s string, pans, secrets []string) {
	t.Helper()
	for _, pan := range pans {
		if strings.Contains(s, pan[:len(pan)-1]) {
			t.Errorf("%s holds a card number: %.300s", what, s)
		}
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s is not JSON: %.300s", what, s)
	}
	walkStrings(v, func(str string) {
		for _, sec := range secrets {
			if str == sec || strings.Contains(str, sec) && len(sec) > 4 {
				t.Errorf("%s holds a secret %q: %.300s", what, str, s)
			}
		}
		if str == "cvv" || str == "number" || str == "security_code" {
			t.Errorf("%s names field %q: %.300s", what, str, s)
		}
	})
}

// walkStrings calls fn with every string and object key in v.
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, c := range x {
			walkStrings(c, fn)
		}
	case map[string]any:
		for k, c := range x {
			fn(k)
			walkStrings(c, fn)
		}
	}
}

// checkLogLine checks an access-log line: a route pattern, no raw query.
func checkLogLine(t *testing.T, line string) {
	t.Helper()
	var rec map[string]any
	_ = json.Unmarshal([]byte(line), &rec)
	if rec["msg"] != "request" {
		return
	}
	route, _ := rec["route"].(string)
	if !strings.HasPrefix(route, "chargeover:") && !strings.HasPrefix(route, "omise:") {
		t.Errorf("route %q", route)
	}
	for _, bad := range []string{"where", "EQUALS", "?", "token:", "external_key:", "Basic", "ChargeOver "} {
		if strings.Contains(line, bad) {
			t.Errorf("log line holds %q: %s", bad, line)
		}
	}
}

// TestStoreFailureIs500 closes the store under the server: the client gets
// the generic 500 envelope and the log has the cause with the request id.
func TestStoreFailureIs500(t *testing.T) {
	e := newEnv(t)
	e.db.Close()
	req := e.newReq("GET", "/api/v3/creditcard?where=number:EQUALS:4111111111111111", "")
	req.SetBasicAuth(e.pkey, e.skey)
	req.Header.Set("X-Request-Id", "req-test-500")
	r := e.send(req)
	want := `{"code":500,"status":"Error","message":"Internal server error.","details":{},"response":false}` + "\n"
	if r.status != 500 || string(r.body) != want {
		t.Errorf("got %d %s", r.status, r.body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"internal error","request_id":"req-test-500"`) {
		t.Errorf("internal error not logged with request id:\n%s", logs)
	}
	if strings.Contains(logs, "4111111111111111") {
		t.Error("query logged")
	}
}

func TestWritePanic(t *testing.T) {
	w := httptest.NewRecorder()
	chargeoverapi.WritePanic(w, httptest.NewRequest("GET", "/api/v3/creditcard", nil))
	want := `{"code":500,"status":"Error","message":"Internal server error.","details":{},"response":false}` + "\n"
	if w.Code != 500 || w.Body.String() != want || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}
