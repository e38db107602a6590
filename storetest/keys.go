package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
		AuditKey: func(k cardvault.AuditKey) (cardvault.AuditKey, error) {
			r.calls.Add(1)
			if r.fail == "audit" {
				return k, errUpgrade
			}
			k.Wrapped, k.Wrap = append([]byte("new:"), k.Wrapped...), r.want
			return k, nil
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
	if n, err := f.Store.UpgradeKeys(f.Ctx, r2.upgrade()); err != nil || n != 13 {
		t.Errorf("UpgradeKeys to KEK version %d = %d, %v; want 13 keys (3 accounts × 4, and the audit key)", next.KEKVersion, n, err)
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

// KEK version records, bounded upgrade batches, finishing a rotation and the
// key status.
var kekTests = []subtest{
	{"KEKs", testKEKs},
	{"UpgradeKeysLimit", testUpgradeKeysLimit},
	{"FinishRotation", testFinishRotation},
	{"KeyStatus", testKeyStatus},
}

func testKEKs(t *testing.T, f *Fixture) {
	s := f.Open(t)
	recs, err := s.KEKs(f.Ctx)
	if err != nil || len(recs) != 0 {
		t.Fatalf("KEKs of an empty store = %v, %v; want none", recs, err)
	}
	now := f.Clock.Now()
	v1 := cardvault.KEK{Version: 1, Check: []byte("check-1"), CreatedAt: now}
	noErr(t, "AddKEK(1)", s.AddKEK(f.Ctx, v1))
	wantCode(t, "AddKEK(1) again", s.AddKEK(f.Ctx, v1), cardvault.EConflict, "")
	v3 := cardvault.KEK{Version: 3, Check: []byte("check-3"), Wrapped: []byte("w"), WrappedBy: 1, CreatedAt: now}
	wantCode(t, "AddKEK(3) after 1", s.AddKEK(f.Ctx, v3), cardvault.EConflict, "")
	same := cardvault.KEK{Version: 2, Check: v1.Check, Wrapped: []byte("w"), WrappedBy: 1, CreatedAt: now}
	wantCode(t, "AddKEK(2) with version 1's check value", s.AddKEK(f.Ctx, same), cardvault.EConflict, "")
	if err := s.AddKEK(f.Ctx, cardvault.KEK{Version: 2, Check: []byte("check-2"), WrappedBy: 1, CreatedAt: now}); err == nil {
		t.Error("AddKEK wrapped by version 1 without the wrapped KEK succeeded")
	}
	v2 := cardvault.KEK{Version: 2, Check: []byte("check-2"), Wrapped: []byte("wrapped-2"), WrappedBy: 1, CreatedAt: now}
	noErr(t, "AddKEK(2)", s.AddKEK(f.Ctx, v2))
	recs, err = s.KEKs(f.Ctx)
	noErr(t, "KEKs", err)
	if len(recs) != 2 || recs[0].Version != 1 || string(recs[0].Check) != "check-1" || recs[0].Wrapped != nil ||
		recs[0].WrappedBy != 0 || !recs[0].CreatedAt.Equal(ms(now)) || !recs[0].RetiredAt.IsZero() ||
		recs[1].Version != 2 || string(recs[1].Wrapped) != "wrapped-2" || recs[1].WrappedBy != 1 {
		t.Errorf("KEKs = %+v", recs)
	}
}

// testUpgradeKeysLimit: with a limit, each call writes at most that many
// keys, and the calls together write each key once.
func testUpgradeKeysLimit(t *testing.T, f *Fixture) {
	old := cardvault.Wrap{Scheme: keys.SchemeLegacy}
	a, pubs := staleAccount(t, f, f.Store, old)
	b, pubsB := staleAccount(t, f, f.Store, old)
	r := &upgradeRecorder{want: currentWrap(f)}
	u := r.upgrade()
	u.Limit = 3
	var got []int
	for range 10 {
		n, err := f.Store.UpgradeKeys(f.Ctx, u)
		noErr(t, "UpgradeKeys(limit 3)", err)
		if got = append(got, n); n == 0 {
			break
		}
	}
	if fmt.Sprint(got) != "[3 3 2 0]" || r.calls.Load() != 8 {
		t.Errorf("UpgradeKeys with limit 3 over 8 stale keys wrote %v in %d calls, want [3 3 2 0] in 8", got, r.calls.Load())
	}
	wantKeys(t, f, f.Store, a, pubs, "new:", r.want)
	wantKeys(t, f, f.Store, b, pubsB, "new:", r.want)
}

func testFinishRotation(t *testing.T, f *Fixture) {
	s := f.Open(t)
	v1 := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 1}
	a, pubs := staleAccount(t, f, s, v1)
	now := f.Clock.Now()
	noErr(t, "AddKEK(1)", s.AddKEK(f.Ctx, cardvault.KEK{Version: 1, Check: []byte("c1"), CreatedAt: now}))
	noErr(t, "AddKEK(2)", s.AddKEK(f.Ctx, cardvault.KEK{Version: 2, Check: []byte("c2"), Wrapped: []byte("w2"), WrappedBy: 1, CreatedAt: now}))
	wantCode(t, "FinishRotation(2) with keys under 1", s.FinishRotation(f.Ctx, 2, now), cardvault.EConflict, "")
	r := &upgradeRecorder{want: cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 2}}
	if n, err := s.UpgradeKeys(f.Ctx, r.upgrade()); err != nil || n != 4 {
		t.Fatalf("UpgradeKeys to version 2 = %d, %v; want 4", n, err)
	}
	wantCode(t, "FinishRotation(1), not the newest", s.FinishRotation(f.Ctx, 1, now), cardvault.EConflict, "")
	if err := s.FinishRotation(f.Ctx, 2, time.Time{}); err == nil {
		t.Error("FinishRotation at a zero time succeeded")
	}
	at := now.Add(time.Hour)
	noErr(t, "FinishRotation(2)", s.FinishRotation(f.Ctx, 2, at))
	recs, err := s.KEKs(f.Ctx)
	noErr(t, "KEKs", err)
	if len(recs) != 2 || !recs[0].RetiredAt.Equal(ms(at)) || recs[1].Wrapped != nil || recs[1].WrappedBy != 0 || !recs[1].RetiredAt.IsZero() {
		t.Errorf("KEKs after FinishRotation = %+v", recs)
	}
	wantKeys(t, f, s, a, pubs, "new:", r.want)
	noErr(t, "FinishRotation(2) again", s.FinishRotation(f.Ctx, 2, at))
}

