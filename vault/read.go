package vault

import (
	"context"
	"strconv"
	"sync"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// ReadsPerAccount is how many reads of one account may run in the store at
// once: half the SQLite read pool (8 connections), so that one tenant's
// expensive queries always leave connections for every other tenant and for
// /healthz.
const ReadsPerAccount = 4

// ReadsInAll is how many bounded reads of all accounts together may run in
// the store at once: fewer than the read pool's 8 connections, so that two or
// more busy tenants still leave connections for /healthz and for API-key
// lookups, which every request makes first.
const ReadsInAll = 6

// readRetryAfter is the Retry-After, in seconds, of a read that gave up
// waiting for its account's turn.
const readRetryAfter = 1

// readGate bounds concurrent reads per account. An account's semaphore
// exists only while some read of it runs or waits.
type readGate struct {
	mu   sync.Mutex
	sems map[string]*accountSem
	all  chan struct{} // one element per running read of any account (ReadsInAll)
}

type accountSem struct {
	users int           // reads holding or waiting for a slot; guarded by readGate.mu
	slots chan struct{} // one element per running read
}

// acquire waits for one of the account's ReadsPerAccount slots, then for one
// of the ReadsInAll slots. When ctx ends
// first (the request's deadline, or the client gone) it returns ERateLimited
// with Retry-After 1: the account is busy, the server is not failing.
// Otherwise the caller must call the returned release exactly once.
func (g *readGate) acquire(ctx context.Context, accountID string) (release func(), err error) {
	g.mu.Lock()
	if g.sems == nil {
		g.sems, g.all = map[string]*accountSem{}, make(chan struct{}, ReadsInAll)
	}
	all := g.all
	s := g.sems[accountID]
	if s == nil {
		s = &accountSem{slots: make(chan struct{}, ReadsPerAccount)}
		g.sems[accountID] = s
	}
	s.users++
	g.mu.Unlock()
	// The account's slot first: reads waiting behind their own account's
	// bound hold none of the slots every account shares.
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		g.leave(accountID, s)
		return nil, &cardvault.Error{Code: cardvault.ERateLimited, RetryAfter: readRetryAfter}
	}
	select {
	case all <- struct{}{}:
		return func() { <-all; <-s.slots; g.leave(accountID, s) }, nil
	case <-ctx.Done():
		<-s.slots
		g.leave(accountID, s)
		return nil, &cardvault.Error{Code: cardvault.ERateLimited, RetryAfter: readRetryAfter}
	}
}

// leave drops one user of s, forgetting s when it has none.
func (g *readGate) leave(accountID string, s *accountSem) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(g.sems, accountID)
	}
}

// read runs f holding one of the account's read slots.
func read[T any](ctx context.Context, v *Vault, accountID string, f func() (T, error)) (T, error) {
	release, err := v.reads.acquire(ctx, accountID)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return f()
}

// The reads below wrap the Store's so that every read a dialect makes counts
// against its account's ReadsPerAccount, and, with AuditReads, is recorded
// (its data is returned only once its record is written). Besides the Store's own
// error codes they return ERateLimited (Retry-After 1) when the request's
// context ends while waiting for a slot.

// QueryCards is Store.QueryCards within the account's read bound.
func (v *Vault) QueryCards(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Card, error) {
	cs, err := read(ctx, v, s.AccountID, func() ([]*cardvault.Card, error) { return v.store.QueryCards(ctx, s, q) })
	if err != nil {
		return nil, err
	}
	return cs, v.auditRead(ctx, s, cardvault.AuditCardList, "", count(len(cs)))
}

// CountCards is Store.CountCards within the account's read bound.
func (v *Vault) CountCards(ctx context.Context, s cardvault.Scope, where []query.Cond) (int, error) {
	return read(ctx, v, s.AccountID, func() (int, error) { return v.store.CountCards(ctx, s, where) })
}

