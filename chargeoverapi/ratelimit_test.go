package chargeoverapi_test

import (
	"net/http"
	"testing"

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
	want := `{"code":429,"status":"Error","message":"Too many requests.","details":{},"response":false}`
	if string(r.body) != want {
		t.Errorf("body\n got %s\nwant %s", r.body, want)
	}
	if r := e.coAs(e.lpkey, e.lskey, "GET", "/api/v3/creditcard", ""); r.status != http.StatusOK {
		t.Errorf("another pair = %d, want 200", r.status)
	}
}
