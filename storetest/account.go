package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/vault"
)

var accountTests = []subtest{
	{"APIKeyByHash", testAPIKeyByHash},
	{"APIKeyUnknownHash", testAPIKeyUnknownHash},
	{"CountAccounts", testCountAccounts},
	{"CreateFirstAccount", testCreateFirstAccount},
	{"DataKeys", testDataKeys},
	{"MasterKeyCheck", testMasterKeyCheck},
	{"Accounts", testAccounts},
	{"Authenticate", testAuthenticate},
	{"AuthenticateGarbage", testAuthenticateGarbage},
	{"Ping", testPing},
}

// presentedKey is one of an account's four generated keys.
type presentedKey struct {
	name string
	key  cardvault.Secret
	mode cardvault.Mode
	kind cardvault.KeyKind
	pair cardvault.KeyPair
}

func fourKeys(f *Fixture) []presentedKey {
	return []presentedKey{
		{"pkey_test", f.A.Test.PublicKey, cardvault.Test, cardvault.PublicKey, f.A.Test},
		{"skey_test", f.A.Test.SecretKey, cardvault.Test, cardvault.SecretKey, f.A.Test},
		{"pkey_live", f.A.Live.PublicKey, cardvault.Live, cardvault.PublicKey, f.A.Live},
		{"skey_live", f.A.Live.SecretKey, cardvault.Live, cardvault.SecretKey, f.A.Live},
	}
}

func testAPIKeyByHash(t *testing.T, f *Fixture) {
	for _, k := range fourKeys(f) {
		t.Run(k.name, func(t *testing.T) {
			h := cardvault.HashKey(k.key)
			rec, err := f.Store.APIKey(f.Ctx, h)
			noErr(t, "APIKey", err)
			want := cardvault.APIKey{Hash: h, AccountID: f.A.ID, Mode: k.mode, Kind: k.kind,
				SealedSecret: rec.SealedSecret, CreatedAt: ms(Epoch)}
			if k.kind == cardvault.PublicKey {
				want.SecretWrap = cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: f.Vault.Keys.KEKVersion()}
			}
			wantSame(t, "APIKey", rec, &want)
			if k.kind == cardvault.SecretKey {
				if len(rec.SealedSecret) != 0 {
					t.Errorf("secret key record: SealedSecret has %d bytes, want none", len(rec.SealedSecret))
				}
				return
			}
			sk, err := f.Vault.SecretKeyOf(rec)
			noErr(t, "SecretKeyOf", err)
			if !sk.Equal(k.pair.SecretKey) {
				t.Errorf("public key record: sealed secret does not open to the pair's secret key")
			}
		})
	}
}

func testAPIKeyUnknownHash(t *testing.T, f *Fixture) {
	_, err := f.Store.APIKey(f.Ctx, cardvault.HashKey(cardvault.NewKey(cardvault.SecretKey, cardvault.Test)))
	wantNotFound(t, "APIKey(unknown hash)", err, "")
	_, err = f.Store.APIKey(f.Ctx, [32]byte{})
	wantNotFound(t, "APIKey(zero hash)", err, "")
}

func testCountAccounts(t *testing.T, f *Fixture) {
	n, err := f.Store.CountAccounts(f.Ctx)
	noErr(t, "CountAccounts", err)
	if n != 2 {
		t.Errorf("CountAccounts with accounts A and B = %d, want 2", n)
	}
	s := f.Open(t)
	n, err = s.CountAccounts(f.Ctx)
	noErr(t, "CountAccounts(empty)", err)
	if n != 0 {
		t.Errorf("CountAccounts on an empty store = %d, want 0", n)
	}
	v, _ := MustVault(t, s)
	MustAccount(t, v)
	if n, err = s.CountAccounts(f.Ctx); err != nil || n != 1 {
		t.Errorf("CountAccounts after one CreateAccount = %d, %v; want 1, nil", n, err)
	}
}

