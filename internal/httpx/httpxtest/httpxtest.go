// Package httpxtest drives a dialect's handler over real TCP connections for
// the body-gate tests both dialects share: stalled bodies, client addresses,
// raw requests. For tests only.
package httpxtest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
)

// StallServer serves h and counts the requests whose body the server has
// begun to read.
func StallServer(t *testing.T, h http.Handler) (addr string, reading *atomic.Int64) {
	t.Helper()
	reading = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			// On a copy: net/http must still see its own body once the
			// handler returns (to skip draining a large one).
			r = r.WithContext(r.Context())
			r.Body = &firstRead{ReadCloser: r.Body, n: reading}
		}
		h.ServeHTTP(w, r)
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

// DialFrom connects to addr from the loopback address ip (127.0.0.x); the
// connection is closed when the test ends.
func DialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Stall opens n connections from 127.0.0.1 that each send raw (a request
// whose body stops part-way), and waits until the server has begun to read
// at least MaxParallelReads of them (as many as would take every read turn
// if small bodies needed one). They stay open until the test ends, which
// then waits for their requests to give every read turn back.
func Stall(t *testing.T, addr string, reading *atomic.Int64, n int, raw string) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = DialFrom(t, "127.0.0.1", addr)
		if _, err := io.WriteString(conns[i], raw); err != nil {
			t.Fatal(err)
		}
	}
	PollUntil(t, func() bool { return reading.Load() >= int64(min(n, httpx.MaxParallelReads)) }, "the server reads the stalled bodies")
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
		PollUntil(t, func() bool { return httpx.Reads.Held() == 0 && httpx.AddressReads.Held("127.0.0.1") == 0 },
			"the stalled requests give their read turns back")
	})
	return conns
}

// PollUntil polls cond until it holds, failing the test after 5 s.
func PollUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// ExchangeFrom sends raw from the loopback address ip and returns the
// answer, its body and how long it took.
func ExchangeFrom(t *testing.T, ip, addr, raw string) (*http.Response, []byte, time.Duration) {
	t.Helper()
	c := DialFrom(t, ip, addr)
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
	return res, b, time.Since(start)
}
