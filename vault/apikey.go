package vault

import (
	"context"
	"encoding/hex"

	"github.com/cardvault/cardvault"
)

// KeyIDLen is the length of a key id: the first hex digits of the SHA-256
// hash of the key, which is all the store keeps of it. An operator holding a
// key computes its id with `printf %s KEY | sha256sum | cut -c1-12`.
const KeyIDLen = 12

// KeyID returns the id of a stored key.
func KeyID(hash [32]byte) string { return hex.EncodeToString(hash[:])[:KeyIDLen] }

// ReissueSecretKey issues a new secret key for an account's mode, returned
// once: the old one stops working at once, and the new one is sealed on
// every public key of the mode so that ChargeOver signatures (made with the
// new secret key) verify.
func (v *Vault) ReissueSecretKey(ctx context.Context, accountID string, m cardvault.Mode) (cardvault.Secret, error) {
	keys, err := v.store.APIKeys(ctx, accountID)
	if err != nil {
		return cardvault.Secret{}, err
	}
	secret := cardvault.NewKey(cardvault.SecretKey, m)
	sealed := map[[32]byte][]byte{}
	for _, k := range keys {
		if k.Mode == m && k.Kind == cardvault.PublicKey {
			sealed[k.Hash] = v.Keys.SealKey(sealLabel(k.Hash), secret)
		}
	}
	rec := cardvault.APIKey{Hash: cardvault.HashKey(secret), AccountID: accountID, Mode: m,
		Kind: cardvault.SecretKey, CreatedAt: v.Now()}
	arec := cardvault.AuditRecord{AccountID: accountID, Mode: m, Action: cardvault.AuditReissueSecret, Object: KeyID(rec.Hash)}
	err = v.audited(ctx, arec, "", func(ctx context.Context) error { return v.store.ReplaceSecretKey(ctx, rec, sealed) })
	if err != nil {
		return cardvault.Secret{}, err
	}
	return secret, nil
}
