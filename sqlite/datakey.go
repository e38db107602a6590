package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/cardvault/cardvault"
)

// AddDataKey stores an account's next data key (EConflict unless it is the
// newest plus one; ENotFound without the account).
func (db *DB) AddDataKey(ctx context.Context, dk cardvault.DataKey) error {
	if err := needTimes("AddDataKey", dk.CreatedAt); err != nil {
		return err
	}
	if len(dk.Wrapped) == 0 {
		return cardvault.Internal("sqlite: AddDataKey: no wrapped key")
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var newest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM data_keys WHERE account_id = ?`,
			dk.AccountID).Scan(&newest); err != nil {
			return err
		}
		if !newest.Valid {
			return cardvault.NotFound("account", dk.AccountID)
		}
		if int64(dk.Version) != newest.Int64+1 {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "version",
				Err: fmt.Errorf("data key version %d is not the next one (the newest is %d)", dk.Version, newest.Int64)}
		}
		if err := insertDataKey(ctx, tx, dk); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, "")
	})
}

// StaleCards returns up to limit of an account's cards sealed under a data
// key older than below, after the id after, in id order.
func (db *DB) StaleCards(ctx context.Context, accountID string, below int, after string, limit int) ([]cardvault.SealedCard, error) {
	rows, err := db.rq.QueryContext(ctx, `SELECT id, key_version, pan_sealed FROM cards
		WHERE account_id = ? AND key_version < ? AND id > ? ORDER BY id LIMIT ?`, accountID, below, after, limit)
	if err != nil {
		return nil, readErr(ctx, err)
	}
	defer rows.Close()
	var out []cardvault.SealedCard
	for rows.Next() {
		var c cardvault.SealedCard
		if err := rows.Scan(&c.ID, &c.KeyVersion, &c.Sealed); err != nil {
			return nil, readErr(ctx, err)
		}
		out = append(out, c)
	}
	return out, readErr(ctx, rows.Err())
}

// Reseal replaces sealed card numbers whose card still holds the old one, in
// one write transaction. The data key of each new version must exist.
func (db *DB) Reseal(ctx context.Context, rs []cardvault.Reseal) (int, error) {
	var n int
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		for _, r := range rs {
			res, err := tx.ExecContext(ctx, `UPDATE cards SET pan_sealed = ?, key_version = ?
				WHERE id = ? AND account_id = ? AND pan_sealed = ?
				AND EXISTS (SELECT 1 FROM data_keys WHERE account_id = ? AND version = ?)`,
				r.New, r.KeyVersion, r.ID, r.AccountID, r.Old, r.AccountID, r.KeyVersion)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		if n == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, strconv.Itoa(n))
	})
	return n, err
}
