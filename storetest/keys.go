package storetest

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// The key hierarchy's store methods: fingerprint keys, wrappings, and
// UpgradeKeys, which brings keys written otherwise (an older version, an
// older KEK) to the wanted wrapping in one transaction.
var keyTests = []subtest{
	{"FingerprintKey", testFingerprintKey},
	{"CreateAccountNeedsKeys", testCreateAccountNeedsKeys},
	{"UpgradeKeysNothingToDo", testUpgradeNothingToDo},
	{"UpgradeKeys", testUpgradeKeys},
	{"UpgradeKeysAtomic", testUpgradeKeysAtomic},
	{"UpgradeKeysConcurrent", testUpgradeKeysConcurrent},
}

func currentWrap(f *Fixture) cardvault.Wrap {
	return cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: f.Vault.Keys.KEKVersion()}
}

func testFingerprintKey(t *testing.T, f *Fixture) {
	a, err := f.Store.FingerprintKey(f.Ctx, f.A.ID)
	noErr(t, "FingerprintKey(A)", err)
	if a.AccountID != f.A.ID || len(a.Wrapped) == 0 || a.Wrap != currentWrap(f) || !a.CreatedAt.Equal(ms(Epoch)) {
		t.Errorf("FingerprintKey(A) = {%s %d bytes %+v %s}, want {%s non-empty %+v %s}",
			a.AccountID, len(a.Wrapped), a.Wrap, a.CreatedAt, f.A.ID, currentWrap(f), ms(Epoch))
	}
	b, err := f.Store.FingerprintKey(f.Ctx, f.B.ID)
	noErr(t, "FingerprintKey(B)", err)
	if string(a.Wrapped) == string(b.Wrapped) {
		t.Error("accounts A and B have the same wrapped fingerprint key")
	}
	dk, err := f.Store.DataKey(f.Ctx, f.A.ID, 1)
	noErr(t, "DataKey(A, 1)", err)
	if dk.Wrap != currentWrap(f) {
		t.Errorf("DataKey(A, 1).Wrap = %+v, want %+v", dk.Wrap, currentWrap(f))
	}
	// The stored key is the one fingerprints are made with.
	tok := MustToken(t, f.Vault, f.Test, Visa)
	fp, err := f.Vault.Keys.Fingerprint(a, cardvault.NewSecret(Visa))
	noErr(t, "Fingerprint under the stored key", err)
	if fp != tok.Card.Fingerprint {
		t.Errorf("fingerprint under FingerprintKey(A) = %s, token's = %s", fp, tok.Card.Fingerprint)
	}
	_, err = f.Store.FingerprintKey(f.Ctx, "acct_0000000000000000000")
	wantNotFound(t, "FingerprintKey(unknown account)", err, "")
}

// testCreateAccountNeedsKeys: an account without a data key or a fingerprint
// key is refused and leaves nothing behind.
func testCreateAccountNeedsKeys(t *testing.T, f *Fixture) {
	s := f.Open(t)
	now := f.Clock.Now()
	a := &cardvault.Account{ID: cardvault.NewAccountID(now), CreatedAt: now}
	dk := f.Vault.Keys.NewDataKey(a.ID, 1)
	fk := f.Vault.Keys.NewFingerprintKey(a.ID)
	dk.CreatedAt, fk.CreatedAt = now, now
	if err := s.CreateAccount(f.Ctx, a, dk, cardvault.FingerprintKey{AccountID: a.ID, CreatedAt: now}, nil); err == nil {
		t.Error("CreateAccount without a fingerprint key succeeded")
	}
	if err := s.CreateAccount(f.Ctx, a, cardvault.DataKey{AccountID: a.ID, Version: 1, CreatedAt: now}, fk, nil); err == nil {
		t.Error("CreateAccount without a data key succeeded")
	}
	if n, err := s.CountAccounts(f.Ctx); err != nil || n != 0 {
		t.Errorf("CountAccounts after refused creations = %d, %v; want 0", n, err)
	}
	noErr(t, "CreateAccount with both keys", s.CreateAccount(f.Ctx, a, dk, fk, nil))
}

// upgradeRecorder is a KeyUpgrade that marks what it re-wraps and counts calls.
type upgradeRecorder struct {
	want  cardvault.Wrap
	calls atomic.Int64
	fail  string // "data", "secret" or "fingerprint": that function fails
}

var errUpgrade = errors.New("storetest: upgrade function failed")

