package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// probeInterval is how long the outcome of the last commit answers Ping. An
// older outcome (an idle store) makes Ping probe the writer with a one-row
// write; a flood of Pings shares one probe, so it costs at most one fsync per
// interval.
const probeInterval = time.Second

// health is what the committer knows about the writer: the outcome of the
// last commit, and the probe in flight, if any.
type health struct {
	interval time.Duration // probeInterval; tests change it

	mu    sync.Mutex
	at    time.Time // when the last outcome was recorded; zero: none yet
	err   error     // the last outcome: nil after a successful commit
	probe *probeRun // the probe in flight, or nil
}

// probeRun is one probe, shared by every Ping that waits for it.
type probeRun struct {
	done chan struct{}
	err  error
}

// record notes the outcome of a commit.
func (h *health) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at, h.err = time.Now(), err
}

// Ping checks that the database answers a read and that the writer works: a
// commit in the last probeInterval answers for the writer (failed: Ping fails
// with its error); otherwise a write probe does, shared by concurrent Pings.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.rq.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return readErr(ctx, err)
	}
	h := &db.health
	h.mu.Lock()
	if !h.at.IsZero() && time.Since(h.at) < h.interval {
		err := h.err
		h.mu.Unlock()
		return writerErr(err)
	}
	p := h.probe
	if p == nil {
		p = &probeRun{done: make(chan struct{})}
		h.probe = p
		go db.runProbe(p)
	}
	h.mu.Unlock()
	select {
	case <-p.done:
		return writerErr(p.err)
	case <-ctx.Done():
		return readErr(ctx, ctx.Err())
	}
}

// runProbe writes the probe row through the committer (which records the
// outcome) and hands the result to the waiting Pings.
func (db *DB) runProbe(p *probeRun) {
	p.err = db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, time.Now().UnixMilli())
		return err
	})
	db.health.mu.Lock()
	db.health.probe = nil
	db.health.mu.Unlock()
	close(p.done)
}

func writerErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: the writer fails: %w", err)
}

// storageFault reports whether a write's error says that the database
// cannot be written (rather than that the write itself was refused).
func storageFault(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_PERM,
		sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM:
		return true
	}
	return false
}
