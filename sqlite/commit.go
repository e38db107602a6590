package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 64

var errClosed = errors.New("sqlite: store is closed")

// writeReq is one logical write transaction waiting for the committer.
type writeReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// write runs fn as one atomic unit and returns once it is durably committed
// (or has failed and left no trace). Concurrent writes are grouped: the
// committer runs up to maxBatch of them in one SQLite transaction, each inside
// its own SAVEPOINT so that one failing rolls back alone, and commits them with
// a single fsync. No caller hears "success" before that commit.
//
// Once queued, a write is not abandoned when ctx is cancelled: it may already
// be committed, and the caller must not report failure for a write that happened.
func (db *DB) write(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	select {
	case db.reqs <- r:
	case <-db.closing:
		return errClosed
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

// commitBatch runs a batch in one transaction and answers every request.
func (db *DB) commitBatch(batch []*writeReq) {
	errs := make([]error, len(batch))
	answer := func() {
		for i, r := range batch {
			r.done <- errs[i]
		}
	}
	defer answer()
	tx, err := db.w.BeginTx(context.Background(), nil)
	if err != nil {
		fill(errs, err)
		return
	}
	single := len(batch) == 1
	for i, r := range batch {
		var fatal error
		errs[i], fatal = runOne(tx, r, single)
		if fatal != nil {
			tx.Rollback()
			fill(errs, fatal)
			return
		}
	}
	if single && errs[0] != nil {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
}

// runOne runs one request. Its own failure is err; fatal means the shared
// transaction is in an unknown state and the whole batch must fail. A lone
// request needs no savepoint: its failure rolls back the transaction.
func runOne(tx *sql.Tx, r *writeReq, single bool) (err, fatal error) {
	defer func() {
		if p := recover(); p != nil {
			// The value is not formatted: it could hold request data.
			err, fatal = errors.New("sqlite: write panicked"), errors.New("sqlite: batch aborted by a panic")
		}
	}()
	if single {
		return r.fn(tx), nil
	}
	if _, err := tx.ExecContext(r.ctx, "SAVEPOINT w"); err != nil {
		return err, err
	}
	if err := r.fn(tx); err != nil {
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

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}
