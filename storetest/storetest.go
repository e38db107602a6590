// Package storetest is the conformance suite that every cardvault.Store must
// pass (API.md §1.4, §2.4–2.6, §2.10–2.12, §3.2, §3.4–3.6). A store package
// runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) cardvault.Store {
//			s := open a fresh, empty store under t.TempDir()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Objects are made the way the service makes them, through a vault.Vault over
// the store under test, so that tokens carry sealed cards and accounts carry
// data keys. Behaviour is then checked by calling the Store methods directly.
// Time comes from a Clock the suite controls, never from the wall clock.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/vault"
)

// TokenTTL is the token lifetime the suite's vaults use.
const TokenTTL = 30 * time.Minute

// Epoch is where every Clock starts: a time with a sub-millisecond part, so
// that round trips show the stores' millisecond resolution.
var Epoch = time.Date(2031, 3, 14, 15, 9, 26, 535897932, time.UTC)

// Run runs the conformance suite against fresh stores made by open (each
// subtest calls open for an empty store).
func Run(t *testing.T, open func(t *testing.T) cardvault.Store) {
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"accounts", accountTests},
		{"keys", keyTests},
		{"keks", kekTests},
		{"datakeys", dataKeyTests},
		{"apikeys", apiKeyTests},
		{"tokens", tokenTests},
		{"attach", attachTests},
		{"concurrency", concurrencyTests},
		{"seq", seqTests},
		{"customers", customerTests},
		{"cards", cardTests},
		{"lists", listTests},
		{"purge", purgeTests},
		{"isolation", isolationTests},
		{"chargeover", chargeoverTests},
		{"clock", clockTests},
		{"audit", auditTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.fn(t, NewFixture(t, open)) })
			}
		})
	}
}

// subtest is one named conformance check on a fresh fixture.
type subtest struct {
	name string
	fn   func(t *testing.T, f *Fixture)
}

// Fixture is one fresh store with a vault over it, a fake clock and two
// accounts, A and B.
type Fixture struct {
	Store cardvault.Store
	Vault *vault.Vault
	Clock *Clock
	Open  func(t *testing.T) cardvault.Store // for subtests that need another empty store

	A, B  *vault.Credentials
	Test  cardvault.Scope // account A, test mode: where most subtests work
	Live  cardvault.Scope // account A, live mode
	Other cardvault.Scope // account B, test mode
	Ctx   context.Context
}

// NewFixture opens an empty store and creates accounts A and B in it.
func NewFixture(t *testing.T, open func(t *testing.T) cardvault.Store) *Fixture {
	t.Helper()
	s := open(t)
	v, clock := MustVault(t, s)
	f := &Fixture{Store: s, Vault: v, Clock: clock, Open: open, Ctx: t.Context()}
	f.A = MustAccount(t, v)
	f.B = MustAccount(t, v)
	f.Test = cardvault.Scope{AccountID: f.A.ID, Mode: cardvault.Test}
	f.Live = cardvault.Scope{AccountID: f.A.ID, Mode: cardvault.Live}
	f.Other = cardvault.Scope{AccountID: f.B.ID, Mode: cardvault.Test}
	return f
}

// Clock is a fake clock, safe for concurrent use. It moves only when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