func (r *upgradeRecorder) upgrade() cardvault.KeyUpgrade {
	return cardvault.KeyUpgrade{
		Want: r.want,
		DataKey: func(dk cardvault.DataKey) (cardvault.DataKey, error) {
			r.calls.Add(1)
			if r.fail == "data" {
				return dk, errUpgrade
			}
			dk.Wrapped, dk.Wrap = append([]byte("new:"), dk.Wrapped...), r.want
			return dk, nil
		},
		Secret: func(k cardvault.APIKey) ([]byte, error) {
			r.calls.Add(1)
			if r.fail == "secret" {
				return nil, errUpgrade
			}
			return append([]byte("new:"), k.SealedSecret...), nil
		},
		FingerprintKey: func(fk cardvault.FingerprintKey) (cardvault.FingerprintKey, error) {
			r.calls.Add(1)
			if r.fail == "fingerprint" {
				return fk, errUpgrade
			}
			fk.Wrapped, fk.Wrap = append([]byte("new:"), fk.Wrapped...), r.want
			return fk, nil
		},
	}
}

func testUpgradeNothingToDo(t *testing.T, f *Fixture) {
	r := &upgradeRecorder{want: currentWrap(f)}
	n, err := f.Store.UpgradeKeys(f.Ctx, r.upgrade())
	noErr(t, "UpgradeKeys", err)
	if n != 0 || r.calls.Load() != 0 {
		t.Errorf("UpgradeKeys with every key wrapped as wanted wrote %d keys in %d calls, want 0", n, r.calls.Load())
	}
	empty := f.Open(t)
	if n, err := empty.UpgradeKeys(f.Ctx, r.upgrade()); err != nil || n != 0 {
		t.Errorf("UpgradeKeys on an empty store = %d, %v; want 0, nil", n, err)
	}
}

// staleAccount stores an account whose data key, fingerprint key and
// public keys' sealed secrets are wrapped as old (bytes "dk", "fk", "sk").
func staleAccount(t *testing.T, f *Fixture, s cardvault.Store, old cardvault.Wrap) (*cardvault.Account, [2][32]byte) {
	t.Helper()
	now := f.Clock.Now()
	a := &cardvault.Account{ID: cardvault.NewAccountID(now), CreatedAt: now}
	dk := cardvault.DataKey{AccountID: a.ID, Version: 1, Wrapped: []byte("dk"), Wrap: old, CreatedAt: now}
	fk := cardvault.FingerprintKey{AccountID: a.ID, Wrapped: []byte("fk"), Wrap: old, CreatedAt: now}
	var pubs [2][32]byte
	var recs []cardvault.APIKey
	for i, m := range []cardvault.Mode{cardvault.Test, cardvault.Live} {
		pubs[i] = cardvault.HashKey(cardvault.NewKey(cardvault.PublicKey, m))
		recs = append(recs,
			cardvault.APIKey{Hash: pubs[i], AccountID: a.ID, Mode: m, Kind: cardvault.PublicKey, SealedSecret: []byte("sk"),
				SecretWrap: old, CreatedAt: now},
			cardvault.APIKey{Hash: cardvault.HashKey(cardvault.NewKey(cardvault.SecretKey, m)), AccountID: a.ID, Mode: m,
				Kind: cardvault.SecretKey, CreatedAt: now})
	}
	noErr(t, "CreateAccount(stale keys)", s.CreateAccount(f.Ctx, a, dk, fk, recs))
	return a, pubs
}

// wantKeys checks the stale account's keys: upgraded ("new:" prefixed, wrap
// want) or untouched.
func wantKeys(t *testing.T, f *Fixture, s cardvault.Store, a *cardvault.Account, pubs [2][32]byte, prefix string, w cardvault.Wrap) {
	t.Helper()
	dk, err := s.DataKey(f.Ctx, a.ID, 1)
	noErr(t, "DataKey", err)
	if string(dk.Wrapped) != prefix+"dk" || dk.Wrap != w {
		t.Errorf("data key = %q %+v, want %q %+v", dk.Wrapped, dk.Wrap, prefix+"dk", w)
	}
	fk, err := s.FingerprintKey(f.Ctx, a.ID)
	noErr(t, "FingerprintKey", err)
	if string(fk.Wrapped) != prefix+"fk" || fk.Wrap != w || !fk.CreatedAt.Equal(ms(a.CreatedAt)) {
		t.Errorf("fingerprint key = %q %+v %s, want %q %+v %s", fk.Wrapped, fk.Wrap, fk.CreatedAt, prefix+"fk", w, ms(a.CreatedAt))
	}
	for _, h := range pubs {
		k, err := s.APIKey(f.Ctx, h)
		noErr(t, "APIKey", err)
		if string(k.SealedSecret) != prefix+"sk" || k.SecretWrap != w {
			t.Errorf("public key's sealed secret = %q %+v, want %q %+v", k.SealedSecret, k.SecretWrap, prefix+"sk", w)
		}
	}
}

