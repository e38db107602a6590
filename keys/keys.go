// Package keys is cardvault's key custody. A Keyring holds the master key (the
// key-encryption key) and the data keys it unwraps, and never hands either out:
// callers ask it to seal, open and fingerprint.
//
// Envelope: each account has data keys (random AES-256 keys) stored wrapped by
// the master key with AES-256-GCM. Card data is sealed with a data key; the
// associated data binds the ciphertext to its account, object id and key
// version, so a ciphertext copied to another row or account does not open.
// Every ciphertext records its key version, so keys can rotate without a format
// change.
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
	"strconv"
	"sync"

	"github.com/cardvault/cardvault"
)

// KeySize is the size of the master key and of data keys.
const KeySize = 32

const formatV1 = 1

// headerSize is format byte + key version + nonce.
const headerSize = 1 + 4 + 12

// ErrOpen is returned when a ciphertext does not open: wrong key, wrong
// binding, or tampering. It carries no detail on purpose.
var ErrOpen = errors.New("keys: ciphertext does not open")

// Keyring seals and opens data under an account's data keys.
type Keyring struct {
	kek    cipher.AEAD
	fpRoot []byte

	mu   sync.RWMutex
	deks map[string]cipher.AEAD // accountID + "/" + version → unwrapped data key
	fps  map[string][]byte      // accountID → fingerprint key
}

// New returns a keyring for a 32-byte master key. The caller should wipe its copy.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, errors.New("keys: master key must be 32 bytes")
	}
	kek, err := newGCM(master)
	if err != nil {
		return nil, err
	}
	fpRoot, err := hkdf.Key(sha256.New, master, nil, "cardvault/fingerprint-root/v1", KeySize)
	if err != nil {
		return nil, err
	}
	return &Keyring{kek: kek, fpRoot: fpRoot, deks: map[string]cipher.AEAD{}, fps: map[string][]byte{}}, nil
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
	return base64.StdEncoding.EncodeToString(random(KeySize))
}

// NewDataKey creates a data key for an account and returns it wrapped.
func (k *Keyring) NewDataKey(accountID string, version int) []byte {
	dek := random(KeySize)
	nonce := random(k.kek.NonceSize())
	return k.kek.Seal(nonce, nonce, dek, dekAAD(accountID, version))
}

// Check reports whether the master key opens a wrapped data key. It caches
// the unwrapped key like any other use.
func (k *Keyring) Check(dk cardvault.DataKey) error {
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
	copy(out[5:headerSize], random(12))
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

// Fingerprint returns base64(HMAC-SHA256(account fingerprint key, pan)): 44 chars.
func (k *Keyring) Fingerprint(accountID string, pan cardvault.Secret) string {
	m := hmac.New(sha256.New, k.fingerprintKey(accountID))
	m.Write([]byte(pan.Reveal()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SealKey seals an API secret key under the master key, bound to label.
func (k *Keyring) SealKey(label string, key cardvault.Secret) []byte {
	nonce := random(k.kek.NonceSize())
	return k.kek.Seal(nonce, nonce, []byte(key.Reveal()), []byte("cardvault/apikey/v1\x00"+label))
}

// OpenKey opens an API secret key sealed by SealKey.
func (k *Keyring) OpenKey(label string, sealed []byte) (cardvault.Secret, error) {
	n := k.kek.NonceSize()
	if len(sealed) < n {
		return cardvault.Secret{}, ErrOpen
	}
	pt, err := k.kek.Open(nil, sealed[:n], sealed[n:], []byte("cardvault/apikey/v1\x00"+label))
	if err != nil {
		return cardvault.Secret{}, ErrOpen
	}
	return cardvault.NewSecret(string(pt)), nil
}

func (k *Keyring) dataKey(dk cardvault.DataKey) (cipher.AEAD, error) {
	id := dk.AccountID + "/" + strconv.Itoa(dk.Version)
	k.mu.RLock()
	aead := k.deks[id]
	k.mu.RUnlock()
	if aead != nil {
		return aead, nil
	}
	n := k.kek.NonceSize()
	if len(dk.Wrapped) < n {
		return nil, ErrOpen
	}
	raw, err := k.kek.Open(nil, dk.Wrapped[:n], dk.Wrapped[n:], dekAAD(dk.AccountID, dk.Version))
	if err != nil {
		return nil, ErrOpen
	}
	if aead, err = newGCM(raw); err != nil {
		return nil, err
	}
	clear(raw)
	k.mu.Lock()
	k.deks[id] = aead
	k.mu.Unlock()
	return aead, nil
}

func (k *Keyring) fingerprintKey(accountID string) []byte {
	k.mu.RLock()
	fk := k.fps[accountID]
	k.mu.RUnlock()
	if fk != nil {
		return fk
	}
	fk, err := hkdf.Key(sha256.New, k.fpRoot, nil, "cardvault/fingerprint/v1\x00"+accountID, KeySize)
	if err != nil {
		panic("keys: hkdf: " + err.Error()) // only for lengths beyond 255*32 bytes
	}
	k.mu.Lock()
	k.fps[accountID] = fk
	k.mu.Unlock()
	return fk
}

func dekAAD(accountID string, version int) []byte {
	return []byte("cardvault/dek/v1\x00" + accountID + "\x00" + strconv.Itoa(version))
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

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+)
	return b
}