// testCreateFirstAccount: 8 vaults (instances) on one empty store calling
// CreateFirstAccount at once create exactly one account, recorded once; on a
// store with an account it creates nothing and records nothing.
func testCreateFirstAccount(t *testing.T, f *Fixture) {
	s := f.Open(t)
	const n = 8
	creds := make([]*vault.Credentials, n)
	errs := make([]error, n)
	vs := make([]*vault.Vault, n)
	for i := range vs {
		vs[i], _ = MustVault(t, s)
	}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-gate
			creds[i], errs[i] = vs[i].CreateFirstAccount(f.Ctx, "default")
		})
	}
	close(gate)
	wg.Wait()
	created := 0
	for i := range n {
		noErr(t, "CreateFirstAccount", errs[i])
		if creds[i] != nil {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent CreateFirstAccount on an empty store: %d created, want 1", n, created)
	}
	if c, err := s.CountAccounts(f.Ctx); err != nil || c != 1 {
		t.Errorf("CountAccounts after them = %d, %v; want 1", c, err)
	}
	if cr, err := vs[0].CreateFirstAccount(f.Ctx, "again"); err != nil || cr != nil {
		t.Errorf("CreateFirstAccount on a store with an account = %v, %v; want nil, nil", cr != nil, err)
	}
	recs, err := s.AuditRecords(f.Ctx, cardvault.AuditFilter{Limit: cardvault.MaxAuditPage})
	noErr(t, "AuditRecords", err)
	recorded := 0
	for _, r := range recs {
		if r.Action == cardvault.AuditAccountCreate {
			recorded++
		}
	}
	if recorded != 1 {
		t.Errorf("%d %s records, want 1", recorded, cardvault.AuditAccountCreate)
	}
}

func testDataKeys(t *testing.T, f *Fixture) {
	cur, err := f.Store.CurrentDataKey(f.Ctx, f.A.ID)
	noErr(t, "CurrentDataKey(A)", err)
	if cur.AccountID != f.A.ID || cur.Version != 1 || len(cur.Wrapped) == 0 || !cur.CreatedAt.Equal(ms(Epoch)) {
		t.Errorf("CurrentDataKey(A) = {%s v%d %d bytes %s}, want {%s v1 non-empty %s}",
			cur.AccountID, cur.Version, len(cur.Wrapped), cur.CreatedAt, f.A.ID, ms(Epoch))
	}
	v1, err := f.Store.DataKey(f.Ctx, f.A.ID, 1)
	noErr(t, "DataKey(A, 1)", err)
	wantSame(t, "DataKey(A, 1) vs CurrentDataKey(A)", v1, cur)

	// The key must be usable: seal under it and open under the stored copy.
	ct, err := f.Vault.Keys.Seal(cur, "card_x", []byte("payload"))
	noErr(t, "Seal under the stored data key", err)
	if pt, err := f.Vault.Keys.Open(v1, "card_x", ct); err != nil || string(pt) != "payload" {
		t.Errorf("Open under DataKey(A, 1) = %q, %v; want \"payload\", nil", pt, err)
	}

	b, err := f.Store.DataKey(f.Ctx, f.B.ID, 1)
	noErr(t, "DataKey(B, 1)", err)
	if b.AccountID != f.B.ID || string(b.Wrapped) == string(cur.Wrapped) {
		t.Errorf("DataKey(B, 1): account %s, same wrapped bytes as A's = %t; want account %s, different bytes",
			b.AccountID, string(b.Wrapped) == string(cur.Wrapped), f.B.ID)
	}
	_, err = f.Store.DataKey(f.Ctx, f.A.ID, 2)
	wantNotFound(t, "DataKey(A, 2)", err, "")
	_, err = f.Store.DataKey(f.Ctx, "acct_0000000000000000000", 1)
	wantNotFound(t, "DataKey(unknown account, 1)", err, "")
	_, err = f.Store.CurrentDataKey(f.Ctx, "acct_0000000000000000000")
	wantNotFound(t, "CurrentDataKey(unknown account)", err, "")
}

