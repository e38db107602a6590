// Package keys is cardvault's key custody. A Keyring holds the key-encryption
// key (KEK) derived from the master key, and the data and fingerprint keys it
// unwraps, and never hands any of them out: callers ask it to seal, open and
// fingerprint.
//
// Hierarchy (docs/DESIGN.md, "Data and encryption"):
//
//	master key ──HKDF-SHA256("cardvault/kek/v1")──▶ KEK (version n)
//	KEK wraps, per account: data keys (random, versioned) and one fingerprint key (random)
//	KEK wraps, per public API key: its pair's secret key
//	data key seals card data; fingerprint key is the HMAC key of fingerprints
//
// The master key itself encrypts nothing. Every wrapped key records its
// wrapping scheme and KEK version, and its associated data binds the header,
// the key's purpose, its owner (account id or API-key label) and its version,
// so a wrapped key copied to another row, account or purpose does not open.
// Fingerprint keys are random, not derived from the master key, so that a
// new master key leaves every fingerprint as it was.
//
// Card data is sealed with a data key; its associated data binds the
// ciphertext to its account, object id and key version. Every ciphertext
// records its key version, so keys can rotate without a format change.
package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cardvault/cardvault"
)

// KeySize is the size of the master key, the KEK, data keys and fingerprint keys.
const KeySize = 32

// Wrapping schemes, recorded with every stored wrapped key (cardvault.Wrap.Scheme).
const (
	// SchemeLegacy is how stores written before the key hierarchy wrapped data
	// keys and API secrets: nonce ‖ AES-256-GCM under the master key itself.
	// Only the upgrade (UpgradeDataKey, UpgradeSecret) opens it.
	SchemeLegacy = 1
	// SchemeKEK is the current scheme: scheme byte ‖ KEK version (4 bytes,
	// big-endian) ‖ nonce (12) ‖ AES-256-GCM under the KEK of that version.
	SchemeKEK = 2
)

// kekInfo labels the KEK's derivation from the master key. Its version
// changes only if the derivation itself does; which master key a KEK comes
// from is its KEK version, recorded with every key it wraps.
const kekInfo = "cardvault/kek/v1"

// checkInfo labels the derivation of a master key's check value
// (MasterCheck) from the master key.
const checkInfo = "cardvault/kek-check/v1"

// firstKEKVersion is the KEK version of a store's first master key.
const firstKEKVersion = 1

// fingerprintKeyVersion is the version bound into a fingerprint key's
// wrapping: an account keeps one fingerprint key for life, because a new one
// would change every fingerprint.
const fingerprintKeyVersion = 1

// Purposes bound into a wrapped key's associated data.
const (
	purposeDataKey        = "data-key"
	purposeFingerprintKey = "fingerprint-key"
	purposeAPISecret      = "api-secret"
)

const formatV1 = 1

// headerSize is format byte + key version + nonce (sealed card data).
const headerSize = 1 + 4 + 12

// wrapHeaderSize is scheme byte + KEK version + nonce (SchemeKEK).
const wrapHeaderSize = 1 + 4 + 12

// ErrOpen is returned when a ciphertext or wrapped key does not open: wrong
// key, wrong binding, or tampering. It carries no detail on purpose.
var ErrOpen = errors.New("keys: ciphertext does not open")

// Keyring seals and opens data under an account's data keys.
type Keyring struct {
	kekRaw []byte                 // the KEK derived from this keyring's master key (version own)
	check  []byte                 // MasterCheck
	legacy atomic.Pointer[legacy] // nil once ForgetLegacy has run
	rand   io.Reader              // crypto/rand, or fixed bytes in known-answer tests
	source atomic.Pointer[KEKSource]

	mu          sync.RWMutex
	own         int                    // the KEK version of this keyring's master key
	wrapVersion int                    // the KEK version new wrappings use: the newest known
	keks        map[int]cipher.AEAD    // KEK version → KEK: own, and newer ones learned from the store
	deks        map[string]cipher.AEAD // accountID + "/" + version → unwrapped data key
	fps         map[string][]byte      // accountID → unwrapped fingerprint key
}

// KEKSource returns the stored record of a KEK version (vault sets it: the
// store's KEKs), so that a keyring meeting a key wrapped under a newer KEK
// than it holds — one a rotation wrapped anew — can learn that KEK from its
// record, wrapped under a KEK it holds (AddKEK).
type KEKSource func(version int) (cardvault.KEK, error)

// legacy is the master-key material of stores written before the hierarchy,
// used only to bring their keys forward: the master key as an AES-GCM key
// (it wrapped data keys and API secrets) and the root that fingerprint keys
// were derived from.
type legacy struct {
	wrap   cipher.AEAD
	fpRoot []byte
}

// New returns a keyring for a 32-byte master key. The caller should wipe its copy.
func New(master []byte) (*Keyring, error) {
	return newKeyring(master, rand.Reader)
}

