package main_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cardvault/cardvault/postgres"
)

// TestInstances runs two `cardvault serve` processes on one new PostgreSQL
// schema, started at the same moment (issue 8, item 5), and checks what
// they share: the migrations and the first account made once, one token
// attached once of 20 tries spread over both, a card stored on one listed
// on the other at once, ChargeOver ids unique and ascending across both, a
// signature-v1 nonce used once, the token janitor's work split without
// errors, and then kill -9 of one under load: no acknowledged write lost,
// the other keeps serving.
func TestInstances(t *testing.T) {
	dsn := pgSchema(t)
	env := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
	// A short token TTL, so that the janitors (every TTL/2, at least 1 s) purge within the test.
	const ttl = "2s"
	ps := startTogether(t, env, serveArgs(t, dsn, "--token-ttl", ttl), serveArgs(t, dsn, "--token-ttl", ttl))
	a, b := ps[0], ps[1]
	client := &http.Client{Timeout: 10 * time.Second}

	// Both started: every migration recorded once (TestInstancesFirstStart
	// checks the first account in more rounds).
	var pk, sk string
	t.Run("start", func(t *testing.T) {
		if n, want := pgQueryInt(t, dsn, `SELECT count(*) FROM schema_migrations`), len(postgres.Migrations()); n != want {
			t.Errorf("%d migrations recorded, want %d", n, want)
		}
	})
	for _, p := range ps {
		// The keys may still be on their way to the buffer (testKeys polls).
		if waitUntil(5*time.Second, func() bool { pk, sk, _ = parseKeys(p.stdout.String()); return pk != "" }) {
			break
		}
	}
	if pk == "" {
		t.Fatalf("no instance printed the first account's keys:\n%s\n%s", a.stdout.String(), b.stdout.String())
	}

	// Tokens the janitors will purge: made now, never attached.
	const expiring = 12
	for i := range expiring {
		if _, _, err := tokenize(client, ps[i%2].base, pk, randomPAN(t)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one token attached once", func(t *testing.T) {
		tok, _, err := tokenize(client, a.base, pk, randomPAN(t))
		if err != nil {
			t.Fatal(err)
		}
		st, cust, err := doReq(client, "POST", b.base+"/customers", sk, "", formType, "email=one%40example.com")
		if err != nil || st != 200 {
			t.Fatalf("POST /customers: %d %v %v", st, cust, err)
		}
		custID := cust["id"].(string)
		var wg sync.WaitGroup
		var ok, used, other atomic.Int32
		gate := make(chan struct{})
		for i := range 20 {
			wg.Go(func() {
				<-gate
				st, m, err := doReq(client, "PATCH", ps[i%2].base+"/customers/"+custID, sk, "", formType, "card="+tok)
				switch {
				case err == nil && st == 200:
					ok.Add(1)
				case err == nil && st == 400 && m["code"] == "used_token" && m["message"] == "token was already used":
					used.Add(1)
				default:
					other.Add(1)
					t.Errorf("PATCH on instance %d: %d %v %v", i%2, st, m, err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if ok.Load() != 1 || used.Load() != 19 {
			t.Errorf("20 concurrent attaches of one token: %d succeeded, %d used_token, %d other; want 1 and 19",
				ok.Load(), used.Load(), other.Load())
		}
		st, list, err := doReq(client, "GET", a.base+"/customers/"+custID+"/cards", sk, "", "", "")
		if err != nil || st != 200 || list["total"] != float64(1) {
			t.Errorf("the customer's cards after the race: %d %v %v, want one card", st, list, err)
		}
	})

	t.Run("a card stored on one is listed on the other", func(t *testing.T) {
		for i := range 4 {
			w, r := ps[i%2], ps[1-i%2]
			tok, _, err := tokenize(client, w.base, pk, randomPAN(t))
			if err != nil {
				t.Fatal(err)
			}
			st, cust, err := doReq(client, "POST", w.base+"/customers", sk, "", formType, url.Values{"card": {tok}}.Encode())
			if err != nil || st != 200 {
				t.Fatalf("POST /customers: %d %v %v", st, cust, err)
			}
			card := cust["default_card"]
			st, list, err := doReq(client, "GET", r.base+"/customers/"+cust["id"].(string)+"/cards", sk, "", "", "")
			data, _ := list["data"].([]any)
			if err != nil || st != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != card {
				t.Errorf("card %v stored on instance %d, then listed on instance %d: %d %v %v", card, i%2, 1-i%2, st, list, err)
			}
			// The ChargeOver side sees it too, by its integer id.
			coID := cust["chargeover_id"]
			st, co, err := doReq(client, "GET", r.base+fmt.Sprintf("/api/v3/customer/%.0f", coID), pk, sk, "", "")
			if err != nil || st != 200 {
				t.Errorf("ChargeOver customer %.0f on the other instance: %d %v %v", coID, st, co, err)
			}
		}
	})

	t.Run("ChargeOver ids unique and ascending", func(t *testing.T) {
		create := func(p *proc) (float64, error) {
			st, m, err := doReq(client, "POST", p.base+"/api/v3/customer", pk, sk, jsonType, `{"company":"Acme"}`)
			resp, _ := m["response"].(map[string]any)
			id, ok := resp["id"].(float64)
			if err != nil || st != 201 || !ok {
				return 0, fmt.Errorf("POST /api/v3/customer: %d %v %v", st, m, err)
			}
			return id, nil
		}
		// One after the other, alternating: each id is above the last.
		last := 0.0
		for i := range 10 {
			id, err := create(ps[i%2])
			if err != nil {
				t.Fatal(err)
			}
			if id <= last {
				t.Errorf("id %v from instance %d after %v: not ascending", id, i%2, last)
			}
			last = id
		}
		// At once on both: all distinct, all above the last.
		var mu sync.Mutex
		seen := map[float64]bool{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				id, err := create(ps[i%2])
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case seen[id] || id <= last:
					t.Errorf("id %v from instance %d: reused or not above %v", id, i%2, last)
				}
				seen[id] = true
			})
		}
		wg.Wait()
	})

	t.Run("a nonce is used once across instances", func(t *testing.T) {
		// Behind one load balancer both instances see the same Host.
		const host = "vault.example"
		nonce := fmt.Sprintf("n%d", time.Now().UnixNano())
		ts := time.Now().Unix()
		if st, raw := signedNonce(t, client, a.base, host, pk, sk, nonce, ts); st != 200 {
			t.Fatalf("signed GET on instance 0: %d %s", st, raw)
		}
		if st, raw := signedNonce(t, client, b.base, host, pk, sk, nonce, ts); st != 401 {
			t.Errorf("the same signed request replayed on instance 1: %d %s, want 401", st, raw)
		}
		// A fresh nonce on the other instance works (the signature is sound).
		if st, raw := signedNonce(t, client, b.base, host, pk, sk, nonce+"x", ts); st != 200 {
			t.Errorf("signed GET with a new nonce on instance 1: %d %s", st, raw)
		}
	})

	t.Run("janitors split the work", func(t *testing.T) {
		// Each expired token's card is destroyed once, by one of them; the sum
		// of what they report reaches exactly the number of expired tokens.
		purged := func() int {
			n := 0
			for _, p := range ps {
				for _, m := range purgedRE.FindAllStringSubmatch(p.stderr.String(), -1) {
					k, _ := strconv.Atoi(m[1])
					n += k
				}
			}
			return n
		}
		if !waitUntil(15*time.Second, func() bool { return purged() >= expiring }) {
			t.Fatalf("the janitors purged %d cards within 15 s, want %d", purged(), expiring)
		}
		if n := purged(); n != expiring {
			t.Errorf("the janitors purged %d cards, want %d: some work done twice", n, expiring)
		}
		if n := pgQueryInt(t, dsn, `SELECT count(*) FROM tokens WHERE NOT used AND card_id IS NOT NULL`); n != 0 {
			t.Errorf("%d expired tokens keep their card data", n)
		}
	})

	for i, p := range ps {
		if errs := errorLines(p); len(errs) > 0 {
			t.Errorf("instance %d logged errors:\n%s", i, strings.Join(errs, "\n"))
		}
	}

	t.Run("kill -9 of one under load", func(t *testing.T) {
		var acks ackLog
		var bFailed atomic.Int32
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 6 {
			p := ps[w%2]
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					case <-p.done:
						return
					default:
					}
					id, ok := createCustomer(p.base, pk, sk, randomPAN(t))
					if ok {
						acks.add(acked{path: "/customers/" + id, user: sk})
					} else if p == b {
						bFailed.Add(1)
					}
				}
			})
		}
		if !waitUntil(20*time.Second, func() bool { return acks.len() >= 30 }) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d writes acknowledged in 20 s", acks.len())
		}
		if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-a.done
		killedAt := acks.len()
		// The other keeps serving: writes go on being acknowledged.
		served := waitUntil(10*time.Second, func() bool { return acks.len() >= killedAt+30 })
		close(stop)
		wg.Wait()
		if !served {
			t.Errorf("instance 1 acknowledged %d writes in 10 s after instance 0 was killed", acks.len()-killedAt)
		}
		if n := bFailed.Load(); n > 0 {
			t.Errorf("%d writes failed on instance 1 while instance 0 was killed", n)
		}
		if err := checkAcked(client, b.base, acks.all()); err != nil {
			t.Errorf("acknowledged writes missing after kill -9 of one instance:\n%v", err)
		}
		if errs := errorLines(b); len(errs) > 0 {
			t.Errorf("instance 1 logged errors:\n%s", strings.Join(errs, "\n"))
		}
		t.Logf("%d acknowledged writes (%d before the kill) all read back from the survivor", acks.len(), killedAt)
	})
}

