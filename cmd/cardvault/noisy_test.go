package main_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// Shape of the noisy-tenant test: data set, load, and the answer time every
// quiet request must meet.
const (
	noisyCustomers   = 100
	noisyCardsPerCus = 10 // 1,000 cards stored through the store…
	noisyCopies      = 50 // …copied in SQL to 50,000
	noisyClients     = 16
	noisyDuration    = 8 * time.Second
	quietMaxLatency  = 2 * time.Second
)

// TestNoisyTenant: one account with 50,000 cards hammers expensive ChargeOver
// queries (many CONTAINS conditions, deep offsets ordered by an unindexed
// field, counts) from 16 clients, while a second account's requests and
// /healthz must keep answering within 2 s.
func TestNoisyTenant(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 cards")
	}
	if raceEnabled {
		// The server under test is the binary, built without the race
		// detector; instrumenting the loader here would only make it minutes.
		t.Skip("a latency measurement: run without -race")
	}
	data := t.TempDir()
	master := keys.GenerateMasterKey()
	noisy, quiet := loadTenants(t, data, master)
	p := mustStartEnv(t, data, []string{"CARDVAULT_MASTER_KEY=" + master})

	// The noisy queries are valid both before and after the query limits
	// (at most 16 conditions). An empty CONTAINS matches every card, so every
	// condition is evaluated on every row.
	contains := strings.Repeat("token:CONTAINS:,", 15) + "token:CONTAINS:"
	expensive := []string{
		"/api/v3/creditcard?" + url.Values{"where": {contains}, "order": {"token:DESC"},
			"offset": {"49000"}, "limit": {"500"}}.Encode(),
		"/api/v3/creditcard/_count?" + url.Values{"where": {contains}}.Encode(),
		"/api/v3/creditcard?" + url.Values{"order": {"token:ASC"}, "offset": {"49500"}, "limit": {"500"}}.Encode(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), noisyDuration)
	defer cancel()
	client := &http.Client{Timeout: 30 * time.Second}
	var noisyOK, noisyLimited, noisyTimedOut atomic.Int64
	var wg sync.WaitGroup
	for i := range noisyClients {
		wg.Go(func() {
			for n := i; ctx.Err() == nil; n++ {
				switch st := coGet(ctx, client, p.base+expensive[n%len(expensive)], noisy); {
				case st == http.StatusOK:
					noisyOK.Add(1)
				case st == http.StatusTooManyRequests: // waited for its account's turn until its deadline
					noisyLimited.Add(1)
				case st == http.StatusServiceUnavailable: // ran past the request deadline
					noisyTimedOut.Add(1)
				case st >= 500:
					t.Errorf("noisy request answered %d", st)
				}
			}
		})
	}
	// Let the noisy clients fill the pool before measuring.
	waitFor(t, func() bool { return noisyOK.Load()+noisyLimited.Load() > 0 || ctx.Err() != nil })
	// The quiet tenant alternates a ChargeOver query and an Omise list.
	quietReqs := []struct {
		url string
		key [2]string
	}{
		{p.base + "/api/v3/customer?" + url.Values{"where": {"company:CONTAINS:quiet"}}.Encode(), quiet},
		{p.base + "/customers?limit=5", [2]string{quiet[1], ""}},
	}
	var quietLat, healthLat []time.Duration
	for i := 0; ctx.Err() == nil; i++ {
		q := quietReqs[i%len(quietReqs)]
		start := time.Now()
		if st := coGet(context.Background(), client, q.url, q.key); st != http.StatusOK {
			t.Errorf("quiet tenant GET %s = %d", q.url, st)
		}
		quietLat = append(quietLat, time.Since(start))
		start = time.Now()
		if st := coGet(context.Background(), client, p.base+"/healthz", [2]string{}); st != http.StatusOK {
			t.Errorf("/healthz = %d", st)
		}
		healthLat = append(healthLat, time.Since(start))
	}
	cancel()
	wg.Wait()
	qMax, qP99 := maxP99(quietLat)
	hMax, hP99 := maxP99(healthLat)
	t.Logf("noisy: %d answered 200, %d answered 429, %d answered 503 in %v",
		noisyOK.Load(), noisyLimited.Load(), noisyTimedOut.Load(), noisyDuration)
	t.Logf("quiet tenant: %d requests, max %v, p99 %v", len(quietLat), qMax, qP99)
	t.Logf("/healthz: %d requests, max %v, p99 %v", len(healthLat), hMax, hP99)
	if qMax > quietMaxLatency || hMax > quietMaxLatency {
		t.Errorf("quiet tenant max %v, /healthz max %v; want both within %v", qMax, hMax, quietMaxLatency)
	}
}

