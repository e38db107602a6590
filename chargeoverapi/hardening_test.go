package chargeoverapi_test

import (
	"bufio"
	"context"
	"encoding/base64"
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

// rawExchange writes raw request bytes to addr, runs after on the connection
// and reads the response.
func rawExchange(t *testing.T, addr, raw string, after func(*net.TCPConn)) (*resp, error) {
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
		return nil, err
	}
	b, _ := io.ReadAll(res.Body)
	return &resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

// TestClientBodyFaults: a body the client does not deliver is the dialect's
// 400 over a real connection, logged below ERROR, never a 500.
func TestClientBodyFaults(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	head := "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " +
		base64.StdEncoding.EncodeToString([]byte(e.pkey+":"+e.skey)) + "\r\n"
	halfClose := func(c *net.TCPConn) { c.CloseWrite() }
	tests := []struct {
		name  string
		raw   string
		after func(*net.TCPConn)
	}{
		{"shorter than Content-Length", head + "Content-Length: 100\r\n\r\n{\"company\":", halfClose},
		{"broken chunked framing", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", nil},
		{"truncated chunked", head + "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"comp", halfClose},
		{"dribbles past the read timeout", head + "Content-Length: 100\r\n\r\n{\"company\":", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := rawExchange(t, addr, tc.raw, tc.after)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			wantError(t, r, 400, badParam, map[string]string{"body": "unreadable"})
		})
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, head+"Content-Length: 100\r\nX-Request-Id: gone1\r\n\r\n{")
	c.Close()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(e.logs.String(), `"request_id":"gone1"}`); {
		if time.Now().After(deadline) {
			t.Fatalf("no access line for the vanished client:\n%s", e.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("client faults logged at ERROR:\n%s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), `"level":"INFO","msg":"client error"`) {
		t.Errorf("no client error line:\n%s", e.logs.String())
	}
	if strings.Contains(e.logs.String(), "127.0.0.1") {
		t.Errorf("a client address was logged:\n%s", e.logs.String())
	}
}

// TestBodyGate: with every turn at the body gate taken, a POST waits and
// gets the dialect's 429; a GET without a body does not wait.
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
	r := e.co("POST", "/api/v3/customer", `{"company":"Busy"}`)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	wantError(t, r, 429, "Too many requests.", nil)
	if r := e.co("GET", "/api/v3/customer", ""); r.status != 200 {
		t.Errorf("GET = %d", r.status)
	}
	for _, l := range leaves {
		l()
	}
	created(t, e.co("POST", "/api/v3/customer", `{"company":"Busy"}`))
}

// TestParameterLimits: a body decoding to more than param.MaxNodes values is
// refused; one at the limit is decoded.
func TestParameterLimits(t *testing.T) {
	e := newEnv(t)
	js := func(n int) string { return `{"company":"Big","x":[` + strings.Repeat("0,", n-1) + `0]}` }
	created(t, e.co("POST", "/api/v3/customer", js(param.MaxNodes-3)))
	wantError(t, e.co("POST", "/api/v3/customer", js(param.MaxNodes-2)), 400, badParam,
		map[string]string{"body": "too many parameters"})
}

// TestUnstorableText: NUL bytes, invalid UTF-8 and lone surrogates in any
// stored text field are refused as invalid, not stored or replaced.
func TestUnstorableText(t *testing.T) {
	e := newEnv(t)
	cust := e.mustCustomer(`{"company":"Text"}`)
	bad := map[string]string{"NUL": `"a\u0000b"`, "invalid UTF-8": "\"a\xffb\"", "surrogate": `"\udc00"`}
	customerFields := []string{"company", "external_key", "superuser_name", "superuser_first_name",
		"superuser_last_name", "superuser_email", "superuser_phone"}
	cardFields := []string{"name", "external_key", "address", "city", "state", "postcode", "country"}
	for kind, v := range bad {
		for _, f := range customerFields {
			t.Run("customer "+f+" "+kind, func(t *testing.T) {
				r := e.co("POST", "/api/v3/customer", `{"`+f+`":`+v+`}`)
				wantError(t, r, 400, badParam, map[string]string{f: "invalid"})
			})
		}
		for _, f := range cardFields {
			t.Run("card "+f+" "+kind, func(t *testing.T) {
				r := e.co("POST", "/api/v3/creditcard", fmt.Sprintf(
					`{"customer_id":%d,"number":"4111111111111111","expdate":"2030-05-01","%s":%s}`, cust, f, v))
				wantError(t, r, 400, badParam, map[string]string{f: "invalid"})
			})
		}
		for _, f := range []string{"customer_external_key", "customer_token"} {
			t.Run("card "+f+" "+kind, func(t *testing.T) {
				r := e.co("POST", "/api/v3/creditcard", `{"number":"4111111111111111","expdate":"2030-05-01","`+f+`":`+v+`}`)
				wantError(t, r, 400, badParam, map[string]string{f: "invalid"})
			})
		}
	}
}

// TestSignatureRateLimitBeforeBody: a signature-v1 request past its address
// bucket is refused before the body is read and the HMAC computed; refused
// unverified requests do not use up the key pair's own bucket.
func TestSignatureRateLimitBeforeBody(t *testing.T) {
	e := newEnv(t)
	e.v.Limiter = ratelimit.New(0.5, 2)
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	bogus := func(nonce string) string {
		return signHeader(e.pkey, "not-the-secret", "http://"+addr+"/api/v3/customer", nonce, time.Now().Unix(), "")
	}
	for i := 0; i < 2; i++ {
		req := e.newReq("GET", "/api/v3/customer", "")
		req.Header.Set("Authorization", bogus(fmt.Sprintf("n%d", i)))
		wantError(t, e.send(req), 401, authPrefix+"Invalid signature.]", nil)
	}
	r, err := rawExchange(t, addr, "POST /api/v3/customer HTTP/1.1\r\nHost: "+addr+"\r\nAuthorization: "+bogus("n3")+
		"\r\nContent-Length: 900000\r\n\r\n{", nil)
	if err != nil {
		t.Fatalf("limited signed request with a pending body: %v (want 429 at once)", err)
	}
	wantError(t, r, 429, "Too many requests.", nil)
	// The forged requests came before verification: the pair's own bucket is full.
	if r := e.co("GET", "/api/v3/customer", ""); r.status != 200 {
		t.Errorf("Basic with the pair after forged signatures = %d", r.status)
	}
}

// TestUnstorableRefs: a token or external key in the path with a NUL or
// invalid UTF-8 cannot name an object: the path is refused before any lookup.
func TestUnstorableRefs(t *testing.T) {
	e := newEnv(t)
	for _, ref := range []string{"external_key:a%00", "token:%FF", "external_key:%ED%A0%80"} {
		for _, typ := range []string{"customer", "creditcard"} {
			for _, m := range []string{"GET", "DELETE"} {
				wantError(t, e.co(m, "/api/v3/"+typ+"/"+ref, ""), 400, badParam, map[string]string{"path": "unsupported"})
			}
		}
	}
}
