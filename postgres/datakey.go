package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// dataKeyColumns are the columns scanDataKey reads, in order.
const dataKeyColumns = `account_id, version, wrapped, scheme, kek_version, created_at`

func scanDataKey(r pgx.Row) (cardvault.DataKey, error) {
	var dk cardvault.DataKey
	var created int64
	err := r.Scan(&dk.AccountID, &dk.Version, &dk.Wrapped, &dk.Wrap.Scheme, &dk.Wrap.KEKVersion, &created)
	dk.CreatedAt = fromMS(created)
	return dk, err
}

func queryDataKeys(ctx context.Context, q querier, sql string, args ...any) ([]cardvault.DataKey, error) {
	rows, err := q.Query(ctx, sql, args...)
	return collect(rows, err, scanDataKey)
}

func insertDataKey(ctx context.Context, tx pgx.Tx, dk cardvault.DataKey) error {
	_, err := tx.Exec(ctx, `INSERT INTO data_keys (account_id, version, wrapped, scheme, kek_version, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, dk.AccountID, dk.Version, dk.Wrapped, dk.Wrap.Scheme, dk.Wrap.KEKVersion, ms(dk.CreatedAt))
	return err
}

func insertFingerprintKey(ctx context.Context, tx pgx.Tx, fk cardvault.FingerprintKey) error {
	_, err := tx.Exec(ctx, `INSERT INTO fingerprint_keys (account_id, wrapped, scheme, kek_version, created_at)
		VALUES ($1, $2, $3, $4, $5)`, fk.AccountID, fk.Wrapped, fk.Wrap.Scheme, fk.Wrap.KEKVersion, ms(fk.CreatedAt))
	return err
}

// DataKey returns an account's wrapped data key of a version (ENotFound).
func (db *DB) DataKey(ctx context.Context, accountID string, version int) (cardvault.DataKey, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	return db.dataKey(ctx, "DataKey", `SELECT `+dataKeyColumns+` FROM data_keys WHERE account_id = $1 AND version = $2`, accountID, version)
}

// CurrentDataKey returns an account's newest wrapped data key (ENotFound).
func (db *DB) CurrentDataKey(ctx context.Context, accountID string) (cardvault.DataKey, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	return db.dataKey(ctx, "CurrentDataKey", `SELECT `+dataKeyColumns+` FROM data_keys WHERE account_id = $1
		ORDER BY version DESC LIMIT 1`, accountID)
}

func (db *DB) dataKey(ctx context.Context, op, sql string, args ...any) (cardvault.DataKey, error) {
	dk, err := scanDataKey(db.pool.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return dk, cardvault.NotFound("data_key", "")
	}
	return dk, db.fail(ctx, op, err)
}

// DataKeys returns up to limit wrapped data keys, oldest first.
func (db *DB) DataKeys(ctx context.Context, limit int) ([]cardvault.DataKey, error) {
	dks, err := queryDataKeys(ctx, db.pool, `SELECT `+dataKeyColumns+` FROM data_keys
		ORDER BY created_at, account_id, version LIMIT $1`, limit)
	return dks, db.fail(ctx, "DataKeys", err)
}

// FingerprintKey returns an account's wrapped fingerprint key (ENotFound).
func (db *DB) FingerprintKey(ctx context.Context, accountID string) (cardvault.FingerprintKey, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	fk := cardvault.FingerprintKey{AccountID: accountID}
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM fingerprint_keys
		WHERE account_id = $1`, accountID).Scan(&fk.Wrapped, &fk.Wrap.Scheme, &fk.Wrap.KEKVersion, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return fk, cardvault.NotFound("fingerprint_key", "")
	}
	fk.CreatedAt = fromMS(created)
	return fk, db.fail(ctx, "FingerprintKey", err)
}

// AddDataKey stores an account's next data key (EConflict unless it is the
// newest plus one; ENotFound without the account).
func (db *DB) AddDataKey(ctx context.Context, dk cardvault.DataKey) error {
	if err := needTimes("AddDataKey", dk.CreatedAt); err != nil {
		return err
	}
	if len(dk.Wrapped) == 0 {
		return cardvault.Internal("postgres: AddDataKey: no wrapped key")
	}
	return db.write(ctx, "AddDataKey", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, false); err != nil {
			return err
		}
		if err := lockAccount(ctx, tx, dk.AccountID); err != nil {
			return err
		}
		var newest *int64
		if err := tx.QueryRow(ctx, `SELECT max(version) FROM data_keys WHERE account_id = $1`,
			dk.AccountID).Scan(&newest); err != nil {
			return err
		}
		if newest == nil {
			return cardvault.NotFound("account", dk.AccountID)
		}
		if int64(dk.Version) != *newest+1 {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "version",
				Err: fmt.Errorf("data key version %d is not the next one (the newest is %d)", dk.Version, *newest)}
		}
		if err := insertDataKey(ctx, tx, dk); err != nil {
			return err
		}
		return appendAudit(ctx, tx, "")
	})
}

// StaleCards returns up to limit of an account's cards sealed under a data
// key older than below, after the id after, in id order.
func (db *DB) StaleCards(ctx context.Context, accountID string, below int, after string, limit int) ([]cardvault.SealedCard, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, key_version, pan_sealed FROM cards
		WHERE account_id = $1 AND key_version < $2 AND id > $3 ORDER BY id LIMIT $4`, accountID, below, after, limit)
	out, err := collect(rows, err, func(r pgx.Row) (cardvault.SealedCard, error) {
		var c cardvault.SealedCard
		err := r.Scan(&c.ID, &c.KeyVersion, &c.Sealed)
		return c, err
	})
	return out, db.fail(ctx, "StaleCards", err)
}

// Reseal replaces sealed card numbers whose card still holds the old one, in
// one write transaction. The data key of each new version must exist.
func (db *DB) Reseal(ctx context.Context, rs []cardvault.Reseal) (int, error) {
	var n int
	err := db.write(ctx, "Reseal", func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		for _, r := range rs {
			tag, err := tx.Exec(ctx, `UPDATE cards SET pan_sealed = $1, key_version = $2
				WHERE id = $3 AND account_id = $4 AND pan_sealed = $5
				AND EXISTS (SELECT 1 FROM data_keys WHERE account_id = $4 AND version = $2)`,
				r.New, r.KeyVersion, r.ID, r.AccountID, r.Old)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		if n == 0 {
			return nil
		}
		return appendAudit(ctx, tx, strconv.Itoa(n))
	})
	return n, err
}
