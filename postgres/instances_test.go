package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
	"github.com/cardvault/cardvault/vault"
)

// twoInstances opens two stores (two pools: two cardvault instances) on one
// fresh schema, with a vault over the first.
func twoInstances(t *testing.T) (a, b *DB, v *vault.Vault, clock *storetest.Clock, s cardvault.Scope) {
	t.Helper()
	dsn := FreshSchema(t, BaseURL(t))
	a, b = MustOpen(t, dsn), MustOpen(t, dsn)
	v, clock = storetest.MustVault(t, a)
	cr := storetest.MustAccount(t, v)
	return a, b, v, clock, cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
}

// together runs fn(i) for i in [0, n) in goroutines released at once.
func together(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { <-start; fn(i) })
	}
	close(start)
	wg.Wait()
}

// TestInstancesOneToken: 20 concurrent attaches of one token spread over two
// instances: exactly one succeeds, 19 are told the token is used.
func TestInstancesOneToken(t *testing.T) {
	a, b, v, clock, s := twoInstances(t)
	c := storetest.MustCustomer(t, v, s, "")
	tok := storetest.MustToken(t, v, s, storetest.Visa)
	att, now := v.Attach(tok.ID), clock.Now()
	errs := make([]error, 20)
	together(len(errs), func(i int) {
		db := []*DB{a, b}[i%2]
		errs[i] = db.UpdateCustomer(context.Background(), s, c.ID, cardvault.CustomerUpdate{Attach: att, Now: now})
	})
	var ok, used int
	for i, err := range errs {
		switch cardvault.ErrorCode(err) {
		case "":
			ok++
		case cardvault.EUsedToken:
			used++
		default:
			t.Errorf("attach %d: %v", i, err)
		}
	}
	if ok != 1 || used != 19 {
		t.Errorf("20 attaches over two instances: %d succeeded, %d used_token; want 1 and 19", ok, used)
	}
}

// TestInstancesIDs: customers created at once on two instances get unique
// ids, and one created afterwards on either gets a larger id than all.
func TestInstancesIDs(t *testing.T) {
	a, b, _, clock, s := twoInstances(t)
	create := func(db *DB, i int) (int64, error) {
		now := clock.Now()
		c := &cardvault.Customer{ID: "cust_" + cardvault.RandomString(16), AccountID: s.AccountID, Mode: s.Mode,
			Token: cardvault.NewObjectToken(), Metadata: []byte("{}"), CreatedAt: now, ModifiedAt: now}
		err := db.CreateCustomer(context.Background(), c, nil)
		return c.Seq, err
	}
	seqs := make([]int64, 30)
	together(len(seqs), func(i int) {
		var err error
		if seqs[i], err = create([]*DB{a, b}[i%2], i); err != nil {
			t.Errorf("CreateCustomer %d: %v", i, err)
		}
	})
	seen := map[int64]bool{}
	var highest int64
	for _, seq := range seqs {
		if seq <= 0 || seen[seq] {
			t.Errorf("id %d is not positive or issued twice", seq)
		}
		seen[seq], highest = true, max(highest, seq)
	}
	for _, db := range []*DB{a, b} {
		seq, err := create(db, 0)
		if err != nil || seq <= highest {
			t.Errorf("customer created afterwards: id %d (%v), want above %d", seq, err, highest)
		}
		highest = max(highest, seq)
	}
}

// TestInstancesNonce: a signature nonce recorded on one instance is refused
// on the other, and one nonce sent to both at once is accepted once.
func TestInstancesNonce(t *testing.T) {
	a, b, _, clock, _ := twoInstances(t)
	now := clock.Now()
	key := [32]byte{7}
	if fresh, err := a.UseNonce(t.Context(), key, "n1", now, now.Add(-5*time.Minute)); err != nil || !fresh {
		t.Fatalf("UseNonce on A = %v, %v; want fresh", fresh, err)
	}
	if fresh, err := b.UseNonce(t.Context(), key, "n1", now, now.Add(-5*time.Minute)); err != nil || fresh {
		t.Errorf("UseNonce of A's nonce on B = %v, %v; want refused", fresh, err)
	}
	var accepted [10]bool
	together(len(accepted), func(i int) {
		var err error
		if accepted[i], err = []*DB{a, b}[i%2].UseNonce(context.Background(), key, "n2", now, now.Add(-5*time.Minute)); err != nil {
			t.Errorf("UseNonce %d: %v", i, err)
		}
	})
	n := 0
	for _, ok := range accepted {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("one nonce sent to two instances 10 times at once was accepted %d times, want 1", n)
	}
}

// TestInstancesPurge: janitors of two instances purging at once destroy
// each expired token's card once between them, without errors, in batches.
func TestInstancesPurge(t *testing.T) {
	a, b, v, clock, s := twoInstances(t)
	const n = purgeBatch + 100
	for range n {
		storetest.MustToken(t, v, s, storetest.Visa)
	}
	now := clock.Advance(storetest.TokenTTL + time.Minute)
	var destroyed [2]int
	together(2, func(i int) {
		var err error
		if destroyed[i], err = []*DB{a, b}[i].PurgeTokens(context.Background(), now, now.Add(-48*time.Hour)); err != nil {
			t.Errorf("PurgeTokens on instance %d: %v", i, err)
		}
	})
	if destroyed[0]+destroyed[1] != n {
		t.Errorf("the two janitors destroyed %d + %d cards, want %d in all", destroyed[0], destroyed[1], n)
	}
	var left int
	if err := a.pool.QueryRow(t.Context(), `SELECT count(*) FROM cards`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d cards left (%v), want 0", left, err)
	}
}
