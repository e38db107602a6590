package omiseapi_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
	"github.com/cardvault/cardvault/ratelimit"
)

// rawExchange writes raw bytes of a request to addr, then runs after on the
// connection (close it, half-close it, or nothing) and reads the response.
func rawExchange(t *testing.T, addr, raw string, after func(*net.TCPConn)) (*http.Response, []byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := c.(*net.TCPConn)
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	if after != nil {
		after(conn)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	b, _ := io.ReadAll(res.Body)
	return res, b, nil
}

func basic(key string) string { return base64.StdEncoding.EncodeToString([]byte(key + ":")) }

// waitLog polls the log for a line containing want.
func waitLog(t *testing.T, logs interface{ String() string }, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(logs.String(), want) {
			return
		}
	}
	t.Fatalf("no log line with %q in:\n%s", want, logs.String())
}

// TestClientBodyFaults: a body the client does not deliver is a 400
// bad_request over a real connection, logged below ERROR, never a 500.
func TestClientBodyFaults(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewUnstartedServer(e.Handler)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	head := "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic(e.SK) +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	halfClose := func(c *net.TCPConn) { c.CloseWrite() }
	tests := []struct {
		name  string
		raw   string
		after func(*net.TCPConn)
	}{
		{"shorter than Content-Length", head + "Content-Length: 100\r\n\r\nemail=a", halfClose},
		{"broken chunked framing", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nemail=a\r\n0\r\n\r\n", nil},
		{"truncated chunked", head + "Transfer-Encoding: chunked\r\n\r\n10\r\nemail=a", halfClose},
		{"dribbles past the read timeout", head + "Content-Length: 100\r\n\r\nemail=a", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b, err := rawExchange(t, addr, tc.raw, tc.after)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			var body map[string]any
			json.Unmarshal(b, &body)
			if res.StatusCode != 400 || body["code"] != "bad_request" || body["message"] != "request body could not be read" {
				t.Fatalf("= %d %s, want 400 bad_request", res.StatusCode, b)
			}
		})
	}
	// A client that disconnects mid-body gets nothing, and the server logs a client error.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, head+"Content-Length: 100\r\nX-Request-Id: gone1\r\n\r\nemail=a")
	c.Close()
	waitLog(t, e.Logs, `"status":400,`)
	waitLog(t, e.Logs, `"request_id":"gone1"}`)
	if strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("client faults logged at ERROR:\n%s", e.Logs.String())
	}
	if !strings.Contains(e.Logs.String(), `"level":"INFO","msg":"client error"`) {
		t.Errorf("no client error line:\n%s", e.Logs.String())
	}
	if strings.Contains(e.Logs.String(), "127.0.0.1") {
		t.Errorf("a client address was logged:\n%s", e.Logs.String())
	}
}

// TestBodyGate: when every turn at the body gate is taken, a request with a
// body waits MaxBodyWait and gets 429 too_many_requests with Retry-After;
// requests without a body do not wait.
func TestBodyGate(t *testing.T) {
	e := newEnv(t)
	var leaves []func()
	for range httpx.MaxParallelDecodes {
		leave, err := httpx.Decodes.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leave)
	}
	start := time.Now()
	r := e.doH(t, "POST", "/customers", e.SK, ctForm, "email=a@example.com", nil)
	if r.Status != http.StatusTooManyRequests || r.Body["code"] != "too_many_requests" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("busy gate = %d %v Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d < httpx.MaxBodyWait {
		t.Errorf("refused after %v, before MaxBodyWait", d)
	}
	if st, _ := e.do(t, "GET", "/customers", e.SK, "", ""); st != 200 {
		t.Errorf("GET without a body = %d, want 200", st)
	}
	leaves[0]()
	if st, body := e.do(t, "POST", "/customers", e.SK, ctForm, "email=a@example.com"); st != 200 {
		t.Errorf("with a free turn = %d %v", st, body)
	}
	for _, l := range leaves[1:] {
		l()
	}
}