func newKeyring(master []byte, r io.Reader) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, errors.New("keys: master key must be 32 bytes")
	}
	raw, err := deriveKEK(master)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	kek, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	lw, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	fpRoot, err := hkdf.Key(sha256.New, master, nil, "cardvault/fingerprint-root/v1", KeySize)
	if err != nil {
		return nil, err
	}
	check, err := hkdf.Key(sha256.New, master, nil, checkInfo, KeySize)
	if err != nil {
		return nil, err
	}
	k := &Keyring{kekRaw: append([]byte(nil), raw...), check: check, own: firstKEKVersion, wrapVersion: firstKEKVersion,
		keks: map[int]cipher.AEAD{firstKEKVersion: kek}, rand: r, deks: map[string]cipher.AEAD{}, fps: map[string][]byte{}}
	k.legacy.Store(&legacy{wrap: lw, fpRoot: fpRoot})
	return k, nil
}

// deriveKEK returns HKDF-SHA256(master, no salt, kekInfo).
func deriveKEK(master []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, kekInfo, KeySize)
}

// KEKVersion is the version of the KEK this keyring wraps new keys under:
// the newest it knows.
func (k *Keyring) KEKVersion() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.wrapVersion
}

// ParseMasterKey decodes a base64 (standard or URL, padded or not) master key.
// Its error never contains the input.
func ParseMasterKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, errors.New("keys: master key must be base64 of exactly 32 bytes")
}

// GenerateMasterKey returns a new random master key, base64-encoded.
func GenerateMasterKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

// NewDataKey creates a random data key for an account and returns it wrapped
// under the KEK (CreatedAt is left to the caller).
func (k *Keyring) NewDataKey(accountID string, version int) cardvault.DataKey {
	dek := k.random(KeySize)
	defer clear(dek)
	wrapped, w := k.wrap(dek, purposeDataKey, accountID, version)
	return cardvault.DataKey{AccountID: accountID, Version: version, Wrapped: wrapped, Wrap: w}
}

// NewFingerprintKey creates an account's random fingerprint key and returns
// it wrapped under the KEK (CreatedAt is left to the caller).
func (k *Keyring) NewFingerprintKey(accountID string) cardvault.FingerprintKey {
	fk := k.random(KeySize)
	defer clear(fk)
	wrapped, w := k.wrap(fk, purposeFingerprintKey, accountID, fingerprintKeyVersion)
	return cardvault.FingerprintKey{AccountID: accountID, Wrapped: wrapped, Wrap: w}
}

// Check reports whether the master key opens a wrapped data key, under
// whichever scheme wraps it. A key under the current scheme is cached like
// any other use.
func (k *Keyring) Check(dk cardvault.DataKey) error {
	if dk.Wrap.Scheme == SchemeLegacy {
		raw, err := k.openLegacy(dk.Wrapped, legacyDEKAAD(dk.AccountID, dk.Version))
		clear(raw)
		return err
	}
	_, err := k.dataKey(dk)
	return err
}

// Seal encrypts plaintext for objectID under the data key dk.
func (k *Keyring) Seal(dk cardvault.DataKey, objectID string, plaintext []byte) ([]byte, error) {
	aead, err := k.dataKey(dk)
	if err != nil {
		return nil, err
	}
	out := make([]byte, headerSize, headerSize+len(plaintext)+aead.Overhead())
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:5], uint32(dk.Version))
	k.read(out[5:headerSize])
	return aead.Seal(out, out[5:headerSize], plaintext, dataAAD(dk, objectID)), nil
}

// Open decrypts a ciphertext sealed for objectID under dk.
func (k *Keyring) Open(dk cardvault.DataKey, objectID string, ct []byte) ([]byte, error) {
	if v, ok := Version(ct); !ok || v != dk.Version {
		return nil, ErrOpen
	}
	aead, err := k.dataKey(dk)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, ct[5:headerSize], ct[headerSize:], dataAAD(dk, objectID))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Version returns the data-key version recorded in a ciphertext.
func Version(ct []byte) (int, bool) {
	if len(ct) < headerSize+16 || ct[0] != formatV1 {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(ct[1:5])), true
}

