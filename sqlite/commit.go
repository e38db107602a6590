package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 64

var errClosed = errors.New("sqlite: store is closed")

// writeFunc is one logical write transaction. It must use the ctx it is given
// (which cannot be cancelled), never a request's own context: a statement
// interrupted by cancellation makes SQLite roll back the whole shared
// transaction, failing every other write of the batch.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

// writeReq is one write waiting for the committer.
type writeReq struct {
	ctx     context.Context
	fn      writeFunc
	destroy func() bool // reports, after fn, whether it destroyed card data: scrub the WAL after the commit
	probe   bool        // Ping's write probe, not a real write (health.record)
	done    chan error
}

// write runs fn as one atomic unit and returns once it is durably committed
// (or has failed and left no trace). Concurrent writes are grouped: the
// committer runs up to maxBatch of them in one SQLite transaction, each inside
// its own SAVEPOINT so that one failing rolls back alone, and commits them with
// a single fsync. No caller hears "success" before that commit.
//
// A write that ctx ends while it waits to be handed to the committer (which
// is busy with earlier batches) returns an error wrapping ctx.Err(): nothing
// was written. Once handed over, a write runs to its end even if ctx is
// cancelled: it may already be committed, and the caller must not report
// failure for a write that happened.
func (db *DB) write(ctx context.Context, fn writeFunc) error {
	return db.enqueue(ctx, &writeReq{fn: fn})
}

// destroy is write for a function that destroys card data: after the commit
// and before answering, the committer checkpoints and truncates the WAL, whose
// older frames still hold the destroyed ciphertext (secure_delete zeroes only
// the pages the delete itself writes).
func (db *DB) destroy(ctx context.Context, fn writeFunc) error {
	return db.enqueue(ctx, &writeReq{fn: fn, destroy: func() bool { return true }})
}

// destroyIf is destroy for a function that may destroy nothing: the
// committer scrubs only if destroyed, called after fn has run, reports true.
func (db *DB) destroyIf(ctx context.Context, fn writeFunc, destroyed func() bool) error {
	return db.enqueue(ctx, &writeReq{fn: fn, destroy: destroyed})
}

func (db *DB) enqueue(ctx context.Context, r *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.ctx, r.done = context.WithoutCancel(ctx), make(chan error, 1)
	select {
	case db.reqs <- r:
	case <-db.closing:
		return errClosed
	case <-ctx.Done():
		return fmt.Errorf("sqlite: write not started: %w", ctx.Err())
	}
	return <-r.done
}

// commitLoop is the single writer: it owns the writer connection.
func (db *DB) commitLoop() {
	defer close(db.stopped)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-db.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-db.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			db.commitBatch(batch)
		case <-db.closing:
			return
		}
	}
}

// commitBatch runs a batch in one transaction, answers every request and
// records the outcome for Ping.
func (db *DB) commitBatch(batch []*writeReq) {
	errs := make([]error, len(batch))
	defer func() {
		for i, r := range batch {
			r.done <- errs[i]
		}
	}()
	db.stats.batches.Add(1)
	db.stats.writes.Add(int64(len(batch)))
	committed, err := db.runBatch(batch, errs)
	realWrite := false
	for _, r := range batch {
		realWrite = realWrite || !r.probe
	}
	switch {
	case err != nil:
		db.health.record(err, realWrite)
	case firstFault(errs) != nil:
		db.health.record(firstFault(errs), realWrite)
	case committed:
		db.health.record(nil, realWrite)
	}
	if !committed {
		return
	}
	for i, r := range batch {
		if r.destroy != nil && errs[i] == nil && r.destroy() {
			db.scrub()
			break
		}
	}
}

// runBatch runs the batch's writes in one transaction and commits it, filling
// errs. It reports whether it committed, and the error that failed the whole
// batch (beginning, committing, or a fault that left the transaction in an
// unknown state), if any.
func (db *DB) runBatch(batch []*writeReq, errs []error) (bool, error) {
	db.head.valid = false // another process may have appended since the last batch
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		fill(errs, err)
		return false, err
	}
	single := len(batch) == 1
	for i, r := range batch {
		var fatal error
		errs[i], fatal = runOne(tx, r, single)
		if errs[i] != nil || fatal != nil {
			// Its savepoint, with any records it appended, rolled back. (Every
			// write appends last, so today only a failing RELEASE or a panic
			// could follow an append; the head is forgotten all the same.)
			db.head.valid = false
		}
		if fatal != nil {
			tx.Rollback()
			fill(errs, fatal)
			if storageFault(fatal) {
				return false, fatal
			}
			return false, nil
		}
	}
	if single && errs[0] != nil {
		tx.Rollback()
		return false, nil
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return false, err
	}
	return true, nil
}

// firstFault returns the first error in errs that is a storage fault.
func firstFault(errs []error) error {
	for _, err := range errs {
		if storageFault(err) {
			return err
		}
	}
	return nil
}

// runOne runs one request. Its own failure is err; fatal means the shared
// transaction is in an unknown state and the whole batch must fail. A lone
// request needs no savepoint: its failure rolls back the transaction.
func runOne(tx *sql.Tx, r *writeReq, single bool) (err, fatal error) {
	defer func() {
		if p := recover(); p != nil {
			// The stack, not the panic value, which could hold request data.
			err = fmt.Errorf("sqlite: write panicked\n%s", debug.Stack())
			fatal = errors.New("sqlite: batch aborted by a panic in another write")
		}
	}()
	if single {
		return r.fn(r.ctx, tx), nil
	}
	if _, err := tx.ExecContext(r.ctx, "SAVEPOINT w"); err != nil {
		return err, err
	}
	if err := r.fn(r.ctx, tx); err != nil {
		if _, rerr := tx.ExecContext(r.ctx, "ROLLBACK TO w"); rerr != nil {
			return err, fmt.Errorf("sqlite: rollback to savepoint: %w", rerr)
		}
		if _, rerr := tx.ExecContext(r.ctx, "RELEASE w"); rerr != nil {
			return err, fmt.Errorf("sqlite: release savepoint: %w", rerr)
		}
		return err, nil
	}
	if _, err := tx.ExecContext(r.ctx, "RELEASE w"); err != nil {
		return err, err
	}
	return nil, nil
}

// scrub checkpoints the WAL into the database file and truncates it, without
// waiting for readers: a reader on an old snapshot makes it partial instead of
// stalling every write, and the next write that destroys card data (the
// janitor's, if no other) tries again. Errors are ignored for the same reason.
func (db *DB) scrub() {
	db.stats.scrubs.Add(1)
	ctx := context.Background()
	_, _ = db.w.ExecContext(ctx, `PRAGMA busy_timeout = 0`)
	_, _ = db.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	_, _ = db.w.ExecContext(ctx, `PRAGMA busy_timeout = `+busyTimeoutMS)
}

// writeStats counts batches, writes and scrubs, for tests and diagnostics.
type writeStats struct {
	batches, writes, scrubs atomic.Int64
}

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}