// TestLargeBodiesDoNotBlockSmallOnes: with every read turn for large bodies
// taken (clients dribbling 1 MiB bodies), small bodies are still served, and
// a large one waits and gets 429.
func TestLargeBodiesDoNotBlockSmallOnes(t *testing.T) {
	e := newEnv(t)
	var leaves []func()
	for range httpx.MaxParallelReads {
		leave, err := httpx.Reads.Enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leave)
	}
	defer func() {
		for _, l := range leaves {
			l()
		}
	}()
	if st, body := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm()); st != 200 {
		t.Errorf("small body = %d %v", st, body)
	}
	big := "email=a@example.com&description=" + strings.Repeat("+", httpx.SmallBody)
	st, body := e.do(t, "POST", "/customers", e.SK, ctForm, big)
	wantError(t, st, body, 429, "too_many_requests", "too many requests")
}

// TestParameterLimits: past param.MaxNodes the request is a bad_request,
// at the limit it is decoded (form and JSON).
func TestParameterLimits(t *testing.T) {
	e := newEnv(t)
	// root + metadata + one per key: nodes = keys + 2 (plus email)
	form := func(keys int) string {
		var b strings.Builder
		b.WriteString("email=a@example.com")
		for i := range keys {
			fmt.Fprintf(&b, "&x%d=1", i)
		}
		return b.String()
	}
	if st, body := e.do(t, "POST", "/customers", e.SK, ctForm, form(param.MaxNodes-2)); st != 200 {
		t.Errorf("form at the limit = %d %v", st, body)
	}
	st, body := e.do(t, "POST", "/customers", e.SK, ctForm, form(param.MaxNodes-1))
	wantError(t, st, body, 400, "bad_request", "request has too many parameters")
	js := func(n int) string { return `{"email":"a@example.com","x":[` + strings.Repeat("0,", n-1) + `0]}` }
	if st, body := e.do(t, "POST", "/customers", e.SK, ctJSON, js(param.MaxNodes-3)); st != 200 {
		t.Errorf("JSON at the limit = %d %v", st, body)
	}
	st, body = e.do(t, "POST", "/customers", e.SK, ctJSON, js(param.MaxNodes-2))
	wantError(t, st, body, 400, "bad_request", "request has too many parameters")
}

// TestUnstorableText: NUL bytes and invalid UTF-8 in any stored text field
// are refused with "{param} is invalid", from forms and from JSON (raw
// invalid bytes and lone surrogates are not silently replaced).
func TestUnstorableText(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.MustToken(t, "4242424242424242")
	cust := e.MustCustomer(t, e.SK, "card="+tok)
	custID, cardID := cust["id"].(string), cust["default_card"].(string)
	bad := map[string]string{"NUL": "a%00b", "invalid UTF-8": "a%FFb", "surrogate": "%ED%A0%80"}
	badJSON := map[string]string{"NUL": `"a\u0000b"`, "invalid UTF-8": "\"a\xffb\"", "surrogate": `"\ud800"`}
	type field struct{ method, path, key, form, jsonKey, wire string }
	var fields []field
	for _, f := range []string{"name", "street1", "street2", "city", "state", "postal_code", "country", "phone_number"} {
		fields = append(fields, field{"POST", "/tokens", e.PK, cardForm() + "&card[" + f + "]=", "", "card[" + f + "]"})
	}
	fields = append(fields,
		field{"POST", "/customers", e.SK, "email=", "email", "email"},
		field{"POST", "/customers", e.SK, "description=", "description", "description"},
		field{"POST", "/customers", e.SK, "metadata[k]=", "", "metadata"},
		field{"PATCH", "/customers/" + custID, e.SK, "description=", "description", "description"},
		field{"PATCH", "/customers/" + custID + "/cards/" + cardID, e.SK, "name=", "name", "name"},
		field{"PATCH", "/customers/" + custID + "/cards/" + cardID, e.SK, "city=", "city", "city"},
	)
	for _, f := range fields {
		for kind, v := range bad {
			t.Run(f.method+" "+f.wire+" form "+kind, func(t *testing.T) {
				st, body := e.do(t, f.method, f.path, f.key, ctForm, f.form+v)
				wantError(t, st, body, 400, "bad_request", f.wire+" is invalid")
			})
		}
		if f.jsonKey == "" {
			continue
		}
		for kind, v := range badJSON {
			t.Run(f.method+" "+f.wire+" JSON "+kind, func(t *testing.T) {
				st, body := e.do(t, f.method, f.path, f.key, ctJSON, `{"`+f.jsonKey+`":`+v+`}`)
				wantError(t, st, body, 400, "bad_request", f.wire+" is invalid")
			})
		}
	}
	for kind, v := range badJSON {
		t.Run("metadata key JSON "+kind, func(t *testing.T) {
			st, body := e.do(t, "POST", "/customers", e.SK, ctJSON, `{"metadata":{`+v+`:"x"}}`)
			wantError(t, st, body, 400, "bad_request", "metadata is invalid")
		})
		t.Run("metadata nested value JSON "+kind, func(t *testing.T) {
			st, body := e.do(t, "POST", "/customers", e.SK, ctJSON, `{"metadata":{"a":[{"b":`+v+`}]}}`)
			wantError(t, st, body, 400, "bad_request", "metadata is invalid")
		})
	}
	// Text that is valid stays exactly as given (no replacement anywhere).
	st, c := e.do(t, "POST", "/customers", e.SK, ctJSON, `{"description":"ส\ufffd😀 \ud83d\ude00","metadata":{"k":"é"}}`)
	if st != 200 || c["description"] != "ส\ufffd😀 😀" {
		t.Errorf("valid text = %d %q", st, c["description"])
	}
}