func testUpgradeKeys(t *testing.T, f *Fixture) {
	old := cardvault.Wrap{Scheme: keys.SchemeLegacy}
	a, pubs := staleAccount(t, f, f.Store, old)
	r := &upgradeRecorder{want: currentWrap(f)}
	n, err := f.Store.UpgradeKeys(f.Ctx, r.upgrade())
	noErr(t, "UpgradeKeys", err)
	// One data key, one fingerprint key, two public keys' secrets; accounts
	// A and B are wrapped as wanted already.
	if n != 4 || r.calls.Load() != 4 {
		t.Errorf("UpgradeKeys wrote %d keys in %d calls, want 4 and 4", n, r.calls.Load())
	}
	wantKeys(t, f, f.Store, a, pubs, "new:", r.want)
	if n, err := f.Store.UpgradeKeys(f.Ctx, r.upgrade()); err != nil || n != 0 {
		t.Errorf("second UpgradeKeys = %d, %v; want 0, nil", n, err)
	}
	// Accounts A and B still work.
	MustToken(t, f.Vault, f.Test, Visa)
	MustToken(t, f.Vault, f.Other, Visa)

	// A later KEK version: every key, theirs too, is passed on.
	next := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: r.want.KEKVersion + 1}
	r2 := &upgradeRecorder{want: next}
	if n, err := f.Store.UpgradeKeys(f.Ctx, r2.upgrade()); err != nil || n != 12 {
		t.Errorf("UpgradeKeys to KEK version %d = %d, %v; want 12 keys (3 accounts × 4)", next.KEKVersion, n, err)
	}
	wantKeys(t, f, f.Store, a, pubs, "new:new:", next)
}

// testUpgradeKeysAtomic: a failing function, or one that returns another
// wrapping, aborts the whole upgrade.
func testUpgradeKeysAtomic(t *testing.T, f *Fixture) {
	old := cardvault.Wrap{Scheme: keys.SchemeLegacy}
	a, pubs := staleAccount(t, f, f.Store, old)
	for _, fail := range []string{"data", "secret", "fingerprint"} {
		r := &upgradeRecorder{want: currentWrap(f), fail: fail}
		n, err := f.Store.UpgradeKeys(f.Ctx, r.upgrade())
		if !errors.Is(err, errUpgrade) || n != 0 {
			t.Errorf("UpgradeKeys with the %s function failing = %d, %v; want 0, the function's error", fail, n, err)
		}
		wantKeys(t, f, f.Store, a, pubs, "", old)
	}
	r := &upgradeRecorder{want: currentWrap(f)}
	u := r.upgrade()
	u.DataKey = func(dk cardvault.DataKey) (cardvault.DataKey, error) { return dk, nil } // unchanged wrapping
	if n, err := f.Store.UpgradeKeys(f.Ctx, u); err == nil || n != 0 {
		t.Errorf("UpgradeKeys whose DataKey leaves the wrapping = %d, %v; want an error", n, err)
	}
	wantKeys(t, f, f.Store, a, pubs, "", old)
}

// testUpgradeKeysConcurrent: processes starting together each upgrade; every
// key is re-wrapped exactly once.
func testUpgradeKeysConcurrent(t *testing.T, f *Fixture) {
	a, pubs := staleAccount(t, f, f.Store, cardvault.Wrap{Scheme: keys.SchemeLegacy})
	r := &upgradeRecorder{want: currentWrap(f)}
	var total atomic.Int64
	for _, err := range race(4, func(int) error {
		n, err := f.Store.UpgradeKeys(f.Ctx, r.upgrade())
		total.Add(int64(n))
		return err
	}) {
		noErr(t, "UpgradeKeys", err)
	}
	if total.Load() != 4 || r.calls.Load() != 4 {
		t.Errorf("4 concurrent UpgradeKeys wrote %d keys in %d calls, want 4 and 4", total.Load(), r.calls.Load())
	}
	wantKeys(t, f, f.Store, a, pubs, "new:", r.want)
}
