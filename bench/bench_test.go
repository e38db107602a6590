package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/iin"
)

// TestMain lets the test binary play the bench's hidden roles, since the
// bench re-executes its own binary for the ceiling server.
func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "ceiling":
		if err := serveCeiling(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "inproc":
		if err := serveInProcess(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runJSON runs the bench with args (plus --json) and decodes its report.
func runJSON(t *testing.T, args ...string) *report {
	t.Helper()
	openCommandSources(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, append(args, "--json"), &out, &errOut); err != nil {
		t.Fatalf("bench %s: %v\nprogress:\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json output is not a report: %v", err)
	}
	return &rep
}

func byName(rep *report) map[string]result {
	m := map[string]result{}
	for _, r := range rep.Results {
		m[r.Name] = r
	}
	return m
}

// openCommandSources opens every file of ./cmd/cardvault, which the bench
// builds in a subprocess: go test caches a result only as long as the
// files the test opened are unchanged, and the package is not imported.
func openCommandSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../cmd/cardvault", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err == nil {
			f.Close()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuickRun is the CI run: cardvault built and served, the ceiling in
// its own process, alternating rounds.
func TestQuickRun(t *testing.T) {
	rep := runJSON(t, "--quick", "--scenarios", "ceiling,token_create", "--duration", "1s")
	got := byName(rep)
	for _, name := range []string{ceilingName, "token_create"} {
		r, ok := got[name]
		switch {
		case !ok:
			t.Errorf("no %s row in %+v", name, rep.Results)
		case r.Requests == 0 || r.Errors != 0:
			t.Errorf("%s: %d requests, %d errors (%q); want some, and no errors", name, r.Requests, r.Errors, r.ErrorSamples)
		case r.Ratio == nil || *r.Ratio <= 0:
			t.Errorf("%s: ratio to ceiling %v, want a positive ratio", name, r.Ratio)
		case r.CPUPerRequestUS <= 0 || r.PeakRSSMB <= 0:
			t.Errorf("%s: server CPU %v µs/request, peak RSS %v MB; want both measured", name, r.CPUPerRequestUS, r.PeakRSSMB)
		case r.P50ms <= 0 || r.P99ms < r.P50ms:
			t.Errorf("%s: p50 %v ms, p99 %v ms", name, r.P50ms, r.P99ms)
		}
	}
	if c := got[ceilingName]; len(c.RoundRPS) != 2 {
		t.Errorf("ceiling rounds %v, want 2 (before and after token_create)", c.RoundRPS)
	}
}

// TestEveryScenario runs every scenario briefly against cardvault, so that
// none can rot (a changed route or body would show as errors).
func TestEveryScenario(t *testing.T) {
	rep := runJSON(t, "--scenarios", strings.Join(scenarioNames(), ","), "--duration", "300ms",
		"--warmup", "100ms", "--cards", "40", "--concurrency", "4")
	got := byName(rep)
	for _, name := range scenarioNames() {
		if r := got[name]; r.Requests == 0 || r.Errors != 0 || r.Shortened {
			t.Errorf("%s: %d requests, %d errors (%q), shortened %v; want some, no errors, the whole window",
				name, r.Requests, r.Errors, r.ErrorSamples, r.Shortened)
		}
	}
	if p := rep.Preload; p == nil || p.Cards != 40 || p.Customers != 4 {
		t.Errorf("preload %+v, want 40 cards over 4 customers", p)
	}
	if _, ok := got[ceilingName]; ok {
		t.Error("a ceiling row although --scenarios did not name it")
	}
	if rep.ReadyMS <= 0 || rep.RestartReadyMS == nil || *rep.RestartReadyMS <= 0 {
		t.Errorf("ready in %v ms, after the restart %v; want both measured", rep.ReadyMS, rep.RestartReadyMS)
	}
}

// TestOpenLoopCountsQueueing drives a server slower than the timetable
// through one connection: latency measured from the scheduled times must
// include the wait, which a closed loop would hide.
func TestOpenLoopCountsQueueing(t *testing.T) {
	const service = 25 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(service)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	raw := rawRequest("GET", "/", addr, "", "", nil)
	l := load{addr: addr, concurrency: 1, duration: 500 * time.Millisecond, rate: 80}
	w, err := l.run(context.Background(), func(int) source { return func() ([]byte, bool) { return raw, true } },
		hooks{}, func() time.Duration { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	// 40 requests are scheduled in 0.5 s; one connection serves one per
	// 25 ms, so the last waits about 0.5 s.
	if w.requests != 40 || w.errors != 0 {
		t.Errorf("%d requests, %d errors; want 40 scheduled, no errors", w.requests, w.errors)
	}
	if p99 := percentile(w.latencies, 0.99); p99 < 300 {
		t.Errorf("p99 %.1f ms, want ≥ 300 ms: the wait for the connection is not counted", p99)
	}
	if len(w.lags) != 40 || percentile(w.lags, 0.99) < 300 {
		t.Errorf("%d send lags, p99 %.1f ms; want 40, the last sent ≥ 300 ms late", len(w.lags), percentile(w.lags, 0.99))
	}
}

// TestClosedLoopWindow checks that warm-up requests are not counted.
func TestClosedLoopWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(10 * time.Millisecond)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	raw := rawRequest("GET", "/", addr, "", "", nil)
	l := load{addr: addr, concurrency: 1, warmup: 300 * time.Millisecond, duration: 200 * time.Millisecond}
	answers := 0
	w, err := l.run(context.Background(), func(int) source { return func() ([]byte, bool) { return raw, true } },
		hooks{answer: func([]byte) { answers++ }}, func() time.Duration { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	// At most one request per 10 ms: ≤ 20 in the window, ≤ 50 in all.
	if w.requests == 0 || w.requests > 20 || answers <= w.requests {
		t.Errorf("%d requests in the window, %d answers in all; want 1–20 and more answers than that", w.requests, answers)
	}
	if w.seconds != 0.2 {
		t.Errorf("window %v s, want 0.2", w.seconds)
	}
}

// TestExhaustedSourceShortensWindow: a pool that runs out ends the window.
func TestExhaustedSourceShortensWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	raw := rawRequest("GET", "/", addr, "", "", nil)
	l := load{addr: addr, concurrency: 2, duration: 5 * time.Second}
	w, err := l.run(context.Background(), func(int) source {
		n := 0
		return func() ([]byte, bool) { n++; return raw, n <= 10 }
	}, hooks{}, func() time.Duration { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	if !w.shortened || w.requests != 20 || w.seconds >= 5 {
		t.Errorf("shortened %v, %d requests over %v s; want shortened, 20, well under 5 s", w.shortened, w.requests, w.seconds)
	}
}

// TestReadResponse reads the framings a net/http server uses, and keeps
// the connection when it may.
func TestReadResponse(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":"a"}`)) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Done")
		w.Write([]byte(big[:50<<10]))
		w.(http.Flusher).Flush()
		w.Write([]byte(big[50<<10:]))
		w.Header().Set("X-Done", "yes")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusTeapot) })
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte("bye"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	k := conn{addr: addr}
	defer k.close()
	for _, tc := range []struct {
		path, body string
		status     int
		kept       bool
	}{
		{"/small", `{"id":"a"}`, 200, true},
		{"/chunked", big, 200, true},
		{"/empty", "", 204, true},
		{"/error", "nope\n", 418, true},
		{"/small", `{"id":"a"}`, 200, true},
		{"/close", "bye", 200, false},
		{"/small", `{"id":"a"}`, 200, true},
	} {
		before := k.c
		status, body, err := k.do(rawRequest("GET", tc.path, addr, "", "", nil))
		if err != nil || status != tc.status || string(body) != tc.body {
			t.Errorf("%s: %d, %d bytes, %v; want %d, %d bytes", tc.path, status, len(body), err, tc.status, len(tc.body))
		}
		if kept := k.c != nil; kept != tc.kept {
			t.Errorf("%s: connection kept %v, want %v", tc.path, kept, tc.kept)
		}
		if before != nil && k.c != nil && before != k.c {
			t.Errorf("%s: redialled although the connection was reusable", tc.path)
		}
	}
}

func TestReadResponseMalformed(t *testing.T) {
	for _, in := range []string{"", "HTTP/1.1 2x0 OK\r\n\r\n", "SMTP ready\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"} {
		var body bytes.Buffer
		if _, _, err := readResponse(bufio.NewReader(strings.NewReader(in)), &body); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestRandomPAN(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 1000 {
		pan := randomPAN(r)
		if len(pan) != 16 || !iin.Luhn(pan) || iin.Detect(pan).Name() != "Visa" {
			t.Fatalf("randomPAN gave an invalid Visa number (length %d)", len(pan))
		}
		seen[pan] = true
	}
	if len(seen) < 990 {
		t.Errorf("%d distinct numbers of 1000", len(seen))
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "",
		"400 number 4242424242424242 x":   "400 number [redacted] x",
		"id 12345678901 and 123456789012": "id 12345678901 and [redacted]",
		"4242424242424242":                "[redacted]",
		"127.0.0.1:8080":                  "127.0.0.1:8080",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPercentile(t *testing.T) {
	var lats []time.Duration
	for i := 1; i <= 1000; i++ {
		lats = append(lats, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]float64{0.5: 500, 0.99: 990, 0.999: 999, 1: 1000} {
		if got := percentile(lats, q); got != want {
			t.Errorf("percentile(%v) = %v ms, want %v", q, got, want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
}

func TestParseProc(t *testing.T) {
	stat := "1234 (a b) c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 100"
	if d, err := parseStatCPU(stat); err != nil || d != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 3s", d, err)
	}
	if _, err := parseStatCPU("1234 (x) S 1"); err == nil {
		t.Error("parseStatCPU of a short line: no error")
	}
	status := "Name:\tcardvault\nVmPeak:\t 2000 kB\nVmHWM:\t   30720 kB\nVmRSS:\t 1000 kB\n"
	if n, err := parseHWM(status); err != nil || n != 30<<20 {
		t.Errorf("parseHWM = %d, %v; want 30 MiB", n, err)
	}
	if _, err := parseHWM("Name:\tx\n"); err == nil {
		t.Error("parseHWM without VmHWM: no error")
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:41234/tokens
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.52ms    3.10ms  60.12ms   80.00%
    Req/Sec     4.90k   300.00     5.20k    70.00%
  Latency Distribution
     50%    6.00ms
     75%    7.50ms
     90%    9.00ms
     99%   20.47ms
  48921 requests in 10.01s, 45.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:   4887.21
Transfer/sec:      4.51MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests != 48921 || r.errors != 10 || r.seconds != 10.01 || r.p50 != 6 || r.p99 != 20.47 {
		t.Errorf("parseWrk = %d requests, %d errors, %v s, p50 %v, p99 %v", r.requests, r.errors, r.seconds, r.p50, r.p99)
	}
	if _, err := parseWrk("wrk: connection refused"); err == nil {
		t.Error("parseWrk of an error: no error")
	}
}

func TestCeilingBody(t *testing.T) {
	if len(ceilingBody) != ceilingSize || !json.Valid(ceilingBody) {
		t.Errorf("ceiling body: %d bytes, valid JSON %v; want %d bytes of JSON", len(ceilingBody), json.Valid(ceilingBody), ceilingSize)
	}
	form := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/tokens", strings.NewReader(body))
		r.Header.Set("Content-Type", formType)
		return r
	}
	rec := httptest.NewRecorder()
	ceilingHandler(rec, form(string(tokenForm)))
	if rec.Code != 200 {
		t.Errorf("ceiling answered the token form %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	ceilingHandler(rec, form("card[name]=x"))
	if rec.Code != 400 {
		t.Errorf("ceiling answered a form without a number %d, want 400", rec.Code)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--concurrency", "1024"}, true},
		{[]string{"--concurrency", "1025"}, false},
		{[]string{"--concurrency", "0"}, false},
		{[]string{"--duration", "0s"}, false},
		{[]string{"--rate", "-1"}, false},
		{[]string{"--cards", "-1"}, false},
		{[]string{"--scenarios", "token_create,nope"}, false},
		{[]string{"--wrk", "--rate", "100"}, false},
		{[]string{"--cpuprofile", "x", "--db", "y"}, false},
		{[]string{"stray"}, false},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v, want ok %v", tc.args, err, tc.ok)
		}
	}
	c, err := parseFlags([]string{"--quick", "--scenarios", "chargeover_count,token_create"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.duration != quickDuration || c.cards != quickCards || c.ceiling || len(c.scenarios) != 2 || c.scenarios[0].name != "token_create" {
		t.Errorf("--quick --scenarios: duration %v, cards %d, ceiling %v, scenarios %d (first %s)",
			c.duration, c.cards, c.ceiling, len(c.scenarios), c.scenarios[0].name)
	}
}
