package keys_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// countReader is fixed "randomness": the bytes 0, 1, 2, … (mod 256).
type countReader struct{ n byte }

func (r *countReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = r.n
		r.n++
	}
	return len(b), nil
}

// katMaster is the known-answer tests' master key: the bytes 0x40…0x5f.
func katMaster() []byte {
	m := make([]byte, keys.KeySize)
	for i := range m {
		m[i] = byte(0x40 + i)
	}
	return m
}

// counted returns the n bytes a countReader yields from position from.
func counted(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

const katPAN = "4242" + "4242" + "4242" + "4242"

// Known answers. A change to any of them changes what stores hold: it needs
// a new scheme or format version and a migration, never an edit here.
const (
	katKEK            = "cd4c0418811e155e5997d3f84a3f5a9314f40469c4935f56f72e1174663f20be"
	katWrappedDataKey = "0200000001202122232425262728292a2bb2017d3d225f37330d84daf885e4a33392ef7986c7419d87f57d45c8e21d9aad72758576dadd320debcf84599962f404"
	katWrappedFPKey   = "02000000014c4d4e4f5051525354555657084a9cbe2bcb8912f809dbd77a879f6d2121ff606da736db9954bed608ad6fad8878bb3970f90a32b6ee6626c8d7a43b"
	katSealedPAN      = "010000000158595a5b5c5d5e5f60616263cf0bb7b98076ea10abdbd67d388f6ead2f01cdd5806fedb743b21e4d300fd8fe"
	katFingerprint    = "iopDDm2/yvfPRBWch75Ow6xu39UcK2pJMVcNGgxidd0="
	katSealedSecret   = "02000000016465666768696a6b6c6d6e6f9b2fb84a682d1102bf8f3d73c5494bd98552b9f80820beb768fc958cfc"
	// katLegacyFingerprint is what the version before the hierarchy
	// computed (sqlite/testdata/v005.json) for katPAN in account
	// acct_0mx37ue3sor72j5t1bm under the master key 0xa0…0xbf.
	katLegacyFingerprint = "Z7WNhLE5nLKbbOTDkoqasUv6DvT7sgaFCmwrbzuSLZ0="
)

// TestKnownAnswers pins every derivation and format: a fixed master key and
// fixed randomness give fixed bytes. Each value is also recomputed here from
// the documented construction with the standard library alone.
func TestKnownAnswers(t *testing.T) {
	master := katMaster()
	k, err := keys.NewWithRand(master, &countReader{})
	if err != nil {
		t.Fatal(err)
	}
	kek, err := keys.DeriveKEK(master)
	if err != nil {
		t.Fatal(err)
	}
	pin(t, "KEK = HKDF-SHA256(master, info cardvault/kek/v1)", hex.EncodeToString(kek), katKEK)
	if want := hkdfSHA256(master, "cardvault/kek/v1"); !bytes.Equal(kek, want) {
		t.Errorf("KEK is not HKDF-SHA256(master, no salt, %q)", "cardvault/kek/v1")
	}

	// Randomness is consumed in order: data key 0–31, its nonce 32–43,
	// fingerprint key 44–75, its nonce 76–87, PAN nonce 88–99, secret nonce 100–111.
	dk := k.NewDataKey("acct_kat", 1)
	pin(t, "wrapped data key", hex.EncodeToString(dk.Wrapped), katWrappedDataKey)
	wantUnwrap(t, "data key", kek, dk.Wrapped, "data-key", "acct_kat", 1, counted(0, 32))
	fk := k.NewFingerprintKey("acct_kat")
	pin(t, "wrapped fingerprint key", hex.EncodeToString(fk.Wrapped), katWrappedFPKey)
	wantUnwrap(t, "fingerprint key", kek, fk.Wrapped, "fingerprint-key", "acct_kat", 1, counted(44, 32))

	sealed, err := k.Seal(dk, "card_kat", []byte(katPAN))
	if err != nil {
		t.Fatal(err)
	}
	pin(t, "sealed PAN", hex.EncodeToString(sealed), katSealedPAN)
	hdr := append([]byte{1}, binary.BigEndian.AppendUint32(nil, 1)...)
	if want := gcmSeal(counted(0, 32), counted(88, 12), []byte(katPAN),
		[]byte("cardvault/data/v1\x00acct_kat\x00card_kat\x001")); !bytes.Equal(sealed, append(append(hdr, counted(88, 12)...), want...)) {
		t.Error("sealed PAN is not format 1 ‖ key version ‖ nonce ‖ AES-256-GCM(data key, PAN, cardvault/data/v1…)")
	}

	fp := fingerprint(t, k, fk, katPAN)
	pin(t, "fingerprint", fp, katFingerprint)
	m := hmac.New(sha256.New, counted(44, 32))
	m.Write([]byte(katPAN))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); fp != want {
		t.Error("fingerprint is not base64(HMAC-SHA256(fingerprint key, PAN))")
	}

	secret := k.SealKey("label_kat", cardvault.NewSecret("skey_test_kat"))
	pin(t, "sealed API secret", hex.EncodeToString(secret), katSealedSecret)
	wantUnwrap(t, "API secret", kek, secret, "api-secret", "label_kat", 1, []byte("skey_test_kat"))

	legacy := make([]byte, keys.KeySize)
	for i := range legacy {
		legacy[i] = byte(0xa0 + i)
	}
	lk, err := keys.New(legacy)
	if err != nil {
		t.Fatal(err)
	}
	pin(t, "legacy fingerprint", lk.LegacyFingerprint("acct_0mx37ue3sor72j5t1bm", cardvault.NewSecret(katPAN)), katLegacyFingerprint)
}

func pin(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s changed:\n got %s\nwant %s", what, got, want)
	}
}

// wantUnwrap opens a SchemeKEK wrapped key with the standard library alone:
// scheme 2 ‖ KEK version 1 ‖ nonce ‖ AES-256-GCM(KEK), associated data
// "cardvault/wrap\0" ‖ header ‖ len ‖ purpose ‖ len ‖ owner ‖ version.
func wantUnwrap(t *testing.T, what string, kek, wrapped []byte, purpose, owner string, version uint32, want []byte) {
	t.Helper()
	if len(wrapped) < 17 || wrapped[0] != keys.SchemeKEK || binary.BigEndian.Uint32(wrapped[1:5]) != 1 {
		t.Fatalf("%s: header % x, want scheme %d and KEK version 1", what, wrapped[:min(5, len(wrapped))], keys.SchemeKEK)
	}
	aad := append([]byte("cardvault/wrap\x00"), wrapped[:5]...)
	for _, s := range []string{purpose, owner} {
		aad = binary.BigEndian.AppendUint32(aad, uint32(len(s)))
		aad = append(aad, s...)
	}
	aad = binary.BigEndian.AppendUint32(aad, version)
	b, _ := aes.NewCipher(kek)
	g, _ := cipher.NewGCM(b)
	got, err := g.Open(nil, wrapped[5:17], wrapped[17:], aad)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s does not open to the expected key by the documented format (%v)", what, err)
	}
}

func gcmSeal(key, nonce, pt, aad []byte) []byte {
	b, _ := aes.NewCipher(key)
	g, _ := cipher.NewGCM(b)
	return g.Seal(nil, nonce, pt, aad)
}

// hkdfSHA256 is RFC 5869 with no salt and one output block, written out.
func hkdfSHA256(secret []byte, info string) []byte {
	ext := hmac.New(sha256.New, make([]byte, sha256.Size))
	ext.Write(secret)
	exp := hmac.New(sha256.New, ext.Sum(nil))
	exp.Write([]byte(info))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}
