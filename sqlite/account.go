package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
)

// CreateAccount stores an account, its first data key and its API keys.
func (db *DB) CreateAccount(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey, keys []cardvault.APIKey) error {
	times := []time.Time{a.CreatedAt, dk.CreatedAt}
	for _, k := range keys {
		times = append(times, k.CreatedAt)
	}
	if err := needTimes("CreateAccount", times...); err != nil {
		return err
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`,
			a.ID, a.Name, ms(a.CreatedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_keys (account_id, version, wrapped, created_at) VALUES (?, ?, ?, ?)`,
			dk.AccountID, dk.Version, dk.Wrapped, ms(dk.CreatedAt)); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (hash, account_id, mode, kind, sealed_secret, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, k.Hash[:], k.AccountID, k.Mode, k.Kind, k.SealedSecret, ms(k.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
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
	err := db.rq.QueryRowContext(ctx, `SELECT account_id, mode, kind, sealed_secret, created_at FROM api_keys WHERE hash = ?`,
		hash[:]).Scan(&k.AccountID, &k.Mode, &k.Kind, &k.SealedSecret, &created)
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
	return db.dataKey(ctx, `SELECT account_id, version, wrapped, created_at FROM data_keys WHERE account_id = ? AND version = ?`, accountID, version)
}

// CurrentDataKey returns an account's newest wrapped data key (ENotFound).
func (db *DB) CurrentDataKey(ctx context.Context, accountID string) (cardvault.DataKey, error) {
	return db.dataKey(ctx, `SELECT account_id, version, wrapped, created_at FROM data_keys WHERE account_id = ?
		ORDER BY version DESC LIMIT 1`, accountID)
}

func (db *DB) dataKey(ctx context.Context, q string, args ...any) (cardvault.DataKey, error) {
	var dk cardvault.DataKey
	var created int64
	err := db.rq.QueryRowContext(ctx, q, args...).Scan(&dk.AccountID, &dk.Version, &dk.Wrapped, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return dk, cardvault.NotFound("data_key", "")
	}
	dk.CreatedAt = fromMS(created)
	return dk, readErr(ctx, err)
}

// DataKeys returns up to limit wrapped data keys, oldest first.
func (db *DB) DataKeys(ctx context.Context, limit int) ([]cardvault.DataKey, error) {
	dks, err := listDataKeys(ctx, db.rq, limit)
	return dks, readErr(ctx, err)
}

func listDataKeys(ctx context.Context, q queryer, limit int) ([]cardvault.DataKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT account_id, version, wrapped, created_at FROM data_keys
		ORDER BY created_at, account_id, version LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cardvault.DataKey
	for rows.Next() {
		var dk cardvault.DataKey
		var created int64
		if err := rows.Scan(&dk.AccountID, &dk.Version, &dk.Wrapped, &created); err != nil {
			return nil, err
		}
		dk.CreatedAt = fromMS(created)
		out = append(out, dk)
	}
	return out, rows.Err()
}
