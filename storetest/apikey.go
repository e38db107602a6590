package storetest

import (
	"testing"

	"github.com/cardvault/cardvault"
)

var apiKeyTests = []subtest{
	{"APIKeys", testAPIKeys},
	{"APIKeysUnknownAccount", testAPIKeysUnknownAccount},
	{"ReissueSecretKey", testReissueSecretKey},
	{"ReplaceSecretKeyStaleSeals", testReplaceSecretKeyStaleSeals},
	{"ReplaceSecretKeyUnknownAccount", testReplaceSecretKeyUnknownAccount},
}

// testAPIKeys: an account's four keys, by hash, mode and kind; no other account's.
func testAPIKeys(t *testing.T, f *Fixture) {
	got, err := f.Store.APIKeys(f.Ctx, f.A.ID)
	noErr(t, "APIKeys", err)
	want := map[[32]byte]presentedKey{}
	for _, k := range fourKeys(f) {
		want[cardvault.HashKey(k.key)] = k
	}
	if len(got) != len(want) {
		t.Fatalf("APIKeys(A) = %d records, want %d", len(got), len(want))
	}
	for _, rec := range got {
		k, ok := want[rec.Hash]
		if !ok {
			t.Errorf("APIKeys(A) holds a key that is not A's")
			continue
		}
		delete(want, rec.Hash)
		if rec.AccountID != f.A.ID || rec.Mode != k.mode || rec.Kind != k.kind || !rec.CreatedAt.Equal(ms(Epoch)) {
			t.Errorf("%s: record {%s mode %v kind %d %v}, want {%s mode %v kind %d %v}", k.name,
				rec.AccountID, rec.Mode, rec.Kind, rec.CreatedAt, f.A.ID, k.mode, k.kind, ms(Epoch))
		}
		if (k.kind == cardvault.PublicKey) != (len(rec.SealedSecret) > 0) {
			t.Errorf("%s: sealed secret of %d bytes", k.name, len(rec.SealedSecret))
		}
	}
}

func testAPIKeysUnknownAccount(t *testing.T, f *Fixture) {
	_, err := f.Store.APIKeys(f.Ctx, "acct_nosuchaccount")
	wantNotFound(t, "APIKeys(unknown account)", err, "account")
}

// testReissueSecretKey: the new secret key authenticates, the old one does
// not, the pair's public key opens to the new secret, and the other mode and
// the other account are untouched.
func testReissueSecretKey(t *testing.T, f *Fixture) {
	sk, err := f.Vault.ReissueSecretKey(f.Ctx, f.A.ID, cardvault.Test)
	noErr(t, "ReissueSecretKey", err)
	if sk.Equal(f.A.Test.SecretKey) {
		t.Fatal("the reissued secret key equals the old one")
	}
	rec, err := f.Vault.Authenticate(f.Ctx, sk)
	noErr(t, "Authenticate(new secret key)", err)
	if rec.AccountID != f.A.ID || rec.Mode != cardvault.Test || rec.Kind != cardvault.SecretKey {
		t.Errorf("new secret key authenticates as {%s %v %d}", rec.AccountID, rec.Mode, rec.Kind)
	}
	_, err = f.Vault.Authenticate(f.Ctx, f.A.Test.SecretKey)
	wantCode(t, "Authenticate(old secret key)", err, cardvault.EUnauthorized, "")
	pub, err := f.Store.APIKey(f.Ctx, cardvault.HashKey(f.A.Test.PublicKey))
	noErr(t, "APIKey(public)", err)
	opened, err := f.Vault.SecretKeyOf(pub)
	noErr(t, "SecretKeyOf", err)
	if !opened.Equal(sk) {
		t.Error("the public key's sealed secret is not the new secret key")
	}
	for _, k := range []cardvault.Secret{f.A.Live.SecretKey, f.A.Live.PublicKey, f.A.Test.PublicKey, f.B.Test.SecretKey} {
		if _, err := f.Vault.Authenticate(f.Ctx, k); err != nil {
			t.Errorf("a key of another mode or account stopped working: %v", err)
		}
	}
	keys, err := f.Store.APIKeys(f.Ctx, f.A.ID)
	noErr(t, "APIKeys", err)
	if len(keys) != 4 {
		t.Errorf("account A has %d keys after the reissue, want 4", len(keys))
	}
}

// testReplaceSecretKeyStaleSeals: seals that do not name exactly the mode's
// public keys are refused with EConflict and change nothing.
func testReplaceSecretKeyStaleSeals(t *testing.T, f *Fixture) {
	sk := cardvault.NewKey(cardvault.SecretKey, cardvault.Test)
	rec := cardvault.APIKey{Hash: cardvault.HashKey(sk), AccountID: f.A.ID, Mode: cardvault.Test,
		Kind: cardvault.SecretKey, CreatedAt: f.Clock.Now()}
	pubTest, pubLive := cardvault.HashKey(f.A.Test.PublicKey), cardvault.HashKey(f.A.Live.PublicKey)
	for name, sealed := range map[string]map[[32]byte][]byte{
		"none":            {},
		"another mode's":  {pubLive: []byte("x")},
		"one too many":    {pubTest: []byte("x"), pubLive: []byte("x")},
		"an unknown hash": {{1}: []byte("x")},
	} {
		err := f.Store.ReplaceSecretKey(f.Ctx, rec, sealed)
		wantCode(t, "ReplaceSecretKey("+name+")", err, cardvault.EConflict, "")
	}
	if _, err := f.Vault.Authenticate(f.Ctx, f.A.Test.SecretKey); err != nil {
		t.Errorf("a refused replacement disabled the old secret key: %v", err)
	}
	if _, err := f.Vault.Authenticate(f.Ctx, sk); err == nil {
		t.Error("a refused replacement stored the new secret key")
	}
}

func testReplaceSecretKeyUnknownAccount(t *testing.T, f *Fixture) {
	_, err := f.Vault.ReissueSecretKey(f.Ctx, "acct_nosuchaccount", cardvault.Live)
	wantNotFound(t, "ReissueSecretKey(unknown account)", err, "account")
}
