package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/cardvault/cardvault"
)

// The audit key is the HMAC key of the audit chain (cardvault.AuditChain):
// random, one per store, wrapped under the KEK like the other keys (purpose
// "audit-key", no owner, version 1), so that a master-key rotation re-wraps
// it and the chain keeps verifying.

const purposeAuditKey = "audit-key"

// auditKeyVersion is bound into the audit key's wrapping: a store keeps one
// audit key for life, because a new one would break its chain.
const auditKeyVersion = 1

// NewAuditKey creates a store's random audit key and returns it wrapped under
// the KEK (CreatedAt is left to the caller).
func (k *Keyring) NewAuditKey() cardvault.AuditKey {
	raw := k.random(KeySize)
	defer clear(raw)
	wrapped, w := k.wrap(raw, purposeAuditKey, "", auditKeyVersion)
	return cardvault.AuditKey{Wrapped: wrapped, Wrap: w}
}

// UpgradeAuditKey returns ak wrapped under the current KEK.
func (k *Keyring) UpgradeAuditKey(ak cardvault.AuditKey) (cardvault.AuditKey, error) {
	raw, err := k.unwrap(ak.Wrapped, ak.Wrap, purposeAuditKey, "", auditKeyVersion)
	if err != nil {
		return ak, err
	}
	defer clear(raw)
	ak.Wrapped, ak.Wrap = k.wrap(raw, purposeAuditKey, "", auditKeyVersion)
	return ak, nil
}

// AuditChain unwraps ak and returns the chain that seals records with it.
// The chain holds the key and never hands it out.
func (k *Keyring) AuditChain(ak cardvault.AuditKey) (cardvault.AuditChain, error) {
	raw, err := k.unwrap(ak.Wrapped, ak.Wrap, purposeAuditKey, "", auditKeyVersion)
	if err != nil {
		return nil, err
	}
	return &auditChain{key: raw}, nil
}

// auditChain is a cardvault.AuditChain.
type auditChain struct{ key []byte }

// Seal sets r.MAC = HMAC-SHA256(key, prev ‖ canonical(r)).
func (c *auditChain) Seal(prev []byte, r *cardvault.AuditRecord) {
	m := hmac.New(sha256.New, c.key)
	m.Write(prev)
	m.Write(r.AppendCanonical(make([]byte, 0, 256)))
	r.MAC = m.Sum(nil)
}

// SealAnchor returns HMAC-SHA256(key, label ‖ Seq ‖ MAC ‖ At in ms).
func (c *auditChain) SealAnchor(a cardvault.AuditAnchor) []byte {
	m := hmac.New(sha256.New, c.key)
	b := append([]byte("cardvault/audit-anchor/v1\x00"), binary.BigEndian.AppendUint64(nil, uint64(a.Seq))...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a.MAC)))
	b = append(b, a.MAC...)
	b = binary.BigEndian.AppendUint64(b, uint64(a.At.UnixMilli()))
	m.Write(b)
	return m.Sum(nil)
}

// String never shows the key.
func (c *auditChain) String() string { return "keys.auditChain{…}" }

// GoString never shows the key.
func (c *auditChain) GoString() string { return c.String() }
