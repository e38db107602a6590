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
// record also holds its pair's secret key, sealed under the master key, so
// that request signatures (which use the secret key as HMAC key) can be checked.
type APIKey struct {
	Hash         [32]byte
	AccountID    string
	Mode         Mode
	Kind         KeyKind
	SealedSecret []byte // public keys only
	CreatedAt    time.Time
}

// Scope returns the account and mode the key grants.
func (k *APIKey) Scope() Scope { return Scope{AccountID: k.AccountID, Mode: k.Mode} }

// HashKey returns the lookup hash of a presented key.
func HashKey(key Secret) [32]byte { return sha256.Sum256([]byte(key.Reveal())) }

// DataKey is an account's data-encryption key, wrapped by the master key.
// Every ciphertext records the version of the key that sealed it.
type DataKey struct {
	AccountID string
	Version   int
	Wrapped   []byte
	CreatedAt time.Time
}

// KeyPair is one mode's public and secret key, shown to the operator once.
type KeyPair struct {
	PublicKey Secret `json:"public_key"`
	SecretKey Secret `json:"secret_key"`
}
