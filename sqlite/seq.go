package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"

	"github.com/cardvault/cardvault"
)

// The id slots of migration 004: an id is slot<<slotBits | counter.
const (
	slotBits  = 32
	slotCount = 1 << 21 // slots 1 … slotCount-1; ids stay below 2^53
	slotTries = 64      // random draws before giving up on a free slot
)

// Kinds of ChargeOver ids: the id_slots column that counts each.
const (
	customerSeq = "last_customer"
	cardSeq     = "last_card"
)

// nextSeq hands out the next ChargeOver id of a kind in scope s: ascending
// per account and mode, never reused, unique across the store.
func nextSeq(ctx context.Context, tx *sql.Tx, s cardvault.Scope, kind string) (int64, error) {
	slot, n, err := bump(ctx, tx, s, kind)
	if errors.Is(err, sql.ErrNoRows) {
		if err = newSlot(ctx, tx, s); err == nil {
			slot, n, err = bump(ctx, tx, s, kind)
		}
	}
	if err != nil {
		return 0, err
	}
	if n >= 1<<slotBits {
		return 0, cardvault.Internal("sqlite: the %s ids of account %s, mode %s are exhausted", kind, s.AccountID, s.Mode)
	}
	return slot<<slotBits | n, nil
}

func bump(ctx context.Context, tx *sql.Tx, s cardvault.Scope, kind string) (slot, n int64, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE id_slots SET `+kind+` = `+kind+` + 1 WHERE account_id = ? AND mode = ?
		RETURNING slot, `+kind, s.AccountID, s.Mode).Scan(&slot, &n)
	return slot, n, err
}

// newSlot gives scope s a free slot drawn at random.
func newSlot(ctx context.Context, tx *sql.Tx, s cardvault.Scope) error {
	for range slotTries {
		res, err := tx.ExecContext(ctx, `INSERT INTO id_slots (account_id, mode, slot) VALUES (?, ?, ?)
			ON CONFLICT (slot) DO NOTHING`, s.AccountID, s.Mode, 1+rand.Int64N(slotCount-1))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
	}
	return cardvault.Internal("sqlite: no free id slot after %d draws", slotTries)
}
