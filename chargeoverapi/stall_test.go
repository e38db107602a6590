package chargeoverapi_test

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
)

// stallServer serves e's handler and counts the requests whose body the
// server has begun to read.
func stallServer(t *testing.T, e *env) (addr string, reading *atomic.Int64) {
	t.Helper()
	reading = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// On a copy: net/http must still see its own body once the
			// handler returns (to skip draining a large one).
			r = r.WithContext(r.Context())
			r.Body = &firstRead{ReadCloser: r.Body, n: reading}
		}
		e.h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), reading
}

// firstRead counts its first Read in n.
type firstRead struct {
	io.ReadCloser
	n    *atomic.Int64
	seen bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	if !f.seen {
		f.seen = true
		f.n.Add(1)
	}
	return f.ReadCloser.Read(p)
}

// dialFrom connects to addr from the loopback address ip (127.0.0.x).
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pollUntil polls cond until it holds, failing the test after 5 s.
func pollUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// stall opens n connections from 127.0.0.1 that each send raw (a request
// whose body stops part-way) and waits until the server reads at least
// MaxParallelReads of them (as many as would take every read turn if small
// bodies needed one). They are closed when the test ends.
func stall(t *testing.T, addr string, reading *atomic.Int64, n int, raw string) {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", addr)
		if _, err := io.WriteString(conns[i], raw); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, func() bool { return reading.Load() >= int64(min(n, httpx.MaxParallelReads)) }, "the server reads the stalled bodies")
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		pollUntil(t, func() bool { return httpx.Reads.Held() == 0 && httpx.AddressReads.Held("127.0.0.1") == 0 },
			"the stalled requests give their read turns back")
	})
}

// exchangeFrom sends raw from the loopback address ip and reads the answer.
func exchangeFrom(t *testing.T, ip, addr, raw string) (*resp, time.Duration) {
	t.Helper()
	c := dialFrom(t, ip, addr)
	start := time.Now()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &resp{status: res.StatusCode, header: res.Header, body: b}, time.Since(start)
}

// TestStalledChunkedBodies is the reproduction of the review: a public key
// alone, with more chunked POST /tokens stalled after one byte than there
// are read turns, made another account's chunked POST /api/v3/customer get
// 429. A body's first httpx.SmallBody bytes need no read turn.
func TestStalledChunkedBodies(t *testing.T) {
	e := newEnv(t)
	addr, reading := stallServer(t, e)
	stall(t, addr, reading, httpx.MaxParallelReads+2, "POST /tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+
		base64.StdEncoding.EncodeToString([]byte(e.pkey+":"))+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nc\r\n")
	head := "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " +
		base64.StdEncoding.EncodeToString([]byte(e.otherPkey+":"+e.otherSk)) + "\r\nConnection: close\r\n"
	body := `{"company":"Acme"}`
	large := `{"company":"Acme","pad":"` + strings.Repeat("x", httpx.SmallBody) + `"}`
	for _, tc := range []struct{ name, raw string }{
		{"chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"},
		{"large chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + strconv.FormatInt(int64(len(large)), 16) + "\r\n" + large + "\r\n0\r\n\r\n"},
		{"large", head + "Content-Length: " + strconv.Itoa(len(large)) + "\r\n\r\n" + large},
	} {
		for _, ip := range []string{"127.0.0.2", "127.0.0.1"} {
			if r, d := exchangeFrom(t, ip, addr, tc.raw); r.status != 201 {
				t.Errorf("%s body from %s = %d %s after %v, want 201", tc.name, ip, r.status, r.body, d)
			}
		}
	}
}

// TestReadTurnsPerAddress: one address holding httpx.MaxReadsPerAddress
// read turns (large bodies stalled mid-way) gets 429 with Retry-After for
// its next large body; another address's large body is read at once.
func TestReadTurnsPerAddress(t *testing.T) {
	e := newEnv(t)
	addr, reading := stallServer(t, e)
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(e.pkey+":"+e.skey)) + "\r\n"
	stall(t, addr, reading, httpx.MaxReadsPerAddress, "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\n"+auth+
		"Content-Length: "+strconv.Itoa(512<<10)+"\r\n\r\n"+`{"company":"`+strings.Repeat("x", httpx.SmallBody))
	pollUntil(t, func() bool { return httpx.AddressReads.Held("127.0.0.1") == httpx.MaxReadsPerAddress },
		"the address holds its read turns")
	large := `{"company":"Acme","pad":"` + strings.Repeat("x", httpx.SmallBody) + `"}`
	raw := "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\nContent-Length: " +
		strconv.Itoa(len(large)) + "\r\n\r\n" + large
	if r, d := exchangeFrom(t, "127.0.0.2", addr, raw); r.status != 201 || d >= httpx.MaxBodyWait {
		t.Errorf("another address's large body = %d %s after %v, want 201 at once", r.status, r.body, d)
	}
	r, d := exchangeFrom(t, "127.0.0.1", addr, raw)
	if r.header.Get("Retry-After") != "1" || d < httpx.MaxBodyWait {
		t.Errorf("large body past the address's bound: Retry-After %q after %v", r.header.Get("Retry-After"), d)
	}
	wantError(t, r, 429, "Too many requests.", nil)
	small := `{"company":"Acme"}`
	if r, _ := exchangeFrom(t, "127.0.0.1", addr, "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\n"+auth+
		"Connection: close\r\nContent-Length: "+strconv.Itoa(len(small))+"\r\n\r\n"+small); r.status != 201 {
		t.Errorf("small body of the address = %d %s", r.status, r.body)
	}
}
