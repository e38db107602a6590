package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// seedTokens inserts n unused tokens with their cards, created and expiring
// at created (ms).
func seedTokens(t *testing.T, db *DB, n int, created int64) {
	t.Helper()
	if err := db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO accounts (id, created_at) VALUES ('acct_p', 1)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO cards (id, account_id, mode, bin, brand, last4, fingerprint, pan_sealed, key_version,
				exp_month, exp_year, cvv_checked, created_at, modified_at)
			SELECT 'card_' || ? || '_' || i, 'acct_p', 1, '424242', 'visa', '4242', 'fp', randomblob(40), 1, 12, 2040, 1, ?, ?
			FROM n`, n, created, created, created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, account_id, mode, card_id, used, created_at, expires_at)
			SELECT 'tokn_' || substr(id, 6), 'acct_p', 1, id, 0, created_at, created_at FROM cards WHERE created_at = ?`, created)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *DB, q string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPurgeInBatches: a large purge runs as write transactions of at most
// purgeBatch rows, scrubs the WAL after each batch that destroyed card data
// and never after one that destroyed none.
func TestPurgeInBatches(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const expired = 2*purgeBatch + 201
	seedTokens(t, db, expired, 1000)
	seedTokens(t, db, 3, 5000) // not expired
	writes, scrubs := db.stats.writes.Load(), db.stats.scrubs.Load()
	n, err := db.PurgeTokens(ctx, time.UnixMilli(2000), time.UnixMilli(500))
	if err != nil || n != expired {
		t.Fatalf("PurgeTokens = %d, %v; want %d", n, err, expired)
	}
	// Three batches of cards (500, 500, 201), one of forgetting (nothing).
	if got := db.stats.writes.Load() - writes; got != 4 {
		t.Errorf("PurgeTokens ran %d write transactions, want 4", got)
	}
	if got := db.stats.scrubs.Load() - scrubs; got != 3 {
		t.Errorf("PurgeTokens scrubbed %d times, want 3 (once per batch that destroyed cards)", got)
	}
	if got := count(t, db, `SELECT count(*) FROM cards`); got != 3 {
		t.Errorf("%d cards left, want the 3 fresh ones", got)
	}
	if got := count(t, db, `SELECT count(*) FROM tokens WHERE card_id IS NULL`); got != expired {
		t.Errorf("%d tombstones, want %d", got, expired)
	}

	// Nothing to destroy: no scrub.
	writes, scrubs = db.stats.writes.Load(), db.stats.scrubs.Load()
	if n, err := db.PurgeTokens(ctx, time.UnixMilli(2000), time.UnixMilli(500)); err != nil || n != 0 {
		t.Fatalf("second PurgeTokens = %d, %v; want 0", n, err)
	}
	if got := db.stats.scrubs.Load() - scrubs; got != 0 {
		t.Errorf("a purge that destroyed nothing scrubbed %d times", got)
	}
	if got := db.stats.writes.Load() - writes; got != 2 {
		t.Errorf("an empty purge ran %d write transactions, want 2", got)
	}

	// Forgetting the tombstones is batched too.
	writes = db.stats.writes.Load()
	if n, err := db.PurgeTokens(ctx, time.UnixMilli(2000), time.UnixMilli(2000)); err != nil || n != 0 {
		t.Fatalf("forgetting PurgeTokens = %d, %v", n, err)
	}
	if got := db.stats.writes.Load() - writes; got != 1+3 {
		t.Errorf("forgetting %d tokens ran %d write transactions, want 4", expired, got)
	}
	if got := count(t, db, `SELECT count(*) FROM tokens`); got != 3 {
		t.Errorf("%d tokens left, want the 3 fresh ones", got)
	}
}
