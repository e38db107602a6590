package keys

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cardvault/cardvault"
)

// KEK versions and master-key rotation (docs/DESIGN.md, "Data and
// encryption"; docs/OPERATIONS.md).
//
// Each master key gives one KEK; the store numbers them (cardvault.KEK) and
// keeps, per version, the master key's check value (MasterCheck), so that a
// start-up knows which version its master key is, or that it was retired.
// While a rotation runs, the record of the new version holds the new KEK
// wrapped under the old one: an instance still holding the old master key
// learns the new KEK from it (AddKEK, or lazily through its KEKSource) and
// opens every key the rotation has wrapped anew. Finishing the rotation
// deletes that wrapped copy and retires the old version.

// maxKEKChain bounds how many records AddKEK follows to reach a KEK it holds.
const maxKEKChain = 4

// ErrUnknownKEK means a key is wrapped under a KEK version this keyring does
// not hold and cannot learn.
// It wraps ErrOpen.
var ErrUnknownKEK = fmt.Errorf("%w: wrapped under a key-encryption key this master key cannot reach", ErrOpen)

// MasterCheck is the master key's check value, HKDF-SHA256(master,
// "cardvault/kek-check/v1"): stored with its KEK version, it identifies the
// master key at start-up without revealing it or its KEK.
func (k *Keyring) MasterCheck() []byte { return append([]byte(nil), k.check...) }

// Matches reports whether rec is the record of this keyring's master key.
func (k *Keyring) Matches(rec cardvault.KEK) bool {
	return subtle.ConstantTimeCompare(rec.Check, k.check) == 1
}

// SetVersion says which KEK version the keyring's master key is (the store's
// record with its check value). It is called once, at start-up, before any
// key is wrapped or opened; keys learned before are dropped.
func (k *Keyring) SetVersion(v int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kek := k.keks[k.own]
	k.own, k.wrapVersion = v, v
	k.keks = map[int]cipher.AEAD{v: kek}
}

// OwnVersion is the KEK version of the keyring's own master key.
func (k *Keyring) OwnVersion() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.own
}

// SetSource sets where the keyring looks up a KEK version it does not hold.
func (k *Keyring) SetSource(s KEKSource) { k.source.Store(&s) }

// WrapKEK returns the record of next's master key as KEK version v, its KEK
// wrapped under this keyring's own KEK (a rotation's first step).
func (k *Keyring) WrapKEK(next *Keyring, v int) cardvault.KEK {
	k.mu.RLock()
	by := k.own
	kek := k.keks[by]
	k.mu.RUnlock()
	nonce := k.random(kek.NonceSize())
	wrapped := kek.Seal(nonce, nonce, next.kekRaw, kekAAD(v, by))
	return cardvault.KEK{Version: v, Check: next.MasterCheck(), Wrapped: wrapped, WrappedBy: by}
}

// AddKEK learns the KEK of a record wrapped under a KEK the keyring holds (or
// can learn); a newer version than any it held becomes the one new keys are
// wrapped under. A record without a wrapped KEK, or of a version the keyring
// holds, changes nothing.
func (k *Keyring) AddKEK(rec cardvault.KEK) error {
	_, err := k.learn(rec, maxKEKChain)
	return err
}

func (k *Keyring) learn(rec cardvault.KEK, depth int) (cipher.AEAD, error) {
	k.mu.RLock()
	have := k.keks[rec.Version]
	k.mu.RUnlock()
	if have != nil {
		return have, nil
	}
	if len(rec.Wrapped) == 0 || rec.WrappedBy == rec.Version {
		return nil, ErrUnknownKEK
	}
	parent, err := k.kekFor(rec.WrappedBy, depth-1)
	if err != nil {
		return nil, err
	}
	n := parent.NonceSize()
	if len(rec.Wrapped) < n {
		return nil, ErrOpen
	}
	raw, err := parent.Open(nil, rec.Wrapped[:n], rec.Wrapped[n:], kekAAD(rec.Version, rec.WrappedBy))
	if err != nil {
		return nil, ErrOpen
	}
	defer clear(raw)
	kek, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if have := k.keks[rec.Version]; have != nil {
		return have, nil
	}
	k.keks[rec.Version] = kek
	if rec.Version > k.wrapVersion {
		k.wrapVersion = rec.Version
	}
	return kek, nil
}

// kekFor returns the KEK of version v, learning it from the source if need be.
func (k *Keyring) kekFor(v, depth int) (cipher.AEAD, error) {
	k.mu.RLock()
	kek := k.keks[v]
	k.mu.RUnlock()
	if kek != nil {
		return kek, nil
	}
	src := k.source.Load()
	if src == nil || depth <= 0 {
		return nil, ErrUnknownKEK
	}
	rec, err := (*src)(v)
	if err != nil {
		return nil, errors.Join(ErrUnknownKEK, err)
	}
	if rec.Version != v {
		return nil, ErrUnknownKEK
	}
	return k.learn(rec, depth)
}

// kekAAD binds a wrapped KEK to its version and the version wrapping it.
func kekAAD(version, by int) []byte {
	b := []byte("cardvault/kek-wrap\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(version))
	return binary.BigEndian.AppendUint32(b, uint32(by))
}
