package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"

	"github.com/cardvault/cardvault"
)

// NewWithRand is New with a fixed source of randomness, for known-answer tests.
func NewWithRand(master []byte, r io.Reader) (*Keyring, error) { return newKeyring(master, r) }

// DeriveKEK exposes the KEK derivation to known-answer tests.
func DeriveKEK(master []byte) ([]byte, error) { return deriveKEK(master) }

// LegacyDataKey makes a data key exactly as versions before the hierarchy
// did: nonce ‖ AES-256-GCM(master key, key, "cardvault/dek/v1"…).
func (k *Keyring) LegacyDataKey(accountID string, version int) cardvault.DataKey {
	dek := k.random(KeySize)
	nonce := k.random(k.legacy.Load().wrap.NonceSize())
	return cardvault.DataKey{AccountID: accountID, Version: version, Wrap: cardvault.Wrap{Scheme: SchemeLegacy},
		Wrapped: k.legacy.Load().wrap.Seal(nonce, nonce, dek, legacyDEKAAD(accountID, version))}
}

// LegacySealKey seals an API secret as versions before the hierarchy did.
func (k *Keyring) LegacySealKey(label string, key cardvault.Secret) []byte {
	nonce := k.random(k.legacy.Load().wrap.NonceSize())
	return k.legacy.Load().wrap.Seal(nonce, nonce, []byte(key.Reveal()), legacySecretAAD(label))
}

// LegacyFingerprint is a fingerprint as versions before the hierarchy computed it.
func (k *Keyring) LegacyFingerprint(accountID string, pan cardvault.Secret) string {
	key, err := k.legacyFingerprintKey(accountID)
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pan.Reveal()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
