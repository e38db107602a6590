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
	return cardvault.DataKey{AccountID: account, Version: version, Wrapped: k.NewDataKey(account, version)}
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
			return k.Open(cardvault.DataKey{AccountID: "acct_b", Version: 1, Wrapped: dk.Wrapped}, "card_1", ct)
		},
	} {
		if pt, err := try(); err == nil {
			t.Errorf("%s: opened to %q", name, pt)
		}
	}
}

func TestFingerprint(t *testing.T) {
	k := mustKeyring(t)
	pan := cardvault.NewSecret("4242424242424242")
	a1, a2 := k.Fingerprint("acct_a", pan), k.Fingerprint("acct_a", pan)
	b := k.Fingerprint("acct_b", pan)
	if len(a1) != 44 || a1 != a2 || a1 == b {
		t.Errorf("fingerprints %q %q %q", a1, a2, b)
	}
	if a1 == k.Fingerprint("acct_a", cardvault.NewSecret("4111111111111111")) {
		t.Error("different PANs share a fingerprint")
	}
	if a1 == mustKeyring(t).Fingerprint("acct_a", pan) {
		t.Error("fingerprint does not depend on the master key")
	}
}

func TestSealKey(t *testing.T) {
	k := mustKeyring(t)
	sk := cardvault.NewSecret("skey_test_abc")
	sealed := k.SealKey("label", sk)
	if bytes.Contains(sealed, []byte("skey_test_abc")) {
		t.Fatal("sealed key in the clear")
	}
	got, err := k.OpenKey("label", sealed)
	if err != nil || !got.Equal(sk) {
		t.Fatalf("OpenKey = %v", err)
	}
	if _, err := k.OpenKey("other", sealed); err == nil {
		t.Error("opened under another label")
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
	pan := cardvault.NewSecret("4242424242424242")
	for b.Loop() {
		k.Fingerprint("acct_a", pan)
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