// TestInstancesFirstStart: several instances started at the same moment on
// an empty database apply the migrations once, without an error, and make
// one first account, whose keys one of them prints.
func TestInstancesFirstStart(t *testing.T) {
	const rounds, procs = 4, 3
	for round := range rounds {
		dsn := pgSchema(t)
		env := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
		args := make([][]string, procs)
		for i := range args {
			args[i] = serveArgs(t, dsn)
		}
		ps := startTogether(t, env, args...)
		if n, want := pgQueryInt(t, dsn, `SELECT count(*) FROM schema_migrations`), len(postgres.Migrations()); n != want {
			t.Errorf("round %d: %d migrations recorded, want %d", round, n, want)
		}
		if n := pgQueryInt(t, dsn, `SELECT count(*) FROM accounts`); n != 1 {
			t.Errorf("round %d: %d instances started together on an empty database made %d accounts, want 1", round, procs, n)
		}
		printed := func() int {
			n := 0
			for _, p := range ps {
				if strings.Contains(p.stdout.String(), "export CV=") {
					n++
				}
			}
			return n
		}
		if !waitUntil(5*time.Second, func() bool { return printed() > 0 }) {
			t.Errorf("round %d: no instance printed the first account's keys", round)
		}
		for i, p := range ps {
			if errs := errorLines(p); len(errs) > 0 {
				t.Errorf("round %d: instance %d logged errors:\n%s", round, i, strings.Join(errs, "\n"))
			}
		}
		if n := printed(); n > 1 {
			t.Errorf("round %d: the keys of a first account printed by %d instances, want 1", round, n)
		}
		for _, p := range ps {
			p.cmd.Process.Kill()
			<-p.done
		}
	}
}

var purgedRE = regexp.MustCompile(`"msg":"token janitor purged expired card data","cards":(\d+)`)

// signedNonce sends a signature-v1 GET /api/v3/customer (API.md §3.2) to
// base with the given Host, nonce and timestamp; it returns the status and body.
func signedNonce(t *testing.T, client *http.Client, base, host, pub, sec, nonce string, ts int64) (int, string) {
	t.Helper()
	path := "/api/v3/customer"
	msg := pub + "||" + "http://" + host + path + "||" + nonce + "||" + strconv.FormatInt(ts, 10) + "||"
	mac := hmac.New(sha256.New, []byte(sec))
	mac.Write([]byte(msg))
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", fmt.Sprintf(`ChargeOver co_public_key="%s" co_nonce="%s" co_timestamp="%d" `+
		`co_signature_method="HMAC-SHA256" co_version="1.0" co_signature="%x"`, pub, nonce, ts, mac.Sum(nil)))
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, string(m)
}
