package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of TestDatabaseRestart (issue 8, item 6).
const (
	// downAnswer: while the database is down, every request is answered
	// within this time.
	downAnswer = 2 * time.Second
	// recovery: once the database is back, every instance serves again
	// within this time, without a restart.
	recovery = 10 * time.Second
)

// exchange is one request of the load and its answer.
type exchange struct {
	inst       int
	method     string
	path       string
	write      bool
	start, end time.Time
	status     int // 0: no answer (err)
	body       []byte
	err        error
}

// recorder keeps every exchange of the load.
type recorder struct {
	mu sync.Mutex
	xs []exchange
}

func (r *recorder) add(x exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.xs = append(r.xs, x)
}

func (r *recorder) snapshot() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.xs...)
}

// TestDatabaseRestart stops a PostgreSQL server of the test's own under two
// serving instances and their load, then starts it again: while it is down
// every request is answered within 2 s with a 5xx in its dialect's format
// (no 4xx, no driver, host or port text, no acknowledged write) and /healthz
// is 503 {"status":"unavailable"}; within 10 s of its return every instance
// serves again, and every write acknowledged before the stop is there.
func TestDatabaseRestart(t *testing.T) {
	c := newCluster(t)
	databaseOutage(t, c, func() { c.stop(t) }, func() { c.start(t) })
}

// TestDatabaseFrozen is TestDatabaseRestart with a server that stops
// answering without closing anything (every PostgreSQL process stopped by
// SIGSTOP, as a hung host or a network partition looks): the same bounds hold.
func TestDatabaseFrozen(t *testing.T) {
	c := newCluster(t)
	databaseOutage(t, c, func() { c.signal(t, syscall.SIGSTOP) }, func() { c.signal(t, syscall.SIGCONT) })
}