// QueryCustomers is Store.QueryCustomers within the account's read bound.
func (v *Vault) QueryCustomers(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Customer, error) {
	cs, err := read(ctx, v, s.AccountID, func() ([]*cardvault.Customer, error) { return v.store.QueryCustomers(ctx, s, q) })
	if err != nil {
		return nil, err
	}
	return cs, v.auditRead(ctx, s, cardvault.AuditCustomerList, "", count(len(cs)))
}

// CountCustomers is Store.CountCustomers within the account's read bound.
func (v *Vault) CountCustomers(ctx context.Context, s cardvault.Scope, where []query.Cond) (int, error) {
	return read(ctx, v, s.AccountID, func() (int, error) { return v.store.CountCustomers(ctx, s, where) })
}

// page is a list page and the number of objects in its window.
type page[T any] struct {
	items []T
	total int
}

// ListCustomers is Store.ListCustomers within the account's read bound.
func (v *Vault) ListCustomers(ctx context.Context, s cardvault.Scope, p cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	r, err := read(ctx, v, s.AccountID, func() (page[*cardvault.Customer], error) {
		items, total, err := v.store.ListCustomers(ctx, s, p)
		return page[*cardvault.Customer]{items, total}, err
	})
	if err != nil {
		return nil, 0, err
	}
	return r.items, r.total, v.auditRead(ctx, s, cardvault.AuditCustomerList, "", count(len(r.items)))
}

// ListCards is Store.ListCards within the account's read bound.
func (v *Vault) ListCards(ctx context.Context, s cardvault.Scope, customerID string, p cardvault.ListParams) ([]*cardvault.Card, int, error) {
	r, err := read(ctx, v, s.AccountID, func() (page[*cardvault.Card], error) {
		items, total, err := v.store.ListCards(ctx, s, customerID, p)
		return page[*cardvault.Card]{items, total}, err
	})
	if err != nil {
		return nil, 0, err
	}
	return r.items, r.total, v.auditRead(ctx, s, cardvault.AuditCardList, customerID, count(len(r.items)))
}

// ListCustomersWithCards is Store.ListCustomersWithCards within the
// account's read bound: a page of customers, their number in the window, and
// each one's page cp of cards with its number, from one snapshot.
func (v *Vault) ListCustomersWithCards(ctx context.Context, s cardvault.Scope, p, cp cardvault.ListParams) ([]cardvault.CustomerCards, int, error) {
	r, err := read(ctx, v, s.AccountID, func() (page[cardvault.CustomerCards], error) {
		items, total, err := v.store.ListCustomersWithCards(ctx, s, p, cp)
		return page[cardvault.CustomerCards]{items, total}, err
	})
	if err != nil {
		return nil, 0, err
	}
	return r.items, r.total, v.auditRead(ctx, s, cardvault.AuditCustomerList, "", count(len(r.items))+" with cards")
}

// Customer is Store.Customer within the account's read bound.
func (v *Vault) Customer(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	c, err := read(ctx, v, s.AccountID, func() (*cardvault.Customer, error) { return v.store.Customer(ctx, s, ref) })
	if err != nil {
		return nil, err
	}
	return c, v.auditRead(ctx, s, cardvault.AuditCustomerRead, c.ID, "")
}

// Card is Store.Card within the account's read bound.
func (v *Vault) Card(ctx context.Context, s cardvault.Scope, customerID, cardID string) (*cardvault.Card, error) {
	c, err := read(ctx, v, s.AccountID, func() (*cardvault.Card, error) { return v.store.Card(ctx, s, customerID, cardID) })
	if err != nil {
		return nil, err
	}
	return c, v.auditRead(ctx, s, cardvault.AuditCardRead, c.ID, "")
}

// CardByRef is Store.CardByRef within the account's read bound.
func (v *Vault) CardByRef(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Card, error) {
	c, err := read(ctx, v, s.AccountID, func() (*cardvault.Card, error) { return v.store.CardByRef(ctx, s, ref) })
	if err != nil {
		return nil, err
	}
	return c, v.auditRead(ctx, s, cardvault.AuditCardRead, c.ID, "")
}

// count is a record's Detail for a read of n objects.
func count(n int) string { return "n=" + strconv.Itoa(n) }
