package postgres

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// The id slots (sqlite/seq.go): an id is slot<<slotBits | counter.
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
// per account and mode, never reused, unique across the store. The UPDATE
// locks the scope's row until the transaction ends, so a concurrent
// transaction (on any instance) draws the next counter after this one
// commits or rolls back; a rolled-back id is never seen by anyone.
func nextSeq(ctx context.Context, tx pgx.Tx, s cardvault.Scope, kind string) (int64, error) {
	for range slotTries {
		slot, n, err := bump(ctx, tx, s, kind)
		if errors.Is(err, pgx.ErrNoRows) {
			// No slot yet: draw one. Another transaction giving this scope its
			// slot at the same time makes ours do nothing (ON CONFLICT waits
			// for it), and the next bump finds that slot.
			if _, err = tx.Exec(ctx, `INSERT INTO id_slots (account_id, mode, slot) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, s.AccountID, s.Mode, 1+rand.Int64N(slotCount-1)); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		if n >= 1<<slotBits {
			return 0, cardvault.Internal("postgres: the %s ids of account %s, mode %s are exhausted", kind, s.AccountID, s.Mode)
		}
		return slot<<slotBits | n, nil
	}
	return 0, cardvault.Internal("postgres: no free id slot after %d draws", slotTries)
}

func bump(ctx context.Context, tx pgx.Tx, s cardvault.Scope, kind string) (slot, n int64, err error) {
	err = tx.QueryRow(ctx, `UPDATE id_slots SET `+kind+` = `+kind+` + 1 WHERE account_id = $1 AND mode = $2
		RETURNING slot, `+kind, s.AccountID, s.Mode).Scan(&slot, &n)
	return slot, n, err
}
