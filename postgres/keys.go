package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// UpgradeKeys re-wraps, in one write transaction, every key not wrapped as
// u.Want (at most u.Limit if positive), and stores a fingerprint key for
// every account without one. Instances starting at once each run it: the
// exclusive key-hierarchy lock makes the later ones find nothing left.
func (db *DB) UpgradeKeys(ctx context.Context, u cardvault.KeyUpgrade) (int, error) {
	// Most starts find nothing to do: they only read.
	var stale bool
	err := db.pool.QueryRow(ctx, staleKeys, u.Want.Scheme, u.Want.KEKVersion).Scan(&stale)
	if err != nil || !stale {
		return 0, db.fail(ctx, "UpgradeKeys", err)
	}
	var n int
	err = db.write(ctx, "UpgradeKeys", func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		if err := lockKeys(ctx, tx, true); err != nil {
			return err
		}
		for _, step := range []func(context.Context, pgx.Tx, cardvault.KeyUpgrade, *int64) (int, error){
			upgradeDataKeys, upgradeSecrets, upgradeFingerprintKeys, addFingerprintKeys, upgradeAuditKey,
		} {
			var limit *int64 // NULL: no limit
			if u.Limit > 0 {
				left := int64(u.Limit - n)
				if left == 0 {
					break
				}
				limit = &left
			}
			m, err := step(ctx, tx, u, limit)
			if err != nil {
				return err
			}
			n += m
		}
		if n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, strconv.Itoa(n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// staleKeys selects whether any key is wrapped otherwise than ($1, $2) or
// an account lacks its fingerprint key.
const staleKeys = `SELECT EXISTS (SELECT 1 FROM data_keys WHERE NOT (scheme = $1 AND kek_version = $2))
	OR EXISTS (SELECT 1 FROM api_keys WHERE sealed_secret IS NOT NULL AND NOT (secret_scheme = $1 AND secret_kek_version = $2))
	OR EXISTS (SELECT 1 FROM fingerprint_keys WHERE NOT (scheme = $1 AND kek_version = $2))
	OR EXISTS (SELECT 1 FROM audit_key WHERE NOT (scheme = $1 AND kek_version = $2))
	OR EXISTS (SELECT 1 FROM accounts WHERE id NOT IN (SELECT account_id FROM fingerprint_keys))`

func upgradeDataKeys(ctx context.Context, tx pgx.Tx, u cardvault.KeyUpgrade, limit *int64) (int, error) {
	old, err := queryDataKeys(ctx, tx, `SELECT `+dataKeyColumns+` FROM data_keys
		WHERE NOT (scheme = $1 AND kek_version = $2) ORDER BY account_id, version LIMIT $3`, u.Want.Scheme, u.Want.KEKVersion, limit)
	if err != nil {
		return 0, err
	}
	for _, dk := range old {
		nk, err := u.DataKey(dk)
		if err != nil {
			return 0, err
		}
		if nk.Wrap != u.Want || nk.AccountID != dk.AccountID || nk.Version != dk.Version || len(nk.Wrapped) == 0 {
			return 0, cardvault.Internal("postgres: UpgradeKeys: data key %s v%d upgraded to another key or wrapping", dk.AccountID, dk.Version)
		}
		if _, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = $1, scheme = $2, kek_version = $3
			WHERE account_id = $4 AND version = $5`, nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion, dk.AccountID, dk.Version); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func upgradeSecrets(ctx context.Context, tx pgx.Tx, u cardvault.KeyUpgrade, limit *int64) (int, error) {
	rows, err := tx.Query(ctx, `SELECT hash, account_id, mode, kind, sealed_secret, secret_scheme,
		secret_kek_version, created_at FROM api_keys WHERE sealed_secret IS NOT NULL
		AND NOT (secret_scheme = $1 AND secret_kek_version = $2) ORDER BY hash LIMIT $3`, u.Want.Scheme, u.Want.KEKVersion, limit)
	old, err := collect(rows, err, func(r pgx.Row) (cardvault.APIKey, error) {
		var k cardvault.APIKey
		var hash []byte
		var created int64
		err := r.Scan(&hash, &k.AccountID, &k.Mode, &k.Kind, &k.SealedSecret, &k.SecretWrap.Scheme,
			&k.SecretWrap.KEKVersion, &created)
		copy(k.Hash[:], hash)
		k.CreatedAt = fromMS(created)
		return k, err
	})
	if err != nil {
		return 0, err
	}
	for _, k := range old {
		sealed, err := u.Secret(k)
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET sealed_secret = $1, secret_scheme = $2, secret_kek_version = $3
			WHERE hash = $4`, sealed, u.Want.Scheme, u.Want.KEKVersion, k.Hash[:]); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func upgradeFingerprintKeys(ctx context.Context, tx pgx.Tx, u cardvault.KeyUpgrade, limit *int64) (int, error) {
	rows, err := tx.Query(ctx, `SELECT account_id, wrapped, scheme, kek_version, created_at FROM fingerprint_keys
		WHERE NOT (scheme = $1 AND kek_version = $2) ORDER BY account_id LIMIT $3`, u.Want.Scheme, u.Want.KEKVersion, limit)
	old, err := collect(rows, err, func(r pgx.Row) (cardvault.FingerprintKey, error) {
		var fk cardvault.FingerprintKey
		var created int64
		err := r.Scan(&fk.AccountID, &fk.Wrapped, &fk.Wrap.Scheme, &fk.Wrap.KEKVersion, &created)
		fk.CreatedAt = fromMS(created)
		return fk, err
	})
	if err != nil {
		return 0, err
	}
	for _, fk := range old {
		nk, err := upgradedFingerprintKey(u, fk)
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE fingerprint_keys SET wrapped = $1, scheme = $2, kek_version = $3
			WHERE account_id = $4`, nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion, fk.AccountID); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// addFingerprintKeys stores the fingerprint key of every account without
// one, created when the account was.
func addFingerprintKeys(ctx context.Context, tx pgx.Tx, u cardvault.KeyUpgrade, limit *int64) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, created_at FROM accounts
		WHERE id NOT IN (SELECT account_id FROM fingerprint_keys) ORDER BY id LIMIT $1`, limit)
	missing, err := collect(rows, err, func(r pgx.Row) (cardvault.FingerprintKey, error) {
		var fk cardvault.FingerprintKey
		var created int64
		err := r.Scan(&fk.AccountID, &created)
		fk.CreatedAt = fromMS(created)
		return fk, err
	})
	if err != nil {
		return 0, err
	}
	for _, fk := range missing {
		nk, err := upgradedFingerprintKey(u, fk)
		if err != nil {
			return 0, err
		}
		if err := insertFingerprintKey(ctx, tx, nk); err != nil {
			return 0, err
		}
	}
	return len(missing), nil
}

func upgradedFingerprintKey(u cardvault.KeyUpgrade, fk cardvault.FingerprintKey) (cardvault.FingerprintKey, error) {
	nk, err := u.FingerprintKey(fk)
	if err != nil {
		return nk, err
	}
	if nk.Wrap != u.Want || nk.AccountID != fk.AccountID || len(nk.Wrapped) == 0 {
		return nk, cardvault.Internal("postgres: UpgradeKeys: fingerprint key of %s upgraded to another key or wrapping", fk.AccountID)
	}
	nk.CreatedAt = fk.CreatedAt
	return nk, nil
}

// upgradeAuditKey re-wraps the store's audit key if it is wrapped otherwise
// than wanted.
func upgradeAuditKey(ctx context.Context, tx pgx.Tx, u cardvault.KeyUpgrade, limit *int64) (int, error) {
	if limit != nil && *limit == 0 {
		return 0, nil
	}
	var k cardvault.AuditKey
	var created int64
	err := tx.QueryRow(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM audit_key
		WHERE id = 1 AND NOT (scheme = $1 AND kek_version = $2)`, u.Want.Scheme, u.Want.KEKVersion).
		Scan(&k.Wrapped, &k.Wrap.Scheme, &k.Wrap.KEKVersion, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if u.AuditKey == nil {
		return 0, cardvault.Internal("postgres: UpgradeKeys: the audit key needs re-wrapping and KeyUpgrade.AuditKey is nil")
	}
	k.CreatedAt = fromMS(created)
	nk, err := u.AuditKey(k)
	if err != nil {
		return 0, err
	}
	if nk.Wrap != u.Want || len(nk.Wrapped) == 0 {
		return 0, cardvault.Internal("postgres: UpgradeKeys: audit key upgraded to another wrapping")
	}
	_, err = tx.Exec(ctx, `UPDATE audit_key SET wrapped = $1, scheme = $2, kek_version = $3 WHERE id = 1`,
		nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion)
	return 1, err
}
