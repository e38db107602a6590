package chargeoverapi_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/internal/httpx/httpxtest"
)

// exchangeFrom sends raw from the loopback address ip and reads the answer.
func exchangeFrom(t *testing.T, ip, addr, raw string) (*resp, time.Duration) {
	t.Helper()
	res, b, d := httpxtest.ExchangeFrom(t, ip, addr, raw)
	return &resp{status: res.StatusCode, header: res.Header, body: b}, d
}

// TestStalledChunkedBodies is the reproduction of the review: a public key
// alone, with more chunked POST /tokens stalled after one byte than there
// are read turns, made another account's chunked POST /api/v3/customer get
// 429. A body's first httpx.SmallBody bytes need no read turn.
func TestStalledChunkedBodies(t *testing.T) {
	e := newEnv(t)
	addr, reading := httpxtest.StallServer(t, e.h)
	httpxtest.Stall(t, addr, reading, httpx.MaxParallelReads+2, "POST /tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "+
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
	addr, reading := httpxtest.StallServer(t, e.h)
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(e.pkey+":"+e.skey)) + "\r\n"
	httpxtest.Stall(t, addr, reading, httpx.MaxReadsPerAddress, "POST /api/v3/customer HTTP/1.1\r\nHost: x\r\n"+auth+
		"Content-Length: "+strconv.Itoa(512<<10)+"\r\n\r\n"+`{"company":"`+strings.Repeat("x", httpx.SmallBody))
	httpxtest.PollUntil(t, func() bool { return httpx.AddressReads.Held("127.0.0.1") == httpx.MaxReadsPerAddress },
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
