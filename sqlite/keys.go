package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/cardvault/cardvault"
)

// dataKeyColumns are the columns scanDataKey reads, in order.
const dataKeyColumns = `account_id, version, wrapped, scheme, kek_version, created_at`

func scanDataKey(r scanner) (cardvault.DataKey, error) {
	var dk cardvault.DataKey
	var created int64
	err := r.Scan(&dk.AccountID, &dk.Version, &dk.Wrapped, &dk.Wrap.Scheme, &dk.Wrap.KEKVersion, &created)
	dk.CreatedAt = fromMS(created)
	return dk, err
}

func queryDataKeys(ctx context.Context, q queryer, query string, args ...any) ([]cardvault.DataKey, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cardvault.DataKey
	for rows.Next() {
		dk, err := scanDataKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, dk)
	}
	return out, rows.Err()
}

func insertDataKey(ctx context.Context, tx *sql.Tx, dk cardvault.DataKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO data_keys (account_id, version, wrapped, scheme, kek_version, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, dk.AccountID, dk.Version, dk.Wrapped, dk.Wrap.Scheme, dk.Wrap.KEKVersion, ms(dk.CreatedAt))
	return err
}

func insertFingerprintKey(ctx context.Context, tx *sql.Tx, fk cardvault.FingerprintKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fingerprint_keys (account_id, wrapped, scheme, kek_version, created_at)
		VALUES (?, ?, ?, ?, ?)`, fk.AccountID, fk.Wrapped, fk.Wrap.Scheme, fk.Wrap.KEKVersion, ms(fk.CreatedAt))
	return err
}

// FingerprintKey returns an account's wrapped fingerprint key (ENotFound).
func (db *DB) FingerprintKey(ctx context.Context, accountID string) (cardvault.FingerprintKey, error) {
	fk := cardvault.FingerprintKey{AccountID: accountID}
	var created int64
	err := db.rq.QueryRowContext(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM fingerprint_keys
		WHERE account_id = ?`, accountID).Scan(&fk.Wrapped, &fk.Wrap.Scheme, &fk.Wrap.KEKVersion, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return fk, cardvault.NotFound("fingerprint_key", "")
	}
	fk.CreatedAt = fromMS(created)
	return fk, readErr(ctx, err)
}

