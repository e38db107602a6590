package omiseapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/ratelimit"
)

// TestRateLimit: past the per-key rate the Omise dialect answers 429
// too_many_requests with Retry-After; other keys are not affected.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.Vault.Limiter = ratelimit.New(0.5, 2)
	for i := 0; i < 2; i++ {
		if st, _ := e.do(t, "GET", "/customers", e.SK, "", ""); st != http.StatusOK {
			t.Fatalf("request %d = %d, want 200", i+1, st)
		}
	}
	r := e.doH(t, "GET", "/customers", e.SK, "", "", nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("third request = %d Retry-After %q, want 429 and 2", r.Status, r.Header.Get("Retry-After"))
	}
	if !strings.Contains(e.Logs.String(), `"route":"omise:GET /customers","status":429`) {
		t.Errorf("the 429 is not logged with its route: %s", e.Logs.String())
	}
	if r.Body["code"] != "too_many_requests" || r.Body["message"] != "too many requests" ||
		r.Body["location"] != "https://www.omise.co/api-errors#too-many-requests" {
		t.Errorf("body = %v", r.Body)
	}
	if st, _ := e.do(t, "GET", "/customers", e.LSK, "", ""); st != http.StatusOK {
		t.Errorf("another key = %d, want 200", st)
	}
	if st, _ := e.do(t, "GET", "/customers", "", "", ""); st != http.StatusUnauthorized {
		t.Errorf("no key = %d, want 401 (auth comes first)", st)
	}
}
