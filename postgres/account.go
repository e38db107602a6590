package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// CreateAccount stores an account, its first data key, its fingerprint key
// and its API keys.
func (db *DB) CreateAccount(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if err := checkAccount("CreateAccount", a, dk, fk, keys); err != nil {
		return err
	}
	return db.write(ctx, "CreateAccount", func(ctx context.Context, tx pgx.Tx) error {
		return insertAccount(ctx, tx, a, dk, fk, keys)
	})
}

// firstAccountLock names the advisory lock (with the schema) that makes
// CreateFirstAccount's check and insert one step for every instance.
const firstAccountLock = "cardvault.first_account"

// CreateFirstAccount stores an account as CreateAccount does if the store
// has none. The check and the insert run in one transaction holding an
// advisory lock of the schema: of instances starting together on an empty
// database, the first to take it creates the account and every later one,
// once the first has committed, sees it.
func (db *DB) CreateFirstAccount(ctx context.Context, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) (bool, error) {
	if err := checkAccount("CreateFirstAccount", a, dk, fk, keys); err != nil {
		return false, err
	}
	var created bool
	err := db.write(ctx, "CreateFirstAccount", func(ctx context.Context, tx pgx.Tx) error {
		created = false
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, firstAccountLock); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&exists); err != nil || exists {
			return err
		}
		created = true
		return insertAccount(ctx, tx, a, dk, fk, keys)
	})
	return created && err == nil, err
}

// checkAccount refuses an account without its keys or with an unset time.
func checkAccount(method string, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if len(dk.Wrapped) == 0 || len(fk.Wrapped) == 0 {
		return cardvault.Internal("postgres: %s: a data key and a fingerprint key are required", method)
	}
	times := []time.Time{a.CreatedAt, dk.CreatedAt, fk.CreatedAt}
	for _, k := range keys {
		times = append(times, k.CreatedAt)
	}
	return needTimes(method, times...)
}

// insertAccount writes an account, its keys and the context's audit records.
func insertAccount(ctx context.Context, tx pgx.Tx, a *cardvault.Account, dk cardvault.DataKey, fk cardvault.FingerprintKey, keys []cardvault.APIKey) error {
	if err := lockKeys(ctx, tx, false); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)`,
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
		if _, err := tx.Exec(ctx, `INSERT INTO api_keys (hash, account_id, mode, kind, sealed_secret,
			secret_scheme, secret_kek_version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.Hash[:], k.AccountID,
			k.Mode, k.Kind, k.SealedSecret, k.SecretWrap.Scheme, k.SecretWrap.KEKVersion, ms(k.CreatedAt)); err != nil {
			return err
		}
	}
	return appendAudit(ctx, tx, a.ID)
}

// lockKeys takes the key-hierarchy lock until the transaction ends: shared
// for writes that add keys, exclusive for the steps of a rotation, which
// then see every key that exists.
func lockKeys(ctx context.Context, tx pgx.Tx, exclusive bool) error {
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	_, err := tx.Exec(ctx, `SELECT `+fn+`(hashtext($1 || current_schema()))`, keysLock)
	return err
}

// lockAccount locks an account's row until the transaction ends
// (ENotFound without the account).
func lockAccount(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return cardvault.NotFound("account", id)
	}
	return err
}

// CountAccounts returns the number of accounts.
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, db.fail(ctx, "CountAccounts", err)
}

// Accounts returns every account, oldest first.
func (db *DB) Accounts(ctx context.Context) ([]*cardvault.Account, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, created_at FROM accounts ORDER BY created_at, id`)
	out, err := collect(rows, err, func(r pgx.Row) (*cardvault.Account, error) {
		var a cardvault.Account
		var created int64
		err := r.Scan(&a.ID, &a.Name, &created)
		a.CreatedAt = fromMS(created)
		return &a, err
	})
	return out, db.fail(ctx, "Accounts", err)
}

// APIKey returns the key record with the given hash (ENotFound).
func (db *DB) APIKey(ctx context.Context, hash [32]byte) (*cardvault.APIKey, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	k := cardvault.APIKey{Hash: hash}
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT account_id, mode, kind, sealed_secret, secret_scheme, secret_kek_version,
		created_at FROM api_keys WHERE hash = $1`, hash[:]).Scan(&k.AccountID, &k.Mode, &k.Kind, &k.SealedSecret,
		&k.SecretWrap.Scheme, &k.SecretWrap.KEKVersion, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.NotFound("api_key", "")
	}
	if err != nil {
		return nil, db.fail(ctx, "APIKey", err)
	}
	k.CreatedAt = fromMS(created)
	return &k, nil
}

// collect scans every row with scan, closing rows; err is the error of
// the query that returned rows.
func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
