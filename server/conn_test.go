package server

import (
	"bufio"
	"fmt"
	"github.com/cardvault/cardvault/openapi/openapitest"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The exact bodies of the answers server/ writes in each dialect's format.
const (
	omiseHeadersBody   = `{"object":"error","location":"https://www.omise.co/api-errors#bad-request","code":"bad_request","message":"request headers are too large"}` + "\n"
	omiseMalformedBody = `{"object":"error","location":"https://www.omise.co/api-errors#bad-request","code":"bad_request","message":"request is malformed"}` + "\n"
	coHeadersBody      = `{"code":431,"status":"Error","message":"Missing or invalid parameter.","details":{"headers":"too large"},"response":false}` + "\n"
)

func coMalformedBody(status int) string {
	return `{"code":` + strconv.Itoa(status) + `,"status":"Error","message":"Missing or invalid parameter.","details":{"request":"malformed"},"response":false}` + "\n"
}

// rawRoundTrip writes head to a new connection to s and reads one answer.
func rawRoundTrip(t *testing.T, addr, head string) (*http.Response, string) {
	t.Helper()
	c := rawDial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, head) // a refused head may be cut short by the server
	resp, body := readAnswer(t, bufio.NewReader(c))
	// The answer must be what the OpenAPI documents describe (openapi/),
	// when the request line names a method and a path.
	if f := strings.Fields(strings.SplitN(head, "\r\n", 2)[0]); len(f) == 3 && strings.HasPrefix(f[1], "/") {
		if err := openapitest.Check(f[0], f[1], resp.StatusCode, resp.Header, []byte(body)); err != nil {
			t.Errorf("%s %.40s: %v", f[0], f[1], err)
		}
	}
	return resp, body
}

func readAnswer(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, string(b)
}

// checkAnswer fails unless an answer has status and body, as JSON with the
// hygiene headers and a request id.
func checkAnswer(t *testing.T, name string, resp *http.Response, body string, status int, want string) {
	t.Helper()
	if resp.StatusCode != status || body != want {
		t.Errorf("%s: %d %s\nwant %d %s", name, resp.StatusCode, body, status, want)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", name, k, got, v)
		}
	}
	if !strings.HasPrefix(resp.Header.Get("X-Request-Id"), "req_") {
		t.Errorf("%s: X-Request-Id = %q", name, resp.Header.Get("X-Request-Id"))
	}
}

// headOf returns a request head for target of exactly size bytes as
// MaxHeaderBytes counts them, padded with an X-Pad header.
func headOf(t *testing.T, target string, size int) string {
	t.Helper()
	head := "GET " + target + " HTTP/1.1\r\nHost: x\r\nX-Pad: \r\n\r\n"
	pad := size - len(head)
	if pad < 0 {
		t.Fatalf("size %d too small", size)
	}
	return strings.Replace(head, "X-Pad: ", "X-Pad: "+strings.Repeat("a", pad), 1)
}

// TestHeadLimit: a head of MaxHeaderBytes passes; one byte more is 431 in the
// dialect the path names; a head past net/http's own bound too.
func TestHeadLimit(t *testing.T) {
	e := mustEnv(t, nil)
	s := mustServe(t, Handler(e.v, e.log), time.Second)
	cases := []struct {
		name, target string
		size, status int
		body         string
	}{
		{"omise at the limit", "/customers", MaxHeaderBytes, 401, ""},
		{"omise one past", "/customers", MaxHeaderBytes + 1, 431, omiseHeadersBody},
		{"chargeover at the limit", "/api/v3/creditcard", MaxHeaderBytes, 401, ""},
		{"chargeover one past", "/api/v3/creditcard", MaxHeaderBytes + 1, 431, coHeadersBody},
		{"healthz one past", "/healthz", MaxHeaderBytes + 1, 431, omiseHeadersBody},
		{"omise past net/http's bound", "/customers", netHTTPMaxHeaderBytes + 8192, 431, omiseHeadersBody},
		{"chargeover past net/http's bound", "/api/v3/customer", netHTTPMaxHeaderBytes + 8192, 431, coHeadersBody},
	}
	for _, c := range cases {
		resp, body := rawRoundTrip(t, s.addr, headOf(t, c.target, c.size))
		if c.body == "" {
			if resp.StatusCode != c.status {
				t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, body, c.status)
			}
			continue
		}
		checkAnswer(t, c.name, resp, body, c.status, c.body)
	}
}

