package omiseapi_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/internal/httpx/httpxtest"
)

// exchangeFrom sends raw from the loopback address ip and decodes the answer.
func exchangeFrom(t *testing.T, ip, addr, raw string) (*http.Response, map[string]any, time.Duration) {
	t.Helper()
	res, b, d := httpxtest.ExchangeFrom(t, ip, addr, raw)
	var body map[string]any
	json.Unmarshal(b, &body)
	return res, body, d
}

// chunked is body as one chunk and the last chunk.
func chunked(body string) string {
	return strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
}

// TestStalledChunkedBodies: a public key alone, with bodies of unknown
// length that stall after one byte (more of them than there are read
// turns), does not make another account's chunked or large body wait: a
// body's first httpx.SmallBody bytes need no read turn.
func TestStalledChunkedBodies(t *testing.T) {
	e := newEnv(t)
	addr, reading := httpxtest.StallServer(t, e.Handler)
	httpxtest.Stall(t, addr, reading, httpx.MaxParallelReads+2, "POST /tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+basic(e.PK)+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"+"1\r\nc\r\n")
	_, sk2, _, _ := e.NewAccount(t)
	head := "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic(sk2) +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
	large := "email=a@example.com&description=d&metadata[pad]=" + strings.Repeat("x", httpx.SmallBody)
	for _, tc := range []struct{ name, raw string }{
		{"chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + chunked("email=a@example.com")},
		{"large chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + chunked(large)},
		{"large", head + "Content-Length: " + strconv.Itoa(len(large)) + "\r\n\r\n" + large},
	} {
		for _, ip := range []string{"127.0.0.2", "127.0.0.1"} {
			res, body, d := exchangeFrom(t, ip, addr, tc.raw)
			if tc.name != "chunked" {
				// Over the metadata limit, so refused once read and decoded.
				if res.StatusCode != 400 || body["message"] != "metadata is too long" {
					t.Errorf("%s body from %s = %d %v after %v, want it read (400 metadata is too long)", tc.name, ip, res.StatusCode, body, d)
				}
			} else if res.StatusCode != 200 {
				t.Errorf("%s body from %s = %d %v after %v, want 200", tc.name, ip, res.StatusCode, body, d)
			}
		}
	}
}

// TestReadTurnsPerAddress: one address with more large bodies stalled
// mid-way than there are read turns holds httpx.MaxReadsPerAddress of them;
// its other large bodies get 429 with Retry-After, and another address's
// large body is read at once.
func TestReadTurnsPerAddress(t *testing.T) {
	e := newEnv(t)
	addr, reading := httpxtest.StallServer(t, e.Handler)
	// Announced over 256 KiB, so that net/http does not wait for the rest of
	// a refused body before sending the answer.
	head := "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic(e.SK) +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(512<<10) + "\r\n\r\n"
	n := httpx.MaxParallelReads + 2
	conns := httpxtest.Stall(t, addr, reading, n, head+"email=a@example.com&description="+strings.Repeat("x", httpx.SmallBody))
	httpxtest.PollUntil(t, func() bool { return httpx.AddressReads.Held("127.0.0.1") == httpx.MaxReadsPerAddress },
		"the address holds its read turns")

	large := "email=a@example.com&description=" + strings.Repeat("x", httpx.SmallBody)
	raw := "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic(e.SK) +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(large)) + "\r\n\r\n" + large
	res, body, d := exchangeFrom(t, "127.0.0.2", addr, raw)
	if res.StatusCode != 400 || body["message"] != "description is too long" || d >= httpx.MaxBodyWait {
		t.Errorf("another address's large body = %d %v after %v, want it read at once (400 description is too long)", res.StatusCode, body, d)
	}

	// The stalled bodies past the address's bound are refused.
	type answer struct {
		res  *http.Response
		body map[string]any
		err  error
	}
	answers := make(chan answer, n)
	for _, c := range conns {
		go func() {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer res.Body.Close()
			var body map[string]any
			json.NewDecoder(res.Body).Decode(&body)
			answers <- answer{res: res, body: body}
		}()
	}
	for i := range n - httpx.MaxReadsPerAddress {
		a := <-answers
		if a.res == nil {
			t.Fatalf("a stalled body past the address's bound got no answer (after %d answers): %v", i, a.err)
		}
		if a.res.StatusCode != 429 || a.body["code"] != "too_many_requests" || a.res.Header.Get("Retry-After") != "1" {
			t.Errorf("stalled body past the address's bound = %d %v Retry-After %q", a.res.StatusCode, a.body, a.res.Header.Get("Retry-After"))
		}
	}
	if h := httpx.AddressReads.Held("127.0.0.1"); h != httpx.MaxReadsPerAddress {
		t.Errorf("the address holds %d read turns, want %d", h, httpx.MaxReadsPerAddress)
	}
	// The address's next large body waits and is refused the same way.
	res, body, d = exchangeFrom(t, "127.0.0.1", addr, raw)
	if res.StatusCode != 429 || body["code"] != "too_many_requests" || res.Header.Get("Retry-After") != "1" || d < httpx.MaxBodyWait {
		t.Errorf("next large body of the address = %d %v Retry-After %q after %v", res.StatusCode, body, res.Header.Get("Retry-After"), d)
	}
	// Its small bodies need no read turn.
	res, body, _ = exchangeFrom(t, "127.0.0.1", addr, "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+basic(e.SK)+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 19\r\n\r\nemail=a@example.com")
	if res.StatusCode != 200 {
		t.Errorf("small body of the address = %d %v", res.StatusCode, body)
	}
}
