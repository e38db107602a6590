package vault

import (
	"context"
	"errors"
	"strconv"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// UpgradeKeys brings every key in the store to the keyring's wrapping: keys
// of a store written before the key hierarchy (wrapped under the master key
// itself, fingerprint keys derived from it) are wrapped under the KEK, and
// each such account's derived fingerprint key is stored as its fingerprint
// key, so that its fingerprints stay as they were; keys under an older KEK
// version (a rotation under way) are wrapped under the newest. It runs in
// batches of RotateBatch keys, each its own write transaction, and is
// idempotent; CheckMasterKey runs it at start-up. Then the
// keyring forgets the master-key material the upgrade needed.
func (v *Vault) UpgradeKeys(ctx context.Context) error {
	u := v.keyUpgrade()
	u.Limit = RotateBatch
	n := 0
	for {
		m, err := v.upgradeBatch(ctx, u, cardvault.AuditKeyUpgrade)
		if err != nil {
			if errors.Is(err, keys.ErrOpen) {
				return ErrWrongMasterKey
			}
			return err
		}
		if n += m; m == 0 {
			break
		}
	}
	v.Keys.ForgetLegacy()
	if n > 0 {
		v.Log.Info("stored keys re-wrapped under the key-encryption key", "keys", n, "kek_version", v.Keys.KEKVersion())
		v.dks.Clear()
		v.fks.Clear()
	}
	return nil
}

// keyUpgrade re-wraps keys under the keyring's newest KEK.
func (v *Vault) keyUpgrade() cardvault.KeyUpgrade {
	return cardvault.KeyUpgrade{
		Want:    cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: v.Keys.KEKVersion()},
		DataKey: v.Keys.UpgradeDataKey,
		Secret: func(k cardvault.APIKey) ([]byte, error) {
			return v.Keys.UpgradeSecret(sealLabel(k.Hash), k.SealedSecret, k.SecretWrap)
		},
		FingerprintKey: v.Keys.UpgradeFingerprintKey,
		AuditKey:       v.Keys.UpgradeAuditKey,
	}
}

// fingerprint returns pan's fingerprint under the account's fingerprint key.
func (v *Vault) fingerprint(ctx context.Context, accountID string, pan cardvault.Secret) (string, error) {
	fk, err := v.fingerprintKey(ctx, accountID)
	if err != nil {
		return "", err
	}
	fp, err := v.Keys.Fingerprint(fk, pan)
	if err != nil {
		return "", cardvault.Internal("fingerprint key of %s: %w", accountID, err)
	}
	return fp, nil
}

func (v *Vault) fingerprintKey(ctx context.Context, accountID string) (cardvault.FingerprintKey, error) {
	if fk, ok := v.fks.Load(accountID); ok {
		return fk.(cardvault.FingerprintKey), nil
	}
	fk, err := v.store.FingerprintKey(ctx, accountID)
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		// Every account has one once CheckMasterKey has upgraded the store.
		return fk, cardvault.Internal("account %s has no fingerprint key: was the store upgraded (CheckMasterKey)?", accountID)
	}
	if err != nil {
		return fk, err
	}
	v.fks.Store(accountID, fk)
	return fk, nil
}

// upgradeBatch runs one UpgradeKeys batch, recorded as action with the KEK
// version it wraps under (a batch that writes nothing records nothing).
func (v *Vault) upgradeBatch(ctx context.Context, u cardvault.KeyUpgrade, action string) (int, error) {
	var n int
	rec := cardvault.AuditRecord{Action: action, Detail: "kek_version=" + strconv.Itoa(u.Want.KEKVersion)}
	err := v.audited(ctx, rec, "", func(ctx context.Context) (err error) {
		n, err = v.store.UpgradeKeys(ctx, u)
		return err
	})
	return n, err
}