func testKeyStatus(t *testing.T, f *Fixture) {
	MustToken(t, f.Vault, f.Test, Visa)
	MustToken(t, f.Vault, f.Test, Visa)
	MustToken(t, f.Vault, f.Other, Visa)
	staleAccount(t, f, f.Store, cardvault.Wrap{Scheme: keys.SchemeLegacy})
	st, err := f.Store.KeyStatus(f.Ctx)
	noErr(t, "KeyStatus", err)
	cur := currentWrap(f).KEKVersion
	want := map[int][3]int{0: {1, 1, 2}, cur: {2, 2, 4}}
	if len(st.KEKs) != 2 {
		t.Fatalf("KeyStatus KEKs = %+v, want versions 0 and %d", st.KEKs, cur)
	}
	for _, k := range st.KEKs {
		if w, ok := want[k.Version]; !ok || w != [3]int{k.DataKeys, k.FingerprintKeys, k.Seals} {
			t.Errorf("KEK version %d: %d data keys, %d fingerprint keys, %d seals; want %v", k.Version, k.DataKeys, k.FingerprintKeys, k.Seals, w)
		}
	}
	cards := map[string]int{}
	for _, a := range st.Accounts {
		if len(a.DataKeys) != 1 || a.DataKeys[0].Version != 1 {
			t.Errorf("account %s data keys %+v, want version 1", a.AccountID, a.DataKeys)
			continue
		}
		cards[a.AccountID] = a.DataKeys[0].Cards
	}
	if len(st.Accounts) != 3 || cards[f.A.ID] != 2 || cards[f.B.ID] != 1 {
		t.Errorf("cards per account = %v over %d accounts, want A 2, B 1, 3 accounts", cards, len(st.Accounts))
	}
}

