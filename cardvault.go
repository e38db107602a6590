// Package cardvault is the domain of a self-hosted payment-card vault: accounts and
// their API keys, single-use tokens, customers and their stored cards, and the
// Store contract that every storage implementation fulfils.
//
// The package holds types, validation and interfaces only. Storage lives in
// sqlite/ (and later postgres/), key custody in keys/, the business operations in
// vault/, and the two HTTP dialects in omiseapi/ and chargeoverapi/.
package cardvault

import (
	"context"
	"time"

	"github.com/cardvault/cardvault/query"
)

// Mode separates test data from live data. Every object belongs to exactly one
// mode, fixed by the key that created it.
type Mode uint8

const (
	// Test is the mode of objects created with test keys.
	Test Mode = 1
	// Live is the mode of objects created with live keys.
	Live Mode = 2
)

// String returns "test" or "live".
func (m Mode) String() string {
	if m == Live {
		return "live"
	}
	return "test"
}

// Scope is what a request may see: one account's objects of one mode.
type Scope struct {
	AccountID string
	Mode      Mode
}

// ListParams selects a page of a chronological list (Omise dialect).
type ListParams struct {
	Limit   int       // 1..100
	Offset  int       // ≥ 0
	Reverse bool      // reverse_chronological
	From    time.Time // inclusive, second resolution
	To      time.Time // inclusive, second resolution
}

