package chargeoverapi_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault/ratelimit"
)

// TestRateLimit: past the per-key rate the dialect answers 429 with
// Retry-After and its own envelope; another key pair is not affected.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.v.Limiter = ratelimit.New(0.5, 2)
	for i := 0; i < 2; i++ {
		if r := e.co("GET", "/api/v3/creditcard", ""); r.status != http.StatusOK {
			t.Fatalf("request %d = %d, want 200", i+1, r.status)
		}
	}
	r := e.co("GET", "/api/v3/creditcard", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Fatalf("third request = %d Retry-After %q, want 429 and 2", r.status, r.header.Get("Retry-After"))
	}
	want := `{"code":429,"status":"Error","message":"Too many requests.","details":{},"response":false}` + "\n"
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	if !strings.Contains(e.logs.String(), `"route":"chargeover:GET /api/v3/creditcard","status":429`) {
		t.Errorf("the 429 is not logged with its route: %s", e.logs.String())
	}
	if r := e.coAs(e.lpkey, e.lskey, "GET", "/api/v3/creditcard", ""); r.status != http.StatusOK {
		t.Errorf("another pair = %d, want 200", r.status)
	}
}

// TestRateLimitBeforeNonce: a signed request refused with 429 has not used up
// its nonce, so the same signed request succeeds once the bucket refills.
func TestRateLimitBeforeNonce(t *testing.T) {
	e := newEnv(t)
	e.v.Limiter = ratelimit.New(1, 1)
	var clock atomic.Int64 // the vault's clock, in Unix nanoseconds
	clock.Store(time.Now().UnixNano())
	e.v.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	host := strings.TrimPrefix(e.srv.URL, "http://")
	now := e.v.Now().Unix()
	signed := func(nonce string) *resp {
		req := e.newReq("GET", "/api/v3/customer", "")
		req.Header.Set("Authorization", signHeader(e.pkey, e.skey, "http://"+host+"/api/v3/customer", nonce, now, ""))
		return e.send(req)
	}
	if r := signed("first"); r.status != http.StatusOK {
		t.Fatalf("first = %d", r.status)
	}
	if r := signed("second"); r.status != http.StatusTooManyRequests {
		t.Fatalf("second = %d, want 429", r.status)
	}
	clock.Add(int64(time.Second)) // the bucket refills: no need to wait
	if r := signed("second"); r.status != http.StatusOK {
		t.Fatalf("retry of the refused request = %d %s, want 200", r.status, r.body)
	}
}