// Data-key rotation's store methods.
var dataKeyTests = []subtest{
	{"AddDataKey", testAddDataKey},
	{"StaleCardsAndReseal", testStaleCardsAndReseal},
}

func testAddDataKey(t *testing.T, f *Fixture) {
	now := f.Clock.Now()
	for _, v := range []int{1, 3} {
		dk := f.Vault.Keys.NewDataKey(f.A.ID, v)
		dk.CreatedAt = now
		wantCode(t, fmt.Sprintf("AddDataKey(version %d after 1)", v), f.Store.AddDataKey(f.Ctx, dk), cardvault.EConflict, "")
	}
	dk := f.Vault.Keys.NewDataKey("acct_0000000000000000000", 2)
	dk.CreatedAt = now
	wantNotFound(t, "AddDataKey(unknown account)", f.Store.AddDataKey(f.Ctx, dk), "account")
	dk = f.Vault.Keys.NewDataKey(f.A.ID, 2)
	dk.CreatedAt = now
	noErr(t, "AddDataKey(A, 2)", f.Store.AddDataKey(f.Ctx, dk))
	cur, err := f.Store.CurrentDataKey(f.Ctx, f.A.ID)
	if err != nil || cur.Version != 2 || string(cur.Wrapped) != string(dk.Wrapped) {
		t.Errorf("CurrentDataKey(A) after AddDataKey = v%d, %v; want v2", cur.Version, err)
	}
	if b, err := f.Store.CurrentDataKey(f.Ctx, f.B.ID); err != nil || b.Version != 1 {
		t.Errorf("CurrentDataKey(B) = v%d, %v; want v1", b.Version, err)
	}
}

func testStaleCardsAndReseal(t *testing.T, f *Fixture) {
	for range 5 {
		MustToken(t, f.Vault, f.Test, Visa)
	}
	MustToken(t, f.Vault, f.Other, Visa)
	dk := f.Vault.Keys.NewDataKey(f.A.ID, 2)
	dk.CreatedAt = f.Clock.Now()
	noErr(t, "AddDataKey", f.Store.AddDataKey(f.Ctx, dk))
	var all []cardvault.SealedCard
	for after := ""; ; {
		cs, err := f.Store.StaleCards(f.Ctx, f.A.ID, 2, after, 2)
		noErr(t, "StaleCards", err)
		if len(cs) > 2 {
			t.Fatalf("StaleCards(limit 2) returned %d", len(cs))
		}
		if len(cs) == 0 {
			break
		}
		all = append(all, cs...)
		after = cs[len(cs)-1].ID
	}
	if len(all) != 5 {
		t.Fatalf("StaleCards over A found %d cards, want 5", len(all))
	}
	c := all[0]
	rs := []cardvault.Reseal{
		{ID: c.ID, AccountID: f.A.ID, Old: []byte("not it"), New: []byte("x"), KeyVersion: 2},          // changed meanwhile
		{ID: c.ID, AccountID: f.B.ID, Old: c.Sealed, New: []byte("x"), KeyVersion: 2},                  // another account
		{ID: c.ID, AccountID: f.A.ID, Old: c.Sealed, New: []byte("x"), KeyVersion: 3},                  // no such key
		{ID: all[1].ID, AccountID: f.A.ID, Old: all[1].Sealed, New: []byte("resealed"), KeyVersion: 2}, // applies
	}
	n, err := f.Store.Reseal(f.Ctx, rs)
	if err != nil || n != 1 {
		t.Errorf("Reseal = %d, %v; want 1 applied", n, err)
	}
	left, err := f.Store.StaleCards(f.Ctx, f.A.ID, 2, "", 10)
	noErr(t, "StaleCards", err)
	if len(left) != 4 {
		t.Errorf("%d cards under version 1 after one reseal, want 4", len(left))
	}
	for _, l := range left {
		if l.ID == all[1].ID {
			t.Error("the resealed card is still under version 1")
		}
	}
}
