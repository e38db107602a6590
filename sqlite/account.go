package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
)

// CreateAccount stores an account, its first data key, its fingerprint key
// and its API keys.
func (db *DB) CreateAccount(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if err := checkAccount("CreateAccount", a, dk, fk, keys); err != nil {
		return err
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.insertAccount(ctx, tx, a, dk, fk, keys)
	})
}

// CreateFirstAccount stores an account as CreateAccount does if the store
// has none, in the same write transaction as the check: the single writer
// makes the two one step for every process on the file.
func (db *DB) CreateFirstAccount(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) (bool, error) {
	if err := checkAccount("CreateFirstAccount", a, dk, fk, keys); err != nil {
		return false, err
	}
	var created bool
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		created = false
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&exists); err != nil || exists {
			return err
		}
		created = true
		return db.insertAccount(ctx, tx, a, dk, fk, keys)
	})
	return created && err == nil, err
}

// checkAccount refuses an account without its keys or with an unset time.
func checkAccount(method string, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if len(dk.Wrapped) == 0 || len(fk.Wrapped) == 0 {
		return cardvault.Internal("sqlite: %s: a data key and a fingerprint key are required", method)
	}
	times := []time.Time{a.CreatedAt, dk.CreatedAt, fk.CreatedAt}
	for _, k := range keys {
		times = append(times, k.CreatedAt)
	}
	return needTimes(method, times...)
}

// insertAccount writes an account, its keys and the context's audit records.
func (db *DB) insertAccount(ctx context.Context, tx *sql.Tx, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
		a.ID, a.Name, ms(a.CreatedAt)); err != nil {
		return err
	}
	if err := insertDataKey(ctx, tx, dk); err != nil {
		return err
	}
	if err := insertFingerprintKey(ctx, tx, fk); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, account_id, mode, kind, sealed_secret,
			secret_scheme, secret_kek_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, k.Hash[:], k.AccountID,
			k.Mode, k.Kind, k.SealedSecret, k.SecretWrap.Scheme, k.SecretWrap.KEKVersion, ms(k.CreatedAt)); err != nil {
			return err
		}
	}
	return db.appendAudit(ctx, tx, a.ID)
}

// CountAccounts returns the number of accounts.
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := db.rq.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, readErr(ctx, err)
}

// Accounts returns every account, oldest first.
func (db *DB) Accounts(ctx context.Context) ([]*cardvault.Account, error) {
	as, err := listAccounts(ctx, db.rq)
	return as, readErr(ctx, err)
}

func listAccounts(ctx context.Context, q queryer) ([]*cardvault.Account, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, created_at FROM accounts ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cardvault.Account
	for rows.Next() {
		var a cardvault.Account
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &created); err != nil {
			return nil, err
		}
		a.CreatedAt = fromMS(created)
		out = append(out, &a)
	}
	return out, rows.Err()
}

// APIKey returns the key record with the given hash (ENotFound).
func (db *DB) APIKey(ctx context.Context, hash [32]byte) (*cardvault.APIKey, error) {
	k := cardvault.APIKey{Hash: hash}
	var created int64
	err := db.rq.QueryRowContext(ctx, `SELECT account_id, mode, kind, sealed_secret, secret_scheme, secret_kek_version,
		created_at FROM api_keys WHERE hash = ?`, hash[:]).Scan(&k.AccountID, &k.Mode, &k.Kind, &k.SealedSecret,
		&k.SecretWrap.Scheme, &k.SecretWrap.KEKVersion, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.NotFound("api_key", "")
	}
	if err != nil {
		return nil, readErr(ctx, err)
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// DataKey returns an account's wrapped data key of a version (ENotFound).
func (db *DB) DataKey(ctx context.Context, accountID string, version int) (cardvault.DataKey, error) {
	return db.dataKey(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE account_id = ? AND version = ?`, accountID, version)
}

// CurrentDataKey returns an account's newest wrapped data key (ENotFound).
func (db *DB) CurrentDataKey(ctx context.Context, accountID string) (cardvault.DataKey, error) {
	return db.dataKey(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE account_id = ?
		ORDER BY version DESC LIMIT 1`, accountID)
}

func (db *DB) dataKey(ctx context.Context, q string, args ...any) (cardvault.DataKey, error) {
	dk, err := scanDataKey(db.rq.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return dk, cardvault.NotFound("data_key", "")
	}
	return dk, readErr(ctx, err)
}

// DataKeys returns up to limit wrapped data keys, oldest first.
func (db *DB) DataKeys(ctx context.Context, limit int) ([]cardvault.DataKey, error) {
	dks, err := listDataKeys(ctx, db.rq, limit)
	return dks, readErr(ctx, err)
}

func listDataKeys(ctx context.Context, q queryer, limit int) ([]cardvault.DataKey, error) {
	return queryDataKeys(ctx, q, `SELECT `+dataKeyColumns+` FROM data_keys
		ORDER BY created_at, account_id, version LIMIT ?`, limit)
}
