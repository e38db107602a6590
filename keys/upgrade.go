package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"strconv"

	"github.com/cardvault/cardvault"
)

// The Upgrade methods bring a stored key forward to the current scheme and
// KEK: they open it under whatever wraps it (for SchemeLegacy, the master key
// itself) and wrap it anew. vault.CheckMasterKey runs them over the store at
// start-up (cardvault.KeyUpgrade).

// UpgradeDataKey returns dk wrapped under the current KEK.
func (k *Keyring) UpgradeDataKey(dk cardvault.DataKey) (cardvault.DataKey, error) {
	var raw []byte
	var err error
	if dk.Wrap.Scheme == SchemeLegacy {
		raw, err = k.openLegacy(dk.Wrapped, legacyDEKAAD(dk.AccountID, dk.Version))
	} else {
		raw, err = k.unwrap(dk.Wrapped, dk.Wrap, purposeDataKey, dk.AccountID, dk.Version)
	}
	if err != nil {
		return dk, err
	}
	defer clear(raw)
	dk.Wrapped, dk.Wrap = k.wrap(raw, purposeDataKey, dk.AccountID, dk.Version)
	return dk, nil
}

// UpgradeSecret returns an API secret sealed for label with wrapping w,
// sealed anew under the current KEK.
func (k *Keyring) UpgradeSecret(label string, sealed []byte, w cardvault.Wrap) ([]byte, error) {
	var raw []byte
	var err error
	if w.Scheme == SchemeLegacy {
		raw, err = k.openLegacy(sealed, legacySecretAAD(label))
	}
	if hw, ok := WrapOf(sealed); w.Scheme != SchemeLegacy || (err != nil && ok) {
		// A secret sealed anew by a writer that left the record's scheme as
		// it was says in its header how it is wrapped.
		raw, err = k.unwrap(sealed, hw, purposeAPISecret, label, 1)
	}
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	sealed, _ = k.wrap(raw, purposeAPISecret, label, 1)
	return sealed, nil
}

// UpgradeFingerprintKey returns fk wrapped under the current KEK. An account
// of a store written before the hierarchy has no stored fingerprint key
// (fk.Wrapped is empty): its key was derived from the master key, and that
// derived key becomes its stored one, so that its fingerprints stay as they
// were.
func (k *Keyring) UpgradeFingerprintKey(fk cardvault.FingerprintKey) (cardvault.FingerprintKey, error) {
	var raw []byte
	var err error
	if len(fk.Wrapped) == 0 {
		raw, err = k.legacyFingerprintKey(fk.AccountID)
	} else {
		raw, err = k.unwrap(fk.Wrapped, fk.Wrap, purposeFingerprintKey, fk.AccountID, fingerprintKeyVersion)
	}
	if err != nil {
		return fk, err
	}
	defer clear(raw)
	fk.Wrapped, fk.Wrap = k.wrap(raw, purposeFingerprintKey, fk.AccountID, fingerprintKeyVersion)
	return fk, nil
}

// ForgetLegacy drops the master-key material kept to upgrade keys of stores
// written before the hierarchy (vault.UpgradeKeys calls it once the store
// holds none): from then on the keyring holds only the KEK and the keys it
// unwrapped, and keys wrapped the legacy way no longer open.
func (k *Keyring) ForgetLegacy() {
	// Not wiped: an upgrade running concurrently may still use it. It is
	// garbage once that returns.
	k.legacy.Store(nil)
}

// openLegacy opens nonce ‖ AES-256-GCM under the master key (SchemeLegacy).
func (k *Keyring) openLegacy(wrapped, aad []byte) ([]byte, error) {
	l := k.legacy.Load()
	if l == nil || len(wrapped) < l.wrap.NonceSize() {
		return nil, ErrOpen
	}
	n := l.wrap.NonceSize()
	raw, err := l.wrap.Open(nil, wrapped[:n], wrapped[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return raw, nil
}

// legacyFingerprintKey is an account's fingerprint key as stores written
// before the hierarchy derived it: HKDF(HKDF(master, fingerprint root),
// account id).
func (k *Keyring) legacyFingerprintKey(accountID string) ([]byte, error) {
	l := k.legacy.Load()
	if l == nil {
		return nil, ErrOpen
	}
	return hkdf.Key(sha256.New, l.fpRoot, nil, "cardvault/fingerprint/v1\x00"+accountID, KeySize)
}

func legacyDEKAAD(accountID string, version int) []byte {
	return []byte("cardvault/dek/v1\x00" + accountID + "\x00" + strconv.Itoa(version))
}

func legacySecretAAD(label string) []byte {
	return []byte("cardvault/apikey/v1\x00" + label)
}