// UpgradeKeys re-wraps, in one write transaction, every key not wrapped as
// u.Want (at most u.Limit if positive), and stores a fingerprint key for every account without one. Two
// processes starting at once each run it: the second, serialized behind the
// first by the write lock, finds nothing left. Replaced wrappings are scrubbed
// from the WAL after the commit, as destroyed card data is.
func (db *DB) UpgradeKeys(ctx context.Context, u cardvault.KeyUpgrade) (int, error) {
	// Most starts find nothing to do: they only read.
	var stale bool
	err := db.rq.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM data_keys WHERE `+notWanted("scheme", "kek_version")+`)
		OR EXISTS (SELECT 1 FROM api_keys WHERE sealed_secret IS NOT NULL AND `+notWanted("secret_scheme", "secret_kek_version")+`)
		OR EXISTS (SELECT 1 FROM fingerprint_keys WHERE `+notWanted("scheme", "kek_version")+`)
		OR EXISTS (SELECT 1 FROM audit_key WHERE `+notWanted("scheme", "kek_version")+`)
		OR EXISTS (SELECT 1 FROM accounts WHERE id NOT IN (SELECT account_id FROM fingerprint_keys))`,
		u.Want.Scheme, u.Want.KEKVersion, u.Want.Scheme, u.Want.KEKVersion, u.Want.Scheme, u.Want.KEKVersion,
		u.Want.Scheme, u.Want.KEKVersion).Scan(&stale)
	if err != nil || !stale {
		return 0, readErr(ctx, err)
	}
	var n int
	err = db.destroyIf(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		for _, step := range []func(context.Context, *sql.Tx, cardvault.KeyUpgrade, int) (int, error){
			upgradeDataKeys, upgradeSecrets, upgradeFingerprintKeys, addFingerprintKeys, upgradeAuditKey,
		} {
			limit := -1 // SQLite: no limit
			if u.Limit > 0 {
				if limit = u.Limit - n; limit == 0 {
					break
				}
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
		return db.appendAudit(ctx, tx, strconv.Itoa(n))
	}, func() bool { return n > 0 })
	if err != nil {
		return 0, err
	}
	return n, nil
}

// notWanted selects rows whose scheme and KEK version columns differ from
// the wanted wrapping.
func notWanted(scheme, kekVersion string) string {
	return `NOT (` + scheme + ` = ? AND ` + kekVersion + ` = ?)`
}

func upgradeDataKeys(ctx context.Context, tx *sql.Tx, u cardvault.KeyUpgrade, limit int) (int, error) {
	old, err := queryDataKeys(ctx, tx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE `+notWanted("scheme", "kek_version")+
		` LIMIT ?`, u.Want.Scheme, u.Want.KEKVersion, limit)
	if err != nil {
		return 0, err
	}
	for _, dk := range old {
		nk, err := u.DataKey(dk)
		if err != nil {
			return 0, err
		}
		if nk.Wrap != u.Want || nk.AccountID != dk.AccountID || nk.Version != dk.Version || len(nk.Wrapped) == 0 {
			return 0, cardvault.Internal("sqlite: UpgradeKeys: data key %s v%d upgraded to another key or wrapping", dk.AccountID, dk.Version)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET wrapped = ?, scheme = ?, kek_version = ?
			WHERE account_id = ? AND version = ?`, nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion, dk.AccountID, dk.Version); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func upgradeSecrets(ctx context.Context, tx *sql.Tx, u cardvault.KeyUpgrade, limit int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT hash, account_id, mode, kind, sealed_secret, secret_scheme,
		secret_kek_version, created_at FROM api_keys WHERE sealed_secret IS NOT NULL AND `+
		notWanted("secret_scheme", "secret_kek_version")+` LIMIT ?`, u.Want.Scheme, u.Want.KEKVersion, limit)
	if err != nil {
		return 0, err
	}
	var old []cardvault.APIKey
	for rows.Next() {
		var k cardvault.APIKey
		var hash []byte
		var created int64
		if err := rows.Scan(&hash, &k.AccountID, &k.Mode, &k.Kind, &k.SealedSecret, &k.SecretWrap.Scheme,
			&k.SecretWrap.KEKVersion, &created); err != nil {
			rows.Close()
			return 0, err
		}
		copy(k.Hash[:], hash)
		k.CreatedAt = fromMS(created)
		old = append(old, k)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, k := range old {
		sealed, err := u.Secret(k)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET sealed_secret = ?, secret_scheme = ?, secret_kek_version = ?
			WHERE hash = ?`, sealed, u.Want.Scheme, u.Want.KEKVersion, k.Hash[:]); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func upgradeFingerprintKeys(ctx context.Context, tx *sql.Tx, u cardvault.KeyUpgrade, limit int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, wrapped, scheme, kek_version, created_at FROM fingerprint_keys
		WHERE `+notWanted("scheme", "kek_version")+` LIMIT ?`, u.Want.Scheme, u.Want.KEKVersion, limit)
	if err != nil {
		return 0, err
	}
	var old []cardvault.FingerprintKey
	for rows.Next() {
		var fk cardvault.FingerprintKey
		var created int64
		if err := rows.Scan(&fk.AccountID, &fk.Wrapped, &fk.Wrap.Scheme, &fk.Wrap.KEKVersion, &created); err != nil {
			rows.Close()
			return 0, err
		}
		fk.CreatedAt = fromMS(created)
		old = append(old, fk)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, fk := range old {
		nk, err := upgradedFingerprintKey(u, fk)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fingerprint_keys SET wrapped = ?, scheme = ?, kek_version = ?
			WHERE account_id = ?`, nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion, fk.AccountID); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// addFingerprintKeys stores the fingerprint key of every account without
// one, created when the account was.
func addFingerprintKeys(ctx context.Context, tx *sql.Tx, u cardvault.KeyUpgrade, limit int) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, created_at FROM accounts
		WHERE id NOT IN (SELECT account_id FROM fingerprint_keys) ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return 0, err
	}
	var missing []cardvault.FingerprintKey
	for rows.Next() {
		var fk cardvault.FingerprintKey
		var created int64
		if err := rows.Scan(&fk.AccountID, &created); err != nil {
			rows.Close()
			return 0, err
		}
		fk.CreatedAt = fromMS(created)
		missing = append(missing, fk)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
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
		return nk, cardvault.Internal("sqlite: UpgradeKeys: fingerprint key of %s upgraded to another key or wrapping", fk.AccountID)
	}
	nk.CreatedAt = fk.CreatedAt
	return nk, nil
}

// upgradeAuditKey re-wraps the store's audit key if it is wrapped otherwise
// than wanted.
func upgradeAuditKey(ctx context.Context, tx *sql.Tx, u cardvault.KeyUpgrade, limit int) (int, error) {
	var k cardvault.AuditKey
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM audit_key
		WHERE id = 1 AND `+notWanted("scheme", "kek_version"), u.Want.Scheme, u.Want.KEKVersion).
		Scan(&k.Wrapped, &k.Wrap.Scheme, &k.Wrap.KEKVersion, &created)
	if errors.Is(err, sql.ErrNoRows) || limit == 0 {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if u.AuditKey == nil {
		return 0, cardvault.Internal("sqlite: UpgradeKeys: the audit key needs re-wrapping and KeyUpgrade.AuditKey is nil")
	}
	k.CreatedAt = fromMS(created)
	nk, err := u.AuditKey(k)
	if err != nil {
		return 0, err
	}
	if nk.Wrap != u.Want || len(nk.Wrapped) == 0 {
		return 0, cardvault.Internal("sqlite: UpgradeKeys: audit key upgraded to another wrapping")
	}
	_, err = tx.ExecContext(ctx, `UPDATE audit_key SET wrapped = ?, scheme = ?, kek_version = ? WHERE id = 1`,
		nk.Wrapped, nk.Wrap.Scheme, nk.Wrap.KEKVersion)
	return 1, err
}