// databaseOutage runs two instances on c under load, calls outage, checks the
// answers until it calls restore, then checks the recovery.
func databaseOutage(t *testing.T, c *pgCluster, outage, restore func()) {
	env := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
	a := startTogether(t, env, serveArgs(t, c.URL()))[0]
	pk, sk := a.testKeys(t)
	b := startTogether(t, env, serveArgs(t, c.URL()))[0]
	ps := []*proc{a, b}
	client := &http.Client{Timeout: 10 * time.Second}

	var rec recorder
	var acks ackLog
	do := func(inst int, method, path, user, pass, ctype, body string, write bool) exchange {
		x := exchange{inst: inst, method: method, path: path, write: write, start: time.Now()}
		req, _ := http.NewRequest(method, ps[inst].base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.SetBasicAuth(user, pass)
		res, err := client.Do(req)
		if err == nil {
			x.body, err = io.ReadAll(res.Body)
			res.Body.Close()
			x.status = res.StatusCode
		}
		x.end, x.err = time.Now(), err
		rec.add(x)
		return x
	}
	id := func(x exchange, coDialect bool) string {
		var m map[string]any
		if x.status/100 != 2 || json.Unmarshal(x.body, &m) != nil {
			return ""
		}
		if coDialect {
			r, _ := m["response"].(map[string]any)
			if f, ok := r["id"].(float64); ok {
				return strconv.FormatFloat(f, 'f', 0, 64)
			}
			return ""
		}
		s, _ := m["id"].(string)
		return s
	}
	// The load: on each instance, an Omise client storing cards (tokenize,
	// then a customer with the token), a ChargeOver client creating
	// customers, an Omise client reading, and a load balancer's health checks.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for inst := range ps {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok := id(do(inst, "POST", "/tokens", pk, "", formType, tokenForm(randomPAN(t)).Encode(), true), false)
				if tok == "" {
					continue
				}
				if cust := id(do(inst, "POST", "/customers", sk, "", formType, "card="+tok, true), false); cust != "" {
					acks.add(acked{path: "/customers/" + cust, user: sk})
				}
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if co := id(do(inst, "POST", "/api/v3/customer", pk, sk, jsonType, `{"company":"Acme"}`, true), true); co != "" {
					acks.add(acked{path: "/api/v3/customer/" + co, user: pk, pw: sk})
				}
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				do(inst, "GET", "/customers?limit=5", sk, "", "", "", false)
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				do(inst, "GET", "/healthz", "", "", "", "", false)
			}
		})
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	if !waitUntil(20*time.Second, func() bool { return acks.len() >= 20 }) {
		t.Fatalf("only %d writes acknowledged in 20 s before the stop", acks.len())
	}

	outage()
	downFrom := time.Now()
	ackedBefore := acks.all()
	answeredDown := func(inst int) int {
		n := 0
		for _, x := range rec.snapshot() {
			if x.inst == inst && !x.start.Before(downFrom) {
				n++
			}
		}
		return n
	}
	// Down for at least minDown (past the pool's connect timeout and the
	// request deadline's share of it), until each instance has answered
	// enough requests begun after the stop, or for maxDown at most.
	const minDown, maxDown = 3 * time.Second, 6 * time.Second
	if !waitUntil(maxDown, func() bool {
		return time.Since(downFrom) >= minDown && answeredDown(0) >= 15 && answeredDown(1) >= 15
	}) {
		t.Errorf("in %v with the database down, the instances answered %d and %d requests, want 15 each",
			maxDown, answeredDown(0), answeredDown(1))
	}
	upFrom := time.Now()
	restore()
	upAt := time.Now()

	// Back: every instance serves a write and a read, and /healthz is 200,
	// within recovery.
	for i, p := range ps {
		ok := waitUntil(recovery-time.Since(upAt), func() bool {
			if st, _, err := doReq(client, "GET", p.base+"/healthz", "", "", "", ""); err != nil || st != 200 {
				return false
			}
			_, _, err := tokenize(client, p.base, pk, randomPAN(t))
			return err == nil
		})
		if !ok {
			t.Errorf("instance %d does not serve %v after the database came back", i, recovery)
		} else {
			t.Logf("instance %d served again %v after the database came back", i, time.Since(upAt).Round(time.Millisecond))
		}
	}
	// The load too: a request of each kind begun after the recovery succeeds.
	recovered := time.Now()
	waitUntil(5*time.Second, func() bool {
		n := 0
		for _, x := range rec.snapshot() {
			if x.start.After(recovered) {
				n++
			}
		}
		return n >= 12
	})
	close(stop)
	wg.Wait()

	// What was answered while the database was down.
	leaks := []string{"127.0.0.1", strconv.Itoa(c.port), "pgx", "pgconn", "postgres", "PostgreSQL", "SQLSTATE",
		"dial", "connect", "refused", "cardvault@"}
	var down, slowest time.Duration
	nDown, failures := 0, 0
	sampled := map[bool]bool{} // by dialect: ChargeOver or not
	fail := func(format string, args ...any) {
		if failures++; failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, x := range rec.snapshot() {
		if x.start.After(recovered) {
			if x.err != nil || x.status != 200 && x.status != 201 {
				fail("instance %d, %s %s begun after the recovery: %d %s %v", x.inst, x.method, x.path, x.status, x.body, x.err)
			}
			continue
		}
		if x.start.Before(downFrom) {
			// In flight when the database went: answered within downAnswer
			// of that (a success is an acknowledged write, read back below).
			if x.end.Sub(downFrom) > downAnswer {
				fail("instance %d, %s %s in flight when the database went: answered %v later (%d %v), want at most %v",
					x.inst, x.method, x.path, x.end.Sub(downFrom).Round(time.Millisecond), x.status, x.err, downAnswer)
			}
			continue
		}
		if x.start.After(upFrom) {
			continue
		}
		d := x.end.Sub(x.start)
		what := fmt.Sprintf("instance %d, database down, %s %s", x.inst, x.method, x.path)
		// Begun while the database was down: answered within downAnswer,
		// even if the database came back while it waited.
		if d > downAnswer && x.start.Before(upFrom.Add(-downAnswer)) {
			fail("%s: answered in %v (%d %v), want at most %v", what, d.Round(time.Millisecond), x.status, x.err, downAnswer)
			continue
		}
		if x.end.After(upFrom) {
			continue // answered once the database was back
		}
		nDown++
		slowest = max(slowest, d)
		down += d
		if x.err != nil {
			fail("%s: no answer: %v", what, x.err)
			continue
		}
		for _, l := range leaks {
			if bytes.Contains(bytes.ToLower(x.body), bytes.ToLower([]byte(l))) {
				fail("%s: the answer names %q: %s", what, l, x.body)
			}
		}
		if x.path == "/healthz" {
			var h map[string]any
			if x.status != 503 || json.Unmarshal(x.body, &h) != nil || h["status"] != "unavailable" {
				fail("%s: %d %s, want 503 {\"status\":\"unavailable\"}", what, x.status, x.body)
			}
			continue
		}
		if x.status < 500 {
			fail("%s: %d %s, want a 5xx (the write acknowledged: %v)", what, x.status, x.body, x.write && x.status/100 == 2)
			continue
		}
		if err := dialectError(x); err != nil {
			fail("%s: %v", what, err)
		} else if d := strings.HasPrefix(x.path, "/api/v3/"); !sampled[d] {
			sampled[d] = true
			t.Logf("%s: %d %s", what, x.status, bytes.TrimSpace(x.body))
		}
	}
	if failures > 20 {
		t.Errorf("… and %d more", failures-20)
	}
	if nDown == 0 {
		t.Fatal("no request answered while the database was down")
	}
	t.Logf("database down %v: %d answers, slowest %v, mean %v; %d writes acknowledged before the stop",
		upFrom.Sub(downFrom).Round(time.Millisecond), nDown, slowest.Round(time.Millisecond),
		(down / time.Duration(nDown)).Round(time.Millisecond), len(ackedBefore))

	// Every acknowledged write, before the stop or after the return, is
	// there, on both instances.
	for i, p := range ps {
		if err := checkAcked(client, p.base, acks.all()); err != nil {
			t.Errorf("instance %d: acknowledged writes missing:\n%v", i, err)
		}
	}
	for i, p := range ps {
		if s := p.stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Errorf("instance %d panicked:\n%s", i, s)
		}
		select {
		case <-p.done:
			t.Errorf("instance %d exited: %v", i, p.err)
		default:
		}
	}
}

// dialectError checks that a 5xx answer is its dialect's error: Omise's
// error object, or ChargeOver's envelope with response false.
func dialectError(x exchange) error {
	var m map[string]any
	if err := json.Unmarshal(x.body, &m); err != nil {
		return fmt.Errorf("%d, body not JSON: %q", x.status, x.body)
	}
	if strings.HasPrefix(x.path, "/api/v3/") {
		if m["code"] != float64(x.status) || m["status"] != "Error" || m["response"] != false || m["message"] == "" {
			return fmt.Errorf("%d %s: not a ChargeOver error envelope", x.status, x.body)
		}
		return nil
	}
	code, _ := m["code"].(string)
	if m["object"] != "error" || code == "" || m["location"] != "https://www.omise.co/api-errors#"+strings.ReplaceAll(code, "_", "-") {
		return fmt.Errorf("%d %s: not an Omise error object", x.status, x.body)
	}
	return nil
}
