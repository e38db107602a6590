package sqlite_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/storetest"
	"github.com/cardvault/cardvault/vault"
)

// v005 is sqlite/testdata/v005.json: what the version before the key
// hierarchy wrote into v005.db.
type v005 struct {
	MasterKey string
	Accounts  []struct{ ID, TestPublic, TestSecret, LivePublic, LiveSecret string }
	Cards     []struct {
		Account, Mode, Customer, Card, Token, PAN, Fingerprint string
		Stored                                                 bool
	}
}

// openV005 copies the fixture store into a temporary directory and opens
// the copy (which applies the SQL migrations), count times: a process each.
func openV005(t *testing.T, count int) (*v005, []*sqlite.DB) {
	t.Helper()
	var fx v005
	b, err := os.ReadFile("testdata/v005.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile("testdata/v005.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cardvault.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	var dbs []*sqlite.DB
	for range count {
		dbs = append(dbs, mustOpen(t, path))
	}
	return &fx, dbs
}

func v005Vault(t *testing.T, s cardvault.Store, master string) *vault.Vault {
	t.Helper()
	m, err := keys.ParseMasterKey(master)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.New(m)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(s, kr, time.Hour, slog.New(slog.DiscardHandler))
	v.Now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	return v
}

// TestMigrateV005 opens a store written by the version before the key
// hierarchy and starts on it as `serve` does: a wrong master key is refused
// and changes nothing; the right one re-wraps every key under the KEK, and
// then every card opens and keeps its fingerprint, a new token of a stored
// number gets the same fingerprint, ChargeOver's upsert by fingerprint still
// finds the stored card, and every API key works.
func TestMigrateV005(t *testing.T) {
	fx, dbs := openV005(t, 1)
	db := dbs[0]
	before, err := db.DataKeys(t.Context(), 100)
	if err != nil || len(before) != 2 {
		t.Fatalf("DataKeys = %d keys, %v; want the fixture's 2", len(before), err)
	}
	for _, dk := range before {
		if dk.Wrap != (cardvault.Wrap{Scheme: keys.SchemeLegacy}) {
			t.Errorf("fixture data key of %s: wrap %+v, want legacy", dk.AccountID, dk.Wrap)
		}
	}

	wrong := v005Vault(t, db, keys.GenerateMasterKey())
	if err := wrong.CheckMasterKey(t.Context()); !errors.Is(err, vault.ErrWrongMasterKey) {
		t.Fatalf("CheckMasterKey with another master key = %v, want ErrWrongMasterKey", err)
	}
	if _, err := db.FingerprintKey(t.Context(), fx.Accounts[0].ID); cardvault.ErrorCode(err) != cardvault.ENotFound {
		t.Errorf("after a refused start: FingerprintKey = %v, want none stored yet", err)
	}

	v := v005Vault(t, db, fx.MasterKey)
	s := cardvault.Scope{AccountID: fx.Accounts[0].ID, Mode: cardvault.Test}
	if _, err := v.NewCard(t.Context(), s, storetest.CardInput(storetest.Visa, "123"), "", cardvault.Address{}, ""); cardvault.ErrorCode(err) != cardvault.EInternal {
		t.Errorf("NewCard before the upgrade: %v, want an internal error (never not-found)", err)
	}
	if err := v.CheckMasterKey(t.Context()); err != nil {
		t.Fatalf("CheckMasterKey with the fixture's master key: %v", err)
	}
	after, err := db.DataKeys(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: v.Keys.KEKVersion()}
	for i, dk := range after {
		if dk.Wrap != want || bytes.Equal(dk.Wrapped, before[i].Wrapped) {
			t.Errorf("data key of %s after the upgrade: wrap %+v, bytes changed %t; want %+v, changed",
				dk.AccountID, dk.Wrap, !bytes.Equal(dk.Wrapped, before[i].Wrapped), want)
		}
	}
	checkV005(t, fx, db, v, want)

	// Idempotent: nothing is left to upgrade, and a restart reads the same.
	n, err := db.UpgradeKeys(t.Context(), cardvault.KeyUpgrade{Want: want,
		DataKey: func(cardvault.DataKey) (cardvault.DataKey, error) { panic("data key upgraded twice") },
		Secret:  func(cardvault.APIKey) ([]byte, error) { panic("secret upgraded twice") },
		FingerprintKey: func(cardvault.FingerprintKey) (cardvault.FingerprintKey, error) {
			panic("fingerprint key upgraded twice")
		},
	})
	if err != nil || n != 0 {
		t.Errorf("UpgradeKeys after the migration = %d, %v; want 0", n, err)
	}
	again := v005Vault(t, db, fx.MasterKey)
	if err := again.CheckMasterKey(t.Context()); err != nil {
		t.Fatalf("second start: %v", err)
	}
	checkV005(t, fx, db, again, want)
}

// TestMigrateV005Concurrent starts two processes (two opens of the file) on
// the old store at once: both start, and every card reads back.
func TestMigrateV005Concurrent(t *testing.T) {
	fx, dbs := openV005(t, 2)
	vs := []*vault.Vault{v005Vault(t, dbs[0], fx.MasterKey), v005Vault(t, dbs[1], fx.MasterKey)}
	var wg sync.WaitGroup
	errs := make([]error, len(vs))
	for i, v := range vs {
		wg.Go(func() { errs[i] = v.CheckMasterKey(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: CheckMasterKey: %v", i, err)
		}
	}
	want := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: vs[0].Keys.KEKVersion()}
	for i, v := range vs {
		checkV005(t, fx, dbs[i], v, want)
	}
}

// checkV005 reads every fixture card of st through v and checks its number
// and fingerprint, and every API key.
func checkV005(t *testing.T, fx *v005, st cardvault.Store, v *vault.Vault, want cardvault.Wrap) {
	t.Helper()
	ctx := t.Context()
	for _, a := range fx.Accounts {
		fk, err := st.FingerprintKey(ctx, a.ID)
		if err != nil || fk.Wrap != want {
			t.Errorf("FingerprintKey(%s) = %+v, %v; want wrap %+v", a.ID, fk.Wrap, err, want)
		}
		for _, k := range []struct {
			key, secret string
			kind        cardvault.KeyKind
		}{{a.TestPublic, a.TestSecret, cardvault.PublicKey}, {a.TestSecret, "", cardvault.SecretKey},
			{a.LivePublic, a.LiveSecret, cardvault.PublicKey}, {a.LiveSecret, "", cardvault.SecretKey}} {
			rec, err := v.Authenticate(ctx, cardvault.NewSecret(k.key))
			if err != nil || rec.AccountID != a.ID || rec.Kind != k.kind {
				t.Errorf("Authenticate(a key of %s) = %v", a.ID, err)
				continue
			}
			if k.kind != cardvault.PublicKey {
				continue
			}
			if rec.SecretWrap != want {
				t.Errorf("public key of %s: sealed secret wrap %+v, want %+v", a.ID, rec.SecretWrap, want)
			}
			if sk, err := v.SecretKeyOf(rec); err != nil || !sk.Equal(cardvault.NewSecret(k.secret)) {
				t.Errorf("SecretKeyOf(public key of %s) does not open to its pair's secret key (%v)", a.ID, err)
			}
		}
	}
	if len(fx.Cards) != 20 {
		t.Fatalf("fixture lists %d cards, want 20", len(fx.Cards))
	}
	for _, fc := range fx.Cards {
		s := cardvault.Scope{AccountID: fc.Account, Mode: cardvault.Test}
		if fc.Mode == "live" {
			s.Mode = cardvault.Live
		}
		var c *cardvault.Card
		if fc.Stored {
			c = storetest.MustCard(t, st, s, fc.Customer, fc.Card)
		} else {
			tok, err := st.Token(ctx, s, fc.Token)
			if err != nil {
				t.Fatalf("Token(%s): %v", fc.Token, err)
			}
			c = tok.Card
		}
		dk, err := st.DataKey(ctx, fc.Account, c.KeyVersion)
		if err != nil {
			t.Fatal(err)
		}
		pan, err := v.Keys.Open(dk, c.ID, c.Sealed)
		if err != nil || string(pan) != fc.PAN {
			t.Errorf("card %s: Open = %d digits, %v; want its %d-digit number", c.ID, len(pan), err, len(fc.PAN))
		}
		if c.Fingerprint != fc.Fingerprint {
			t.Errorf("card %s: fingerprint %s, recorded %s", c.ID, c.Fingerprint, fc.Fingerprint)
		}
		in := storetest.CardInput(fc.PAN, "")
		in.NameRequired = false
		nc, err := v.NewCard(ctx, s, in, "", cardvault.Address{}, "192.0.2.9")
		if err != nil {
			t.Fatalf("NewCard: %v", err)
		}
		if nc.Fingerprint != fc.Fingerprint {
			t.Errorf("new card of the number of %s: fingerprint %s, want the recorded %s", c.ID, nc.Fingerprint, fc.Fingerprint)
		}
		if !fc.Stored {
			continue
		}
		// ChargeOver POST of a stored number: the upsert finds a card of
		// this customer with the fingerprint (not necessarily this one: the
		// customer may hold the number twice) and stores no new card.
		got, created, err := st.StoreCard(ctx, s, cardvault.Ref{ID: fc.Customer}, nc, cardvault.CardMerge{})
		if err != nil || created || got.Fingerprint != fc.Fingerprint {
			t.Errorf("StoreCard(number of %s) = created %t, %v; want the stored card updated", c.ID, created, err)
		}
	}
}
