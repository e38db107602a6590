package cardvault

import (
	"crypto/sha256"
	"time"
)

// Account owns data keys, API keys and every object created with them.
type Account struct {
	ID        string // acct_…
	Name      string // an operator's label, "" when none
	CreatedAt time.Time
}

// KeyKind tells a public key from a secret key.
type KeyKind uint8

const (
	// PublicKey may only create and read tokens (pkey_…).
	PublicKey KeyKind = 1
	// SecretKey may do everything else (skey_…).
	SecretKey KeyKind = 2
)

// APIKey is a stored API key: only its SHA-256 hash is kept. A public key's
// record also holds its pair's secret key, sealed under the key-encryption
// key, so that request signatures (which use the secret key as HMAC key) can
// be checked.
type APIKey struct {
	Hash         [32]byte
	AccountID    string
	Mode         Mode
	Kind         KeyKind
	SealedSecret []byte // public keys only
	SecretWrap   Wrap   // how SealedSecret is wrapped; zero when there is none
	CreatedAt    time.Time
}

// Scope returns the account and mode the key grants.
func (k *APIKey) Scope() Scope { return Scope{AccountID: k.AccountID, Mode: k.Mode} }

// HashKey returns the lookup hash of a presented key.
func HashKey(key Secret) [32]byte { return sha256.Sum256([]byte(key.Reveal())) }

// Wrap records how a stored key is wrapped (keys/ defines the schemes), so
// that keys written by an older version, or under an older master key, can be
// told apart and brought forward.
type Wrap struct {
	Scheme     int // keys.SchemeLegacy (the master key itself) or keys.SchemeKEK
	KEKVersion int // the version of the key-encryption key that wraps it; 0 under SchemeLegacy
}

// DataKey is an account's data-encryption key, wrapped by the key-encryption
// key. Every ciphertext records the version of the key that sealed it.
type DataKey struct {
	AccountID string
	Version   int
	Wrapped   []byte
	Wrap      Wrap
	CreatedAt time.Time
}

// FingerprintKey is an account's fingerprint key (the HMAC key of its card
// fingerprints), wrapped by the key-encryption key. An account keeps one for
// life: a new one would change every fingerprint.
type FingerprintKey struct {
	AccountID string
	Wrapped   []byte
	Wrap      Wrap
	CreatedAt time.Time
}

// KeyUpgrade brings stored keys to the wrapping Want (Store.UpgradeKeys).
// Each function returns the replacement of one stored key; an error aborts
// the whole upgrade.
type KeyUpgrade struct {
	Want Wrap
	// Limit, if positive, bounds how many keys one call writes (a rotation
	// runs in bounded batches, each its own write transaction).
	Limit int
	// DataKey re-wraps a data key wrapped otherwise than Want.
	DataKey func(DataKey) (DataKey, error)
	// Secret re-seals a public key's sealed secret wrapped otherwise than
	// Want; it returns the new sealed bytes.
	Secret func(APIKey) ([]byte, error)
	// FingerprintKey re-wraps a fingerprint key wrapped otherwise than Want,
	// and makes the stored key of an account that has none (written before
	// fingerprint keys were stored): it then receives only the AccountID.
	FingerprintKey func(FingerprintKey) (FingerprintKey, error)
	// AuditKey re-wraps the store's audit key wrapped otherwise than Want.
	AuditKey func(AuditKey) (AuditKey, error)
}

// SealedCard is a stored card's sealed number and the data-key version that
// sealed it (Store.StaleCards).
type SealedCard struct {
	ID         string
	KeyVersion int
	Sealed     []byte
}

// Reseal replaces a card's sealed number, sealed anew under data-key version
// KeyVersion, if the card still holds Old (Store.Reseal).
type Reseal struct {
	ID         string
	AccountID  string
	Old, New   []byte
	KeyVersion int
}

// KEK is the stored record of one key-encryption key version: which master
// key it comes from (Check, keys.Keyring.MasterCheck), and while a rotation to
// it runs, the KEK itself wrapped under the previous version (Wrapped,
// WrappedBy), so that instances still holding the previous master key can
// open what the rotation wraps anew. Finishing the rotation clears Wrapped
// and retires every older version.
type KEK struct {
	Version   int
	Check     []byte
	Wrapped   []byte
	WrappedBy int
	CreatedAt time.Time
	RetiredAt time.Time // zero while the version is in use
}

// KeyStatus describes a store's keys (Store.KeyStatus): nothing secret.
type KeyStatus struct {
	KEKs     []KEKStatus
	Accounts []AccountKeyStatus
}

// KEKStatus counts the keys wrapped under one KEK version. Rec is the
// version's record; keys of a store written before the key hierarchy are
// counted under version 0, which has none.
type KEKStatus struct {
	Version                          int
	Rec                              *KEK
	DataKeys, FingerprintKeys, Seals int
	AuditKeys                        int // 0 or 1: the store's audit key
}

// AccountKeyStatus lists an account's data keys with the cards each seals.
type AccountKeyStatus struct {
	AccountID string
	DataKeys  []DataKeyStatus
}

// DataKeyStatus is one data key version and how many stored cards it seals.
type DataKeyStatus struct {
	Version   int
	Cards     int
	CreatedAt time.Time
}

// KeyPair is one mode's public and secret key, shown to the operator once.
type KeyPair struct {
	PublicKey Secret `json:"public_key"`
	SecretKey Secret `json:"secret_key"`
}
