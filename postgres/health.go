package postgres

import "context"

// Ping checks that the database answers and accepts writes: a server in
// recovery (a standby, or a primary demoted by a failover) or a read-only
// session fails, as would every write sent to it.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var writable bool
	err := db.pool.QueryRow(ctx, `SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'`).Scan(&writable)
	if err != nil {
		return db.fail(ctx, "Ping", err)
	}
	if !writable {
		return db.fail(ctx, "Ping", errReadOnly)
	}
	return nil
}