// TestRateLimitBuckets: server-to-server traffic (secret key, ChargeOver)
// and browser tokenization (public key) have separate buckets; public-key
// routes are also limited per client address.
func TestRateLimitBuckets(t *testing.T) {
	e := newEnv(t)
	e.Vault.Limiter = ratelimit.New(0.5, 2)
	// A ChargeOver job with the same pair uses up the pair's server bucket...
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("GET", e.URL+"/api/v3/customer", nil)
		req.SetBasicAuth(e.PK, e.SK)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("ChargeOver request %d = %d", i+1, res.StatusCode)
		}
	}
	// ...yet tokenization with the public key still has its own.
	for i := 0; i < 2; i++ {
		if st, body := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm()); st != 200 {
			t.Fatalf("token %d after ChargeOver traffic = %d %v", i+1, st, body)
		}
	}
	// The browser bucket of this key and this address are now empty: another
	// account's public key from the same address is limited by the address.
	pk2, _, _, _ := e.NewAccount(t)
	r := e.doH(t, "POST", "/tokens", pk2, ctForm, cardForm(), nil)
	if r.Status != 429 || r.Body["code"] != "too_many_requests" || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("same address, other key = %d %v", r.Status, r.Body)
	}
	// The secret key's server bucket is untouched by all this.
	if st, _ := e.do(t, "GET", "/customers", e.SK, "", ""); st != 200 {
		t.Errorf("secret key after browser traffic = %d", st)
	}
	e.Clock.Advance(2 * time.Second)
	if st, body := e.do(t, "POST", "/tokens", pk2, ctForm, cardForm()); st != 200 {
		t.Errorf("after refill = %d %v", st, body)
	}
}

// TestRateLimitBeforeBody: a limited request is refused before its body is
// read: the answer comes although the announced body never arrives. (The
// body is announced over 256 KiB, which net/http does not wait for before
// answering.)
func TestRateLimitBeforeBody(t *testing.T) {
	e := newEnv(t)
	e.Vault.Limiter = ratelimit.New(0.5, 1)
	if st, _ := e.do(t, "GET", "/customers", e.SK, "", ""); st != 200 {
		t.Fatal(st)
	}
	addr := strings.TrimPrefix(e.URL, "http://")
	res, b, err := rawExchange(t, addr, "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+basic(e.SK)+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 900000\r\n\r\nemail=", nil)
	if err != nil || res.StatusCode != 429 {
		t.Fatalf("limited request with a pending body = %v %s (%v), want 429 at once", res, b, err)
	}
}

// TestUnstorablePathIDs: an id in the path with a NUL or invalid UTF-8
// cannot name an object; it is a 404 without a store lookup.
func TestUnstorablePathIDs(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/customers/cust_test_%00", "/customers/%FF/cards", "/customers/cust_test_a%C3/cards/card_test_b"} {
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			st, body := e.do(t, m, p, e.SK, "", "")
			if st != 404 || body["code"] != "not_found" {
				t.Errorf("%s %s = %d %v, want 404", m, p, st, body)
			}
		}
	}
}