// testMasterKeyCheck: DataKeys lists the stored keys, the vault's start-up
// check passes with the right master key and fails with another one, and an
// empty store passes.
func testMasterKeyCheck(t *testing.T, f *Fixture) {
	dks, err := f.Store.DataKeys(f.Ctx, 10)
	noErr(t, "DataKeys", err)
	got := map[string]bool{}
	for _, dk := range dks {
		got[dk.AccountID] = len(dk.Wrapped) > 0
	}
	if len(dks) != 2 || !got[f.A.ID] || !got[f.B.ID] {
		t.Fatalf("DataKeys = %d keys, want A's and B's", len(dks))
	}
	if one, err := f.Store.DataKeys(f.Ctx, 1); err != nil || len(one) != 1 {
		t.Errorf("DataKeys(limit 1) = %d keys, %v", len(one), err)
	}
	if err := f.Vault.CheckMasterKey(f.Ctx); err != nil {
		t.Errorf("CheckMasterKey with the right key: %v", err)
	}
	other, _ := MustVaultKey(t, f.Store, randomBytes(keys.KeySize))
	if err := other.CheckMasterKey(f.Ctx); !errors.Is(err, vault.ErrWrongMasterKey) {
		t.Errorf("CheckMasterKey with another master key = %v, want ErrWrongMasterKey", err)
	}
	empty, _ := MustVault(t, f.Open(t))
	if err := empty.CheckMasterKey(f.Ctx); err != nil {
		t.Errorf("CheckMasterKey on an empty store: %v", err)
	}
}

// testAccounts: accounts are listed with their names; a name over 255
// characters is refused and leaves no account behind.
func testAccounts(t *testing.T, f *Fixture) {
	s := f.Open(t)
	v, _ := MustVault(t, s)
	if _, err := v.CreateAccount(f.Ctx, "shop é"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateAccount(f.Ctx, strings.Repeat("x", 256)); cardvault.ErrorCode(err) != cardvault.ETooLong {
		t.Errorf("256-character name: %v, want ETooLong", err)
	}
	accts, err := s.Accounts(f.Ctx)
	noErr(t, "Accounts", err)
	if len(accts) != 1 || accts[0].Name != "shop é" || !strings.HasPrefix(accts[0].ID, "acct_") {
		t.Fatalf("Accounts = %d accounts, want one named %q", len(accts), "shop é")
	}
	if n, err := s.CountAccounts(f.Ctx); err != nil || n != 1 {
		t.Errorf("CountAccounts = %d, %v; want 1", n, err)
	}
}

func testAuthenticate(t *testing.T, f *Fixture) {
	for _, k := range fourKeys(f) {
		t.Run(k.name, func(t *testing.T) {
			rec, err := f.Vault.Authenticate(f.Ctx, k.key)
			noErr(t, "Authenticate", err)
			if rec.AccountID != f.A.ID || rec.Mode != k.mode || rec.Kind != k.kind {
				t.Errorf("Authenticate = {%s %v kind %d}, want {%s %v kind %d}",
					rec.AccountID, rec.Mode, rec.Kind, f.A.ID, k.mode, k.kind)
			}
			if got, want := rec.Scope(), (cardvault.Scope{AccountID: f.A.ID, Mode: k.mode}); got != want {
				t.Errorf("Scope() = %+v, want %+v", got, want)
			}
		})
	}
	rec, err := f.Vault.Authenticate(f.Ctx, f.B.Test.SecretKey)
	noErr(t, "Authenticate(B's skey_test)", err)
	if rec.AccountID != f.B.ID {
		t.Errorf("Authenticate(B's skey_test).AccountID = %s, want %s", rec.AccountID, f.B.ID)
	}
}

func testAuthenticateGarbage(t *testing.T, f *Fixture) {
	sk := f.A.Test.SecretKey.Reveal()
	for _, tc := range []struct{ name, key string }{
		{"empty", ""},
		{"garbage", "garbage"},
		{"unknown_well_formed", cardvault.NewKey(cardvault.SecretKey, cardvault.Test).Reveal()},
		{"secret_suffix_as_public", "pkey_test_" + strings.TrimPrefix(sk, "skey_test_")},
		{"test_suffix_as_live", "skey_" + strings.TrimPrefix(sk, "skey_test_")},
		{"upper_case", strings.ToUpper(sk)},
		{"truncated", sk[:len(sk)-1]},
		{"trailing_space", sk + " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := f.Vault.Authenticate(f.Ctx, cardvault.NewSecret(tc.key))
			if rec != nil {
				t.Errorf("Authenticate returned a record for account %s", rec.AccountID)
			}
			wantCode(t, "Authenticate", err, cardvault.EUnauthorized, "")
		})
	}
}

func testPing(t *testing.T, f *Fixture) {
	noErr(t, "Ping", f.Store.Ping(f.Ctx))
}