// TestNetHTTPRefusalsInDialect: requests net/http refuses before any handler
// runs are answered in the dialect's JSON, chosen by the path.
func TestNetHTTPRefusalsInDialect(t *testing.T) {
	e := mustEnv(t, nil)
	s := mustServe(t, Handler(e.v, e.log), time.Second)
	cases := []struct {
		name, head string
		status     int
		body       string
	}{
		{"garbage request line", "GARBAGE\r\n\r\n", 400, omiseMalformedBody},
		{"request line without version", "GET /api/v3/creditcard\r\nHost: x\r\n\r\n", 400, coMalformedBody(400)},
		{"malformed header line, omise", "GET /customers HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400, omiseMalformedBody},
		{"malformed header line, chargeover", "GET /api/v3/creditcard HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400, coMalformedBody(400)},
		{"missing Host, chargeover", "GET /api/v3/creditcard HTTP/1.1\r\n\r\n", 400, coMalformedBody(400)},
		{"bad Host, omise", "GET /tokens HTTP/1.1\r\nHost: a b\r\n\r\n", 400, omiseMalformedBody},
		{"escaped /api/ path", "GET /%61pi/v3/customer HTTP/1.1\r\n\r\n", 400, coMalformedBody(400)},
		{"absolute form, chargeover", "GET http://x/api/v3/customer HTTP/1.1\r\nHost: x\r\nBad\r\n\r\n", 400, coMalformedBody(400)},
		{"unsupported version, chargeover", "GET /api/v3/customer HTTP/2.0\r\nHost: x\r\n\r\n", 505, coMalformedBody(505)},
		{"unsupported transfer coding, chargeover", "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, coMalformedBody(501)},
		{"unsupported Expect, chargeover", "GET /api/v3/customer HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n\r\n", 417, coMalformedBody(417)},
		{"unsupported Expect, omise", "POST /tokens HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\nContent-Length: 2\r\n\r\n{}", 417, omiseMalformedBody},
	}
	for _, c := range cases {
		resp, body := rawRoundTrip(t, s.addr, c.head)
		checkAnswer(t, c.name, resp, body, c.status, c.body)
	}
	if strings.Contains(s.logs.String(), `"level":"ERROR"`) {
		t.Errorf("client faults logged at ERROR: %s", s.logs.String())
	}
}

// TestOptionsStar: OPTIONS * reaches the Omise dialect (net/http would
// answer it itself, with none of the headers of §1.5).
func TestOptionsStar(t *testing.T) {
	e := mustEnv(t, nil)
	s := mustServe(t, Handler(e.v, e.log), time.Second)
	resp, body := rawRoundTrip(t, s.addr, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
	want := `{"object":"error","location":"https://www.omise.co/api-errors#authentication-failure","code":"authentication_failure","message":"authentication failed"}` + "\n"
	if resp.StatusCode != 401 || body != want || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("OPTIONS *: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

// TestNetHTTPRefusalAfterKeepAlive: on a connection that already served a
// request, a refused second request is answered in its own dialect.
func TestNetHTTPRefusalAfterKeepAlive(t *testing.T) {
	e := mustEnv(t, nil)
	s := mustServe(t, Handler(e.v, e.log), time.Second)
	for _, first := range []string{"/healthz", "/api/v3/customer"} {
		c := rawDial(t, s.addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", first)
		if resp, body := readAnswer(t, br); resp.StatusCode >= 500 {
			t.Fatalf("first request: %d %s", resp.StatusCode, body)
		}
		fmt.Fprint(c, "GET /api/v3/creditcard HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n")
		resp, body := readAnswer(t, br)
		checkAnswer(t, "after "+first, resp, body, 400, coMalformedBody(400))
	}
}
