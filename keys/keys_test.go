package keys_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

func mustKeyring(t testing.TB) *keys.Keyring {
	t.Helper()
	m := make([]byte, 32)
	rand.Read(m)
	k, err := keys.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func dataKey(k *keys.Keyring, account string, version int) cardvault.DataKey {
	return k.NewDataKey(account, version)
}

func fingerprint(t testing.TB, k *keys.Keyring, fk cardvault.FingerprintKey, pan string) string {
	t.Helper()
	fp, err := k.Fingerprint(fk, cardvault.NewSecret(pan))
	if err != nil {
		t.Fatalf("Fingerprint: %v", err)
	}
	return fp
}

func TestSealOpen(t *testing.T) {
	k := mustKeyring(t)
	dk := dataKey(k, "acct_a", 1)
	pt := []byte("4242424242424242")
	ct, err := k.Seal(dk, "card_1", pt)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, pt) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if v, ok := keys.Version(ct); !ok || v != 1 {
		t.Errorf("Version = %d %v, want 1", v, ok)
	}
	got, err := k.Open(dk, "card_1", ct)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q %v", got, err)
	}
	ct2, _ := k.Seal(dk, "card_1", pt)
	if bytes.Equal(ct, ct2) {
		t.Error("two seals of the same plaintext are equal (nonce reuse)")
	}
	other := dataKey(k, "acct_b", 1)
	tampered := append([]byte(nil), ct...)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"other object":  func() ([]byte, error) { return k.Open(dk, "card_2", ct) },
		"other account": func() ([]byte, error) { return k.Open(other, "card_1", ct) },
		"other version": func() ([]byte, error) { return k.Open(dataKey(k, "acct_a", 2), "card_1", ct) },
		"tampered":      func() ([]byte, error) { return k.Open(dk, "card_1", tampered) },
		"truncated":     func() ([]byte, error) { return k.Open(dk, "card_1", ct[:10]) },
		"other master":  func() ([]byte, error) { return mustKeyring(t).Open(dk, "card_1", ct) },
		"wrapped under other account": func() ([]byte, error) {
			return k.Open(cardvault.DataKey{AccountID: "acct_b", Version: 1, Wrapped: dk.Wrapped, Wrap: dk.Wrap}, "card_1", ct)
		},
	} {
		if pt, err := try(); err == nil {
			t.Errorf("%s: opened to %q", name, pt)
		}
	}
}

func TestFingerprint(t *testing.T) {
	k := mustKeyring(t)
	fa, fb := k.NewFingerprintKey("acct_a"), k.NewFingerprintKey("acct_b")
	const pan = "4242424242424242"
	a1, a2 := fingerprint(t, k, fa, pan), fingerprint(t, k, fa, pan)
	b := fingerprint(t, k, fb, pan)
	if len(a1) != 44 || a1 != a2 || a1 == b {
		t.Errorf("fingerprints %q %q %q", a1, a2, b)
	}
	if a1 == fingerprint(t, k, fa, "4111111111111111") {
		t.Error("different PANs share a fingerprint")
	}
	if fp, err := mustKeyring(t).Fingerprint(fa, cardvault.NewSecret(pan)); err == nil {
		t.Errorf("a keyring with another master key opened the fingerprint key (fingerprint %q)", fp)
	}
	if _, err := k.Fingerprint(cardvault.FingerprintKey{AccountID: "acct_c", Wrapped: fa.Wrapped, Wrap: fa.Wrap},
		cardvault.NewSecret(pan)); err == nil {
		t.Error("account A's wrapped fingerprint key opened as account C's")
	}
}

// TestFingerprintIndependentOfMaster replaces the old property (fingerprints
// derived from the master key): fingerprints depend on the account's random
// fingerprint key alone. Two keyrings with different master keys fed the same
// randomness make the same fingerprint key, wrapped differently, and give the
// same fingerprints: a new master key leaves them as they were.
func TestFingerprintIndependentOfMaster(t *testing.T) {
	m1, m2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	k1, err := keys.NewWithRand(m1, &countReader{})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := keys.NewWithRand(m2, &countReader{})
	if err != nil {
		t.Fatal(err)
	}
	f1, f2 := k1.NewFingerprintKey("acct_a"), k2.NewFingerprintKey("acct_a")
	if bytes.Equal(f1.Wrapped, f2.Wrapped) {
		t.Fatal("two master keys wrapped a fingerprint key to the same bytes")
	}
	if a, b := fingerprint(t, k1, f1, "4242424242424242"), fingerprint(t, k2, f2, "4242424242424242"); a != b {
		t.Errorf("one fingerprint key under two master keys: fingerprints %s and %s", a, b)
	}
	if k1.LegacyFingerprint("acct_a", cardvault.NewSecret("4242424242424242")) ==
		k2.LegacyFingerprint("acct_a", cardvault.NewSecret("4242424242424242")) {
		t.Error("legacy fingerprints did not depend on the master key (the property the hierarchy removes)")
	}
}

func TestSealKey(t *testing.T) {
	k := mustKeyring(t)
	sk := cardvault.NewSecret("skey_test_abc")
	sealed := k.SealKey("label", sk)
	if bytes.Contains(sealed, []byte("skey_test_abc")) {
		t.Fatal("sealed key in the clear")
	}
	if w, ok := keys.WrapOf(sealed); !ok || w != (cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 1}) {
		t.Errorf("WrapOf(sealed) = %+v %v, want scheme %d KEK version 1", w, ok, keys.SchemeKEK)
	}
	got, err := k.OpenKey("label", sealed)
	if err != nil || !got.Equal(sk) {
		t.Fatalf("OpenKey = %v", err)
	}
	if _, err := k.OpenKey("other", sealed); err == nil {
		t.Error("opened under another label")
	}
	if _, err := mustKeyring(t).OpenKey("label", sealed); err == nil {
		t.Error("opened under another master key")
	}
}

func TestParseMasterKey(t *testing.T) {
	good := keys.GenerateMasterKey()
	if _, err := keys.ParseMasterKey(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "abc", good[:20], good + good, "!!!!"} {
		_, err := keys.ParseMasterKey(bad)
		if err == nil {
			t.Errorf("ParseMasterKey(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error echoes the input")
		}
	}
	if _, err := keys.New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}

func BenchmarkSeal(b *testing.B) {
	k := mustKeyring(b)
	dk := dataKey(k, "acct_a", 1)
	pt := []byte("4242424242424242")
	for b.Loop() {
		if _, err := k.Seal(dk, "card_1", pt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	k := mustKeyring(b)
	fk := k.NewFingerprintKey("acct_a")
	pan := cardvault.NewSecret("4242424242424242")
	for b.Loop() {
		if _, err := k.Fingerprint(fk, pan); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheck(t *testing.T) {
	k := mustKeyring(t)
	dk := dataKey(k, "acct_a", 1)
	if err := k.Check(dk); err != nil {
		t.Errorf("Check with the right master key: %v", err)
	}
	if err := mustKeyring(t).Check(dk); err == nil {
		t.Error("Check with another master key passed")
	}
}