// Store persists the vault's objects. Every method runs in its own transaction
// and returns *Error values with the codes documented on it; any other error is
// internal. A method that returns nil has committed durably. No method runs
// caller code inside its transaction: what a write changes arrives as data
// (CustomerUpdate, CardUpdate, CardMerge) and the store applies it with this
// package's pure functions (ApplyCardUpdate, MergeCard).
//
// The contract is split by concern so that a caller, a test double or a new
// store can name the part it needs; storetest pins every method.
type Store interface {
	AccountStore
	KeyStore
	TokenStore
	CustomerStore
	CardStore
	ChargeOverStore
	AuditStore

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// AccountStore holds accounts and their API keys.
type AccountStore interface {
	// CreateAccount stores an account, its first data key, its fingerprint
	// key and its API keys.
	CreateAccount(ctx context.Context, a *Account, dk DataKey, fk FingerprintKey, keys []APIKey) error
	// CreateFirstAccount is CreateAccount on an empty store: in one write
	// transaction it checks that the store has no account and only then
	// stores a, so that of several processes starting together on an empty
	// store exactly one creates it. It reports whether it did; when the
	// store already has an account it writes nothing (no audit record either).
	CreateFirstAccount(ctx context.Context, a *Account, dk DataKey, fk FingerprintKey, keys []APIKey) (bool, error)
	// CountAccounts returns the number of accounts.
	CountAccounts(ctx context.Context) (int, error)
	// Accounts returns every account, oldest first.
	Accounts(ctx context.Context) ([]*Account, error)
	// APIKey returns the key record with the given SHA-256 hash (ENotFound).
	APIKey(ctx context.Context, hash [32]byte) (*APIKey, error)
	// APIKeys returns an account's API key records, oldest first (ENotFound
	// when the account does not exist).
	APIKeys(ctx context.Context, accountID string) ([]*APIKey, error)
	// ReplaceSecretKey makes secret the only secret key of its account and
	// mode, and stores sealed[h] as the sealed secret of the public key with
	// hash h. sealed must name every public key of that account and mode
	// (EConflict otherwise: the keys changed meanwhile); ENotFound when the
	// account does not exist.
	ReplaceSecretKey(ctx context.Context, secret APIKey, sealed map[[32]byte][]byte) error
}

// KeyStore holds the key hierarchy: wrapped data and fingerprint keys, KEK
// version records, and what rotation and re-encryption need.
type KeyStore interface {
	// DataKey returns an account's wrapped data key of the given version (ENotFound).
	DataKey(ctx context.Context, accountID string, version int) (DataKey, error)
	// CurrentDataKey returns an account's newest wrapped data key (ENotFound).
	CurrentDataKey(ctx context.Context, accountID string) (DataKey, error)
	// DataKeys returns up to limit wrapped data keys of any accounts, oldest
	// first, so that a start-up check can tell whether the master key opens them.
	DataKeys(ctx context.Context, limit int) ([]DataKey, error)
	// FingerprintKey returns an account's wrapped fingerprint key (ENotFound).
	FingerprintKey(ctx context.Context, accountID string) (FingerprintKey, error)
	// UpgradeKeys, in one write transaction, replaces every data key, sealed
	// API secret, fingerprint key and the audit key not wrapped as u.Want with
	// what u's functions return, and stores a fingerprint key for every
	// account that has none. It returns how many keys it wrote: a second call writes none.
	// With u.Limit > 0 it writes at most that many keys per call.
	UpgradeKeys(ctx context.Context, u KeyUpgrade) (int, error)
	// KEKs returns the store's KEK version records, oldest first.
	KEKs(ctx context.Context) ([]KEK, error)
	// AddKEK stores the record of a new KEK version, which must be one more
	// than the newest stored (or 1 in a store with none), with a check value
	// no other version has (EConflict otherwise).
	AddKEK(ctx context.Context, k KEK) error
	// FinishRotation ends a rotation to KEK version v, in one write
	// transaction: it fails (EConflict) while any key (the audit key
	// included) is wrapped otherwise than under v, else it deletes v's wrapped copy and retires every older
	// version at time at.
	FinishRotation(ctx context.Context, v int, at time.Time) error
	// KeyStatus counts keys per KEK version and cards per data key.
	KeyStatus(ctx context.Context) (KeyStatus, error)
	// AddDataKey stores an account's next data key: dk.Version must be its
	// newest plus one (EConflict otherwise; ENotFound without the account).
	AddDataKey(ctx context.Context, dk DataKey) error
	// StaleCards returns up to limit of an account's cards sealed under a
	// data-key version below below, with ids after after, in id order.
	StaleCards(ctx context.Context, accountID string, below int, after string, limit int) ([]SealedCard, error)
	// Reseal applies each replacement whose card still holds its Old sealed
	// number, in one write transaction, and returns how many it applied.
	Reseal(ctx context.Context, rs []Reseal) (int, error)
}

// TokenStore holds single-use tokens and their unattached cards.
type TokenStore interface {
	// CreateToken stores a token, with its ExpiresAt, and its unattached card.
	CreateToken(ctx context.Context, t *Token) error
	// Token returns a token with its card (ENotFound when unknown, purged or its card is gone).
	Token(ctx context.Context, s Scope, id string) (*Token, error)
	// PurgeTokens destroys the card data of unused tokens whose ExpiresAt is
	// before expiredBefore (their tombstones remain) and removes token rows
	// whose ExpiresAt is before forgetBefore, finding both through an index
	// on the expiry. It returns how many cards were destroyed.
	PurgeTokens(ctx context.Context, expiredBefore, forgetBefore time.Time) (int, error)
}

// CustomerStore holds customers.
type CustomerStore interface {
	// CreateCustomer stores a new customer, attaching a token first if att is not nil
	// (ENotFound, EUsedToken, ETokenExpired for the token). c's ids are filled in.
	CreateCustomer(ctx context.Context, c *Customer, att *Attach) error
	// UpdateCustomer applies u atomically (ENotFound for customer, token or default
	// card; EUsedToken; ETokenExpired).
	UpdateCustomer(ctx context.Context, s Scope, id string, u CustomerUpdate) error
	// Customer returns a live (not deleted) customer by reference (ENotFound).
	Customer(ctx context.Context, s Scope, ref Ref) (*Customer, error)
	// DeleteCustomer destroys a customer and all its cards and returns it as it was (ENotFound).
	DeleteCustomer(ctx context.Context, s Scope, ref Ref) (*Customer, error)
	// ListCustomers returns a page of customers and the number in the window,
	// both read from one snapshot.
	ListCustomers(ctx context.Context, s Scope, p ListParams) ([]*Customer, int, error)
	// ListCustomersWithCards is ListCustomers that also returns, for each
	// customer of the page, the page cp of its cards and their number in cp's
	// window (ListCards for each), all read from one snapshot with a fixed
	// number of queries whatever the page size. The result holds one
	// CustomerCards per customer, in page order.
	ListCustomersWithCards(ctx context.Context, s Scope, p, cp ListParams) ([]CustomerCards, int, error)
}

// CustomerCards is a customer with a page of its cards.
type CustomerCards struct {
	Customer *Customer
	Cards    []*Card
	Total    int // the customer's cards in the card page's window
}

// CardStore holds stored (attached) cards.
type CardStore interface {
	// Card returns a stored card of a customer (ENotFound with Kind "customer" or "card").
	Card(ctx context.Context, s Scope, customerID, cardID string) (*Card, error)
	// ListCards returns a page of a customer's cards and the number in the
	// window, both read from one snapshot (ENotFound for the customer).
	ListCards(ctx context.Context, s Scope, customerID string, p ListParams) ([]*Card, int, error)
	// UpdateCard applies u to a stored card with ApplyCardUpdate in one write
	// transaction and returns the card as stored (ENotFound; ApplyCardUpdate's
	// errors leave the card unchanged).
	UpdateCard(ctx context.Context, s Scope, customerID, cardID string, u CardUpdate) (*Card, error)
	// DeleteCard destroys a stored card and returns it as it was (ENotFound);
	// customerID may be "" when ref identifies the card on its own.
	DeleteCard(ctx context.Context, s Scope, customerID string, ref Ref) (*Card, error)
	// CardByRef returns a stored card by any identity, whoever its customer (ENotFound).
	CardByRef(ctx context.Context, s Scope, ref Ref) (*Card, error)
	// StoreCard stores card c for the customer named by customer (ChargeOver
	// POST). If that customer already holds a card with c's fingerprint, the
	// most recently stored one is updated instead with MergeCard(existing, c,
	// m) (upsert). It returns the card as stored and whether it is new.
	// ENotFound (Kind "customer"), EConflict (Field "external_key").
	StoreCard(ctx context.Context, s Scope, customer Ref, c *Card, m CardMerge) (*Card, bool, error)
}

// ChargeOverStore answers the ChargeOver dialect's filtered lists and
// counts, and records request-signature nonces. A query arrives as the
// parsed, validated query.Query (a dialect-neutral AST: fields, operators,
// typed values, order keys, page); each store renders it in its own SQL.
type ChargeOverStore interface {
	// QueryCards returns stored cards matching a ChargeOver query.
	QueryCards(ctx context.Context, s Scope, q query.Query) ([]*Card, error)
	// CountCards counts stored cards matching ChargeOver conditions.
	CountCards(ctx context.Context, s Scope, where []query.Cond) (int, error)
	// QueryCustomers returns customers matching a ChargeOver query.
	QueryCustomers(ctx context.Context, s Scope, q query.Query) ([]*Customer, error)
	// CountCustomers counts customers matching ChargeOver conditions.
	CountCustomers(ctx context.Context, s Scope, where []query.Cond) (int, error)
	// UseNonce records a request-signature nonce for a public key at now and
	// reports false if the same nonce was already recorded at or after
	// notBefore. Older records may be forgotten.
	UseNonce(ctx context.Context, keyHash [32]byte, nonce string, now, notBefore time.Time) (bool, error)
}

// Ref names an object by one of its identities. Exactly one field is set.
type Ref struct {
	ID          string // Omise id (cust_…, card_…)
	Seq         int64  // ChargeOver integer id
	Token       string // ChargeOver 12-char object token
	ExternalKey string // ChargeOver external key
}

// Attach asks a store to consume a token as a customer's new card.
type Attach struct {
	TokenID       string
	ExpiredBefore time.Time // a token whose ExpiresAt is before this instant has expired (the attach's now)
}