// loadTenants creates a noisy account holding noisyCustomers×noisyCardsPerCus
// stored cards and a quiet account with a few customers, straight through the
// store, and returns their test (public, secret) key pairs.
func loadTenants(t *testing.T, data, master string) (noisy, quiet [2]string) {
	t.Helper()
	ctx := context.Background()
	mk, err := keys.ParseMasterKey(master)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.New(mk)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(data, "cardvault.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v := vault.New(db, kr, time.Hour, slog.New(slog.DiscardHandler))
	// The noisy account is created first, so the default-account logic of
	// serve does not run.
	nc, err := v.CreateAccount(ctx, "noisy")
	if err != nil {
		t.Fatal(err)
	}
	qc, err := v.CreateAccount(ctx, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	pans := make([]string, noisyCardsPerCus)
	for i := range pans {
		pans[i] = randomPAN(t)
	}
	start := time.Now()
	fillAccount(t, v, cardvault.Scope{AccountID: nc.ID, Mode: cardvault.Test}, "noisy", noisyCustomers, pans)
	fillAccount(t, v, cardvault.Scope{AccountID: qc.ID, Mode: cardvault.Test}, "quiet", 5, pans[:3])
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	n := copyCards(t, filepath.Join(data, "cardvault.db"), nc.ID, noisyCopies-1)
	t.Logf("loaded %d noisy cards in %v", n, time.Since(start).Round(time.Millisecond))
	return [2]string{nc.Test.PublicKey.Reveal(), nc.Test.SecretKey.Reveal()},
		[2]string{qc.Test.PublicKey.Reveal(), qc.Test.SecretKey.Reveal()}
}

// copyCards adds copies more copies of every card of an account, with fresh
// ids, integer ids and object tokens (their sealed numbers, bound to the
// original card id, no longer open: the test never reads them), in one SQL
// statement: tokenizing 50,000 cards through the store would take most of the
// test's time. It returns the account's number of cards.
func copyCards(t *testing.T, path, accountID string, copies int) int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT name FROM pragma_table_info('cards')")
	if err != nil {
		t.Fatal(err)
	}
	var cols, exprs []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		e := c
		switch c {
		case "id":
			e = "id || '_' || k.n"
		case "seq":
			e = "seq + k.n * 1000000"
		case "token":
			e = "lower(hex(randomblob(6)))"
		}
		cols, exprs = append(cols, c), append(exprs, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?)
		INSERT INTO cards (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(exprs, ", ")+`
		FROM cards, k WHERE account_id = ? AND customer_id IS NOT NULL`, copies, accountID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM cards WHERE account_id = ?", accountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fillAccount stores customers, each holding one card per PAN, from 16
// goroutines so that group commit batches the writes.
func fillAccount(t *testing.T, v *vault.Vault, s cardvault.Scope, company string, customers int, pans []string) {
	t.Helper()
	ctx := context.Background()
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range 16 {
		wg.Go(func() {
			for i := range next {
				c := &cardvault.Customer{Description: fmt.Sprintf("%s %d", company, i)}
				if err := v.CreateCustomer(ctx, s, c, ""); err != nil {
					t.Error(err)
					failed.Store(true)
					return
				}
				for _, pan := range pans {
					in := cardvault.CardInput{Number: cardvault.NewSecret(pan),
						Month: cardvault.IntInput{N: 12, Given: true}, Year: cardvault.IntInput{N: 2030, Given: true}}
					card, err := v.NewCard(ctx, s, in, "", cardvault.Address{}, "127.0.0.1")
					if err == nil {
						_, _, err = v.StoreCard(ctx, s, cardvault.Ref{ID: c.ID}, card, cardvault.CardMerge{})
					}
					if err != nil {
						t.Error(err)
						failed.Store(true)
						return
					}
				}
			}
		})
	}
	for i := 0; i < customers && !failed.Load(); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if failed.Load() {
		t.FailNow()
	}
}

// coGet sends a GET with Basic auth key[0]:key[1] (none when key is zero)
// and returns the status, 0 when the request failed (cancelled or timed out).
func coGet(ctx context.Context, client *http.Client, u string, key [2]string) int {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0
	}
	if key[0] != "" {
		req.SetBasicAuth(key[0], key[1])
	}
	res, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// maxP99 returns the largest and the 99th-percentile duration.
func maxP99(d []time.Duration) (time.Duration, time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)-1], s[(len(s)*99)/100]
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