// Fingerprint returns base64(HMAC-SHA256(fingerprint key, pan)), 44
// characters, under the account's fingerprint key fk.
func (k *Keyring) Fingerprint(fk cardvault.FingerprintKey, pan cardvault.Secret) (string, error) {
	key, err := k.fingerprintKey(fk)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pan.Reveal()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// SealKey wraps an API secret key under the KEK, bound to label. The sealed
// bytes say how they are wrapped (WrapOf).
func (k *Keyring) SealKey(label string, key cardvault.Secret) []byte {
	sealed, _ := k.wrap([]byte(key.Reveal()), purposeAPISecret, label, 1)
	return sealed
}

// OpenKey opens an API secret key sealed by SealKey.
func (k *Keyring) OpenKey(label string, sealed []byte) (cardvault.Secret, error) {
	w, ok := WrapOf(sealed)
	if !ok {
		return cardvault.Secret{}, ErrOpen
	}
	pt, err := k.unwrap(sealed, w, purposeAPISecret, label, 1)
	if err != nil {
		return cardvault.Secret{}, err
	}
	defer clear(pt)
	return cardvault.NewSecret(string(pt)), nil
}

// WrapOf returns the scheme and KEK version that a key wrapped under the
// current scheme records in its header. A legacy wrapped key has no header:
// only the record stored with it tells it apart.
func WrapOf(wrapped []byte) (cardvault.Wrap, bool) {
	if len(wrapped) < wrapHeaderSize+16 || wrapped[0] != SchemeKEK {
		return cardvault.Wrap{}, false
	}
	return cardvault.Wrap{Scheme: SchemeKEK, KEKVersion: int(binary.BigEndian.Uint32(wrapped[1:5]))}, true
}

func (k *Keyring) dataKey(dk cardvault.DataKey) (cipher.AEAD, error) {
	id := dk.AccountID + "/" + strconv.Itoa(dk.Version)
	k.mu.RLock()
	aead := k.deks[id]
	k.mu.RUnlock()
	if aead != nil {
		return aead, nil
	}
	raw, err := k.unwrap(dk.Wrapped, dk.Wrap, purposeDataKey, dk.AccountID, dk.Version)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	if aead, err = newGCM(raw); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.deks[id] = aead
	k.mu.Unlock()
	return aead, nil
}

func (k *Keyring) fingerprintKey(fk cardvault.FingerprintKey) ([]byte, error) {
	k.mu.RLock()
	key := k.fps[fk.AccountID]
	k.mu.RUnlock()
	if key != nil {
		return key, nil
	}
	key, err := k.unwrap(fk.Wrapped, fk.Wrap, purposeFingerprintKey, fk.AccountID, fingerprintKeyVersion)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.fps[fk.AccountID] = key
	k.mu.Unlock()
	return key, nil
}

// wrap seals key material under the KEK (SchemeKEK) for purpose, owner and
// version.
func (k *Keyring) wrap(key []byte, purpose, owner string, version int) ([]byte, cardvault.Wrap) {
	k.mu.RLock()
	v := k.wrapVersion
	kek := k.keks[v]
	k.mu.RUnlock()
	out := make([]byte, wrapHeaderSize, wrapHeaderSize+len(key)+kek.Overhead())
	out[0] = SchemeKEK
	binary.BigEndian.PutUint32(out[1:5], uint32(v))
	k.read(out[5:wrapHeaderSize])
	out = kek.Seal(out, out[5:wrapHeaderSize], key, wrapAAD(out[:5], purpose, owner, version))
	return out, cardvault.Wrap{Scheme: SchemeKEK, KEKVersion: v}
}

// unwrap opens key material wrapped by wrap. The scheme and KEK version that
// the store records must agree with the header.
func (k *Keyring) unwrap(wrapped []byte, w cardvault.Wrap, purpose, owner string, version int) ([]byte, error) {
	if w.Scheme != SchemeKEK || len(wrapped) < wrapHeaderSize+16 ||
		wrapped[0] != SchemeKEK || binary.BigEndian.Uint32(wrapped[1:5]) != uint32(w.KEKVersion) {
		return nil, ErrOpen
	}
	kek, err := k.kekFor(w.KEKVersion, maxKEKChain)
	if err != nil {
		return nil, err
	}
	pt, err := kek.Open(nil, wrapped[5:wrapHeaderSize], wrapped[wrapHeaderSize:], wrapAAD(wrapped[:5], purpose, owner, version))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// wrapAAD is a wrapped key's associated data: a label, the 5 header bytes
// (scheme, KEK version), then purpose and owner, each with its length, and
// the key's version.
func wrapAAD(header []byte, purpose, owner string, version int) []byte {
	b := append([]byte("cardvault/wrap\x00"), header...)
	for _, s := range []string{purpose, owner} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return binary.BigEndian.AppendUint32(b, uint32(version))
}

func dataAAD(dk cardvault.DataKey, objectID string) []byte {
	return []byte("cardvault/data/v1\x00" + dk.AccountID + "\x00" + objectID + "\x00" + strconv.Itoa(dk.Version))
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// random returns n bytes from the keyring's source of randomness.
func (k *Keyring) random(n int) []byte {
	b := make([]byte, n)
	k.read(b)
	return b
}

func (k *Keyring) read(b []byte) {
	if _, err := io.ReadFull(k.rand, b); err != nil {
		panic("keys: reading randomness: " + err.Error()) // crypto/rand never fails (Go 1.24+)
	}
}
