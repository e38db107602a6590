package server

import (
	"strings"
	"testing"
	"time"
)

// TestHealthzStoreFailure: once the store fails, /healthz answers 503 with
// a body that says why, and a probe flood logs one ERROR line, not one per probe.
func TestHealthzStoreFailure(t *testing.T) {
	e := mustEnv(t, nil)
	h := Handler(e.v, e.log)
	if rec := call(t, h, "GET", "/healthz", "", "", "", ""); rec.Code != 200 || rec.Body.String() != `{"status":"ok"}`+"\n" {
		t.Fatalf("healthy: %d %s", rec.Code, rec.Body.String())
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		rec := call(t, h, "GET", "/healthz", "", "", "", "")
		if rec.Code != 503 || rec.Body.String() != `{"status":"unavailable","reason":"store"}`+"\n" {
			t.Fatalf("probe %d on a closed store: %d %s", i, rec.Code, rec.Body.String())
		}
		checkHygiene(t, "healthz 503", rec)
	}
	if n := strings.Count(e.logs.String(), `"level":"ERROR"`); n != 1 {
		t.Errorf("50 failing probes logged %d ERROR lines, want 1:\n%s", n, e.logs.String())
	}
}

// TestHealthLogLimit: one line per healthLogEvery; the next one counts the
// lines suppressed in between.
func TestHealthLogLimit(t *testing.T) {
	var l logLimit
	t0 := time.Unix(1_000_000, 0)
	steps := []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{healthLogEvery - 1, false, 0},
		{healthLogEvery, true, 2},
		{healthLogEvery + 1, false, 0},
		{3 * healthLogEvery, true, 1},
	}
	for _, s := range steps {
		n, ok := l.allow(t0.Add(s.at))
		if ok != s.ok || n != s.suppressed {
			t.Errorf("allow(+%v) = %d, %v; want %d, %v", s.at, n, ok, s.suppressed, s.ok)
		}
	}
}
