package keys_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// TestMasterCheckKAT pins the check value's derivation: a change would make
// every store refuse its master key.
func TestMasterCheckKAT(t *testing.T) {
	k, err := keys.New(bytes.Repeat([]byte{7}, keys.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	// HKDF-SHA256(32 × 0x07, no salt, "cardvault/kek-check/v1"), computed independently.
	const want = "af166f93ecfcd6ec6dc61d8e39a620efdaa6df0bc4373d16d304a02eb7d467f0"
	if got := hex.EncodeToString(k.MasterCheck()); got != want {
		t.Errorf("MasterCheck = %s, want %s", got, want)
	}
	if !k.Matches(cardvault.KEK{Check: k.MasterCheck()}) || mustKeyring(t).Matches(cardvault.KEK{Check: k.MasterCheck()}) {
		t.Error("Matches does not tell master keys apart")
	}
}

// rotation returns the keyring of the current master key (KEK version 1),
// of the new one (version 2), and version 2's record wrapped under 1.
func rotation(t *testing.T) (old, next *keys.Keyring, rec cardvault.KEK) {
	old, next = mustKeyring(t), mustKeyring(t)
	next.SetVersion(2)
	return old, next, old.WrapKEK(next, 2)
}

// TestRotationKEKs: an old keyring that learns the new KEK from its record
// opens what the new master key wraps, and wraps new keys so that the new
// master key alone opens them.
func TestRotationKEKs(t *testing.T) {
	old, next, rec := rotation(t)
	if rec.Version != 2 || rec.WrappedBy != 1 || !next.Matches(rec) || old.Matches(rec) {
		t.Fatalf("WrapKEK record: version %d by %d", rec.Version, rec.WrappedBy)
	}
	byNext := next.NewDataKey("acct_a", 1)
	if byNext.Wrap.KEKVersion != 2 {
		t.Fatalf("new keyring wraps under KEK version %d, want 2", byNext.Wrap.KEKVersion)
	}
	if _, err := old.Seal(byNext, "card_1", []byte("x")); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("old keyring opened a key wrapped under KEK 2 before learning it: %v", err)
	}
	if err := old.AddKEK(rec); err != nil {
		t.Fatalf("AddKEK: %v", err)
	}
	if old.KEKVersion() != 2 || old.OwnVersion() != 1 {
		t.Errorf("after AddKEK: wraps under %d, own %d; want 2, 1", old.KEKVersion(), old.OwnVersion())
	}
	ct, err := old.Seal(byNext, "card_1", []byte("payload"))
	if err != nil {
		t.Fatalf("old keyring, key wrapped under KEK 2: %v", err)
	}
	if pt, err := next.Open(byNext, "card_1", ct); err != nil || string(pt) != "payload" {
		t.Errorf("Open under the new keyring = %q, %v", pt, err)
	}
	byOld := old.NewDataKey("acct_b", 1)
	if byOld.Wrap.KEKVersion != 2 {
		t.Errorf("old keyring wraps new keys under KEK %d after learning 2", byOld.Wrap.KEKVersion)
	}
	if _, err := next.Seal(byOld, "card_2", []byte("x")); err != nil {
		t.Errorf("new keyring, key the old one wrapped after learning KEK 2: %v", err)
	}
	// Re-wrapping (what rotate-master does) moves a key from KEK 1 to 2.
	o, n, r := rotation(t)
	dk := o.NewDataKey("acct_c", 1)
	if err := o.AddKEK(r); err != nil {
		t.Fatal(err)
	}
	up, err := o.UpgradeDataKey(dk)
	if err != nil || up.Wrap.KEKVersion != 2 {
		t.Fatalf("UpgradeDataKey from KEK 1: %+v, %v", up.Wrap, err)
	}
	if err := n.Check(dk); err == nil {
		t.Error("the new master key alone opens a key still under KEK 1")
	}
	if err := n.Check(up); err != nil {
		t.Errorf("the new master key alone does not open a re-wrapped key: %v", err)
	}
}

// TestAddKEKRefuses: a record altered, or wrapped under a KEK the keyring
// cannot reach, teaches nothing.
func TestAddKEKRefuses(t *testing.T) {
	old, _, rec := rotation(t)
	bad := map[string]cardvault.KEK{
		"other version":    {Version: 3, Check: rec.Check, Wrapped: rec.Wrapped, WrappedBy: 1},
		"other wrapped by": {Version: 2, Check: rec.Check, Wrapped: rec.Wrapped, WrappedBy: 0},
		"flipped":          {Version: 2, Check: rec.Check, Wrapped: flip(rec.Wrapped, 20), WrappedBy: 1},
		"no wrapped KEK":   {Version: 2, Check: rec.Check},
	}
	for name, r := range bad {
		if err := old.AddKEK(r); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("%s: AddKEK = %v, want ErrOpen", name, err)
		}
	}
	if old.KEKVersion() != 1 {
		t.Errorf("refused records moved the wrapping KEK to %d", old.KEKVersion())
	}
	if err := mustKeyring(t).AddKEK(rec); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("AddKEK by a keyring of a third master key = %v, want ErrOpen", err)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

// TestKEKSource: a keyring meeting a key wrapped under a KEK it does not hold
// asks its source for that version's record.
func TestKEKSource(t *testing.T) {
	old, next, rec := rotation(t)
	fk := next.NewFingerprintKey("acct_a")
	calls := 0
	old.SetSource(func(v int) (cardvault.KEK, error) {
		calls++
		if v != 2 {
			return cardvault.KEK{}, keys.ErrUnknownKEK
		}
		return rec, nil
	})
	pan := cardvault.NewSecret("4242424242424242")
	a, err := old.Fingerprint(fk, pan)
	if err != nil {
		t.Fatalf("Fingerprint through the source: %v", err)
	}
	if b, err := next.Fingerprint(fk, pan); err != nil || a != b {
		t.Errorf("fingerprints differ between the keyrings: %s, %s (%v)", a, b, err)
	}
	byNext := next.NewDataKey("acct_a", 1)
	if _, err := old.Seal(byNext, "card_1", []byte("x")); err != nil || calls != 1 {
		t.Errorf("second key under KEK 2: %v after %d source calls, want nil after 1", err, calls)
	}
	far := cardvault.DataKey{AccountID: "acct_z", Version: 1, Wrapped: flipHeader(byNext.Wrapped, 3), Wrap: cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: 3}}
	if _, err := old.Seal(far, "card_1", []byte("x")); !errors.Is(err, keys.ErrOpen) {
		t.Errorf("key under an unknown KEK version: %v, want ErrOpen", err)
	}
}

// flipHeader returns wrapped with its header's KEK version set to v.
func flipHeader(b []byte, v byte) []byte {
	c := append([]byte(nil), b...)
	c[4] = v
	return c
}
