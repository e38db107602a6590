package vault

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/query"
	"github.com/cardvault/cardvault/sqlite"
)

// mustVault returns a vault over a new SQLite store in a temporary directory.
func mustVault(t *testing.T) *Vault {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cardvault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, err := keys.New(make([]byte, keys.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, kr, time.Hour, slog.New(slog.DiscardHandler))
}

// wantRateLimited checks that err is ERateLimited with Retry-After 1.
func wantRateLimited(t *testing.T, what string, err error) {
	t.Helper()
	if e := cardvault.AsError(err); e.Code != cardvault.ERateLimited || e.RetryAfter != readRetryAfter {
		t.Errorf("%s = %v; want ERateLimited with Retry-After %d", what, err, readRetryAfter)
	}
}

func TestReadGate(t *testing.T) {
	var g readGate
	var releases []func()
	for range ReadsPerAccount {
		release, err := g.acquire(t.Context(), "a")
		if err != nil {
			t.Fatalf("acquire %d of %d: %v", len(releases)+1, ReadsPerAccount, err)
		}
		releases = append(releases, release)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := g.acquire(ctx, "a")
	wantRateLimited(t, "acquire past the bound", err)

	other, err := g.acquire(t.Context(), "b")
	if err != nil {
		t.Fatalf("another account's read waits for a busy account: %v", err)
	}
	other()
	releases[0]()
	again, err := g.acquire(t.Context(), "a") // blocks forever if the slot was not returned
	if err != nil {
		t.Fatal(err)
	}
	again()
	for _, release := range releases[1:] {
		release()
	}
	if len(g.sems) != 0 {
		t.Errorf("%d semaphores kept after every read ended; want 0", len(g.sems))
	}
}

// TestReadsBoundedPerAccount: with every read slot of one account taken, each
// read of that account gives up with ERateLimited when its context ends, while
// the same reads of another account go straight to the store.
func TestReadsBoundedPerAccount(t *testing.T) {
	v := mustVault(t)
	busy, err := v.CreateAccount(t.Context(), "busy")
	if err != nil {
		t.Fatal(err)
	}
	calm, err := v.CreateAccount(t.Context(), "calm")
	if err != nil {
		t.Fatal(err)
	}
	q, err := query.Parse(nil, query.CreditCard)
	if err != nil {
		t.Fatal(err)
	}
	cq, err := query.Parse(nil, query.Customer)
	if err != nil {
		t.Fatal(err)
	}
	lp := cardvault.ListParams{Limit: 10}
	reads := map[string]func(context.Context, cardvault.Scope) error{
		"QueryCards":     func(ctx context.Context, s cardvault.Scope) error { _, err := v.QueryCards(ctx, s, q); return err },
		"CountCards":     func(ctx context.Context, s cardvault.Scope) error { _, err := v.CountCards(ctx, s, nil); return err },
		"QueryCustomers": func(ctx context.Context, s cardvault.Scope) error { _, err := v.QueryCustomers(ctx, s, cq); return err },
		"CountCustomers": func(ctx context.Context, s cardvault.Scope) error {
			_, err := v.CountCustomers(ctx, s, nil)
			return err
		},
		"ListCustomers": func(ctx context.Context, s cardvault.Scope) error {
			_, _, err := v.ListCustomers(ctx, s, lp)
			return err
		},
		"ListCards": func(ctx context.Context, s cardvault.Scope) error {
			_, _, err := v.ListCards(ctx, s, "cust_test_none", lp)
			return err
		},
		"ListCustomersWithCards": func(ctx context.Context, s cardvault.Scope) error {
			_, _, err := v.ListCustomersWithCards(ctx, s, lp, lp)
			return err
		},
		"Customer": func(ctx context.Context, s cardvault.Scope) error {
			_, err := v.Customer(ctx, s, cardvault.Ref{ID: "cust_test_none"})
			return err
		},
		"Card": func(ctx context.Context, s cardvault.Scope) error {
			_, err := v.Card(ctx, s, "cust_test_none", "card_test_none")
			return err
		},
		"CardByRef": func(ctx context.Context, s cardvault.Scope) error {
			_, err := v.CardByRef(ctx, s, cardvault.Ref{Seq: 1})
			return err
		},
		"Token": func(ctx context.Context, s cardvault.Scope) error {
			_, err := v.Token(ctx, s, "tokn_test_none")
			return err
		},
	}
	for range ReadsPerAccount {
		release, err := v.reads.acquire(t.Context(), busy.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
	busyScope := cardvault.Scope{AccountID: busy.ID, Mode: cardvault.Test}
	calmScope := cardvault.Scope{AccountID: calm.ID, Mode: cardvault.Test}
	for name, f := range reads {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		wantRateLimited(t, name+" of a busy account", f(ctx, busyScope))
		cancel()
		if err := f(t.Context(), calmScope); cardvault.ErrorCode(err) == cardvault.ERateLimited ||
			(err != nil && cardvault.ErrorCode(err) != cardvault.ENotFound) {
			t.Errorf("%s of another account = %v; want an answer from the store", name, err)
		}
	}
}

// TestReadGateInAll: busy accounts together hold at most ReadsInAll slots, so
// the read pool keeps connections for /healthz and key lookups; a read held
// back by the shared bound gives its account's slot back when it gives up.
func TestReadGateInAll(t *testing.T) {
	var g readGate
	var held []func()
	take := func(account string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		release, err := g.acquire(ctx, account)
		if err != nil {
			t.Fatalf("acquire for %s: %v", account, err)
		}
		held = append(held, release)
	}
	for range ReadsPerAccount {
		take("a")
	}
	for range ReadsInAll - ReadsPerAccount {
		take("b")
	}
	for _, account := range []string{"b", "c"} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		release, err := g.acquire(ctx, account)
		cancel()
		if err == nil {
			release()
			t.Fatalf("a read of %s got a slot past ReadsInAll (%d)", account, ReadsInAll)
		}
		wantRateLimited(t, "a read of "+account+" past ReadsInAll", err)
	}
	if n := len(g.sems["c"].slotsOrNil()); n != 0 {
		t.Errorf("account c holds %d slots after giving up; want 0", n)
	}
	held[0]() // one of a's reads ends: c gets the shared slot
	take("c")
	for _, release := range held[1:] {
		release()
	}
	if len(g.sems) != 0 || len(g.all) != 0 {
		t.Errorf("%d semaphores and %d shared slots kept after every read ended; want 0", len(g.sems), len(g.all))
	}
}

// slotsOrNil returns s's slots, nil for a forgotten account.
func (s *accountSem) slotsOrNil() chan struct{} {
	if s == nil {
		return nil
	}
	return s.slots
}
