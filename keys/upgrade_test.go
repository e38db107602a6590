package keys_test

import (
	"bytes"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// TestWrapBindings: a wrapped key opens only as what it was wrapped for.
func TestWrapBindings(t *testing.T) {
	k := mustKeyring(t)
	dk := k.NewDataKey("acct_a", 1)
	if dk.Wrap != (cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 1}) || k.KEKVersion() != 1 {
		t.Fatalf("NewDataKey wrap %+v, keyring KEK version %d; want scheme %d version 1", dk.Wrap, k.KEKVersion(), keys.SchemeKEK)
	}
	fk := k.NewFingerprintKey("acct_a")
	withWrapped := func(b []byte) cardvault.DataKey {
		return cardvault.DataKey{AccountID: "acct_a", Version: 1, Wrapped: b, Wrap: dk.Wrap}
	}
	header := append([]byte(nil), dk.Wrapped...)
	header[4] = 2 // KEK version 2 in the header, 1 in the record
	for name, try := range map[string]cardvault.DataKey{
		"fingerprint key as data key": withWrapped(fk.Wrapped),
		"other version":               {AccountID: "acct_a", Version: 2, Wrapped: dk.Wrapped, Wrap: dk.Wrap},
		"record says legacy":          {AccountID: "acct_a", Version: 1, Wrapped: dk.Wrapped, Wrap: cardvault.Wrap{Scheme: keys.SchemeLegacy}},
		"record says KEK version 2":   {AccountID: "acct_a", Version: 1, Wrapped: dk.Wrapped, Wrap: cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 2}},
		"header altered":              withWrapped(header),
		"truncated":                   withWrapped(dk.Wrapped[:20]),
		"secret sealed for acct_a":    withWrapped(k.SealKey("acct_a", cardvault.NewSecret("skey_test_x"))),
	} {
		if _, err := k.Seal(try, "card_1", []byte("x")); err == nil {
			t.Errorf("%s: opened as a data key", name)
		}
	}
	if _, err := k.Fingerprint(cardvault.FingerprintKey{AccountID: "acct_a", Wrapped: dk.Wrapped, Wrap: dk.Wrap},
		cardvault.NewSecret("4242424242424242")); err == nil {
		t.Error("data key opened as a fingerprint key")
	}
	if _, err := k.OpenKey("acct_a", fk.Wrapped); err == nil {
		t.Error("fingerprint key opened as an API secret")
	}
}

// TestUpgrade: keys of a store written before the hierarchy (wrapped under the
// master key itself; fingerprint keys derived from it) come forward under the
// KEK, open the data sealed before, and keep every fingerprint.
func TestUpgrade(t *testing.T) {
	master := bytes.Repeat([]byte{7}, keys.KeySize)
	k, err := keys.New(master)
	if err != nil {
		t.Fatal(err)
	}
	old := k.LegacyDataKey("acct_a", 1)
	if err := k.Check(old); err != nil {
		t.Fatalf("Check(legacy data key) with the right master key: %v", err)
	}
	if err := mustKeyring(t).Check(old); err == nil {
		t.Error("Check(legacy data key) with another master key passed")
	}
	if _, err := k.Seal(old, "card_1", []byte("x")); err == nil {
		t.Error("Seal under a legacy data key: the master key encrypted something")
	}
	up, err := k.UpgradeDataKey(old)
	if err != nil {
		t.Fatalf("UpgradeDataKey: %v", err)
	}
	if up.Wrap != (cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 1}) || bytes.Equal(up.Wrapped, old.Wrapped) {
		t.Fatalf("upgraded data key: wrap %+v", up.Wrap)
	}
	// The same data key: what the upgraded one seals, a second upgrade of the
	// legacy one opens.
	ct, err := k.Seal(up, "card_1", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := keys.New(master)
	up2, err := k2.UpgradeDataKey(old)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := k2.Open(up2, "card_1", ct); err != nil || string(pt) != "payload" {
		t.Errorf("Open after a second upgrade = %q, %v", pt, err)
	}
	if again, err := k.UpgradeDataKey(up); err != nil || again.Wrap != up.Wrap {
		t.Errorf("UpgradeDataKey(current key) = %+v, %v", again.Wrap, err)
	}
	if _, err := mustKeyring(t).UpgradeDataKey(old); err == nil {
		t.Error("UpgradeDataKey with another master key succeeded")
	}

	const label = "label"
	sk := cardvault.NewSecret("skey_test_abc")
	sealed, err := k.UpgradeSecret(label, k.LegacySealKey(label, sk), cardvault.Wrap{Scheme: keys.SchemeLegacy})
	if err != nil {
		t.Fatalf("UpgradeSecret: %v", err)
	}
	if got, err := k.OpenKey(label, sealed); err != nil || !got.Equal(sk) {
		t.Errorf("OpenKey(upgraded secret): %v", err)
	}
	// A record still marked legacy whose secret was sealed anew.
	if _, err := k.UpgradeSecret(label, k.SealKey(label, sk), cardvault.Wrap{Scheme: keys.SchemeLegacy}); err != nil {
		t.Errorf("UpgradeSecret(current seal, record says legacy): %v", err)
	}
	if _, err := k.UpgradeSecret("other", k.LegacySealKey(label, sk), cardvault.Wrap{Scheme: keys.SchemeLegacy}); err == nil {
		t.Error("UpgradeSecret under another label succeeded")
	}

	pan := cardvault.NewSecret("4242424242424242")
	fk, err := k.UpgradeFingerprintKey(cardvault.FingerprintKey{AccountID: "acct_a"})
	if err != nil {
		t.Fatalf("UpgradeFingerprintKey(none stored): %v", err)
	}
	if got, want := fingerprint(t, k, fk, pan.Reveal()), k.LegacyFingerprint("acct_a", pan); got != want {
		t.Errorf("fingerprint after the upgrade %s, before %s", got, want)
	}
	if again, err := k.UpgradeFingerprintKey(fk); err != nil || fingerprint(t, k, again, pan.Reveal()) != k.LegacyFingerprint("acct_a", pan) {
		t.Errorf("UpgradeFingerprintKey(stored key) changed the fingerprint (%v)", err)
	}
}

// TestForgetLegacy: once the store is upgraded the keyring drops the
// master-key material: legacy keys no longer open, current ones do.
func TestForgetLegacy(t *testing.T) {
	k := mustKeyring(t)
	old, cur := k.LegacyDataKey("acct_a", 1), k.NewDataKey("acct_a", 2)
	k.ForgetLegacy()
	if err := k.Check(old); err == nil {
		t.Error("Check(legacy data key) after ForgetLegacy passed")
	}
	if _, err := k.UpgradeDataKey(old); err == nil {
		t.Error("UpgradeDataKey(legacy) after ForgetLegacy succeeded")
	}
	if _, err := k.UpgradeFingerprintKey(cardvault.FingerprintKey{AccountID: "acct_a"}); err == nil {
		t.Error("UpgradeFingerprintKey(none stored) after ForgetLegacy succeeded")
	}
	if err := k.Check(cur); err != nil {
		t.Errorf("Check(current data key) after ForgetLegacy: %v", err)
	}
	if _, err := k.UpgradeDataKey(cur); err != nil {
		t.Errorf("UpgradeDataKey(current) after ForgetLegacy: %v", err)
	}
}
