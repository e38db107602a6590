package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// Free space on the file system that holds the database. Ping fails below
// nearlyFullFree ("disk nearly full"), whatever the writer's last outcome: a
// write that needs new pages fails there soon. A storage fault of a real write
// (disk full) is cleared by a probe only once comfortableFree is free: the
// probe rewrites one row, which fits in WAL pages already allocated, so its
// success says little about room for real writes. On a file system smaller
// than 256 MiB (a test's tmpfs, a tiny volume) the thresholds scale down to
// 1/16 and 1/4 of its size, or Ping could never succeed there; SQLite's needs
// scale with the database, which such a file system bounds.
const (
	nearlyFullFree  = 16 << 20
	comfortableFree = 64 << 20
)

// errNoStatfs says that free space cannot be read on this platform: Ping then
// skips the free-space floor, and a probe's success clears a storage fault.
var errNoStatfs = errors.New("free space unknown on this platform")

// fsSpace is the free (available to the process's user) and total size of a
// file system, in bytes.
type fsSpace struct{ avail, size uint64 }

// floor is the free space below which Ping fails.
func (s fsSpace) floor() uint64 { return min(nearlyFullFree, s.size/16) }

// comfortable is the free space with which a probe clears a storage fault.
func (s fsSpace) comfortable() uint64 { return min(comfortableFree, s.size/4) }

// health is what the committer knows about the writer: the outcome of the
// last commit, the storage fault of a real write not yet cleared, and the
// probe in flight, if any.
type health struct {
	interval time.Duration           // probeInterval; tests change it
	space    func() (fsSpace, error) // the database's file system; tests replace it

	mu    sync.Mutex
	at    time.Time // when the last outcome was recorded; zero: none yet
	err   error     // the last outcome: nil after a successful commit
	fault error     // the failure of a real write, until cleared (record)
	probe *probeRun // the probe in flight, or nil
}

// probeRun is one probe, shared by every Ping that waits for it.
type probeRun struct {
	done chan struct{}
	err  error
}

// record notes the outcome of a commit; realWrite is false for a batch that
// held only the probe. A real write's failure is kept as the fault, which only a
// real write's success clears, or a probe's success with comfortable free
// space: a disk too full for real writes often still takes the probe's row.
func (h *health) record(err error, realWrite bool) {
	ample := false
	if err == nil && !realWrite {
		sp, serr := h.space()
		ample = errors.Is(serr, errNoStatfs) || serr == nil && sp.avail >= sp.comfortable()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at, h.err = time.Now(), err
	switch {
	case err != nil && realWrite:
		h.fault = err
	case err == nil && (realWrite || ample):
		h.fault = nil
	}
}

// answer is Ping's verdict on the writer from what was recorded.
func (h *health) answer() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return writerErr(h.err)
	}
	if h.fault != nil {
		return fmt.Errorf("sqlite: a write failed and none has committed since (a probe succeeds, "+
			"but too little space is free to trust it): %w", h.fault)
	}
	return nil
}

// Ping checks that the database answers a read, that the file at the path is
// still the one the store opened, that its file system is not nearly full,
// and that the writer works: a commit in the last probeInterval answers for
// the writer (failed: Ping fails with its error); otherwise a write probe
// does, shared by concurrent Pings. A real write's storage fault keeps Ping
// failing until it is cleared (see record).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.rq.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return readErr(ctx, err)
	}
	if err := db.checkSameFile(); err != nil {
		return err
	}
	if err := db.checkSpace(); err != nil {
		return err
	}
	h := &db.health
	h.mu.Lock()
	if !h.at.IsZero() && time.Since(h.at) < h.interval {
		h.mu.Unlock()
		return h.answer()
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
		if p.err != nil {
			return writerErr(p.err)
		}
		return h.answer()
	case <-ctx.Done():
		return readErr(ctx, ctx.Err())
	}
}

// checkSameFile fails when the file at the store's path is no longer the one
// it opened (deleted or replaced while open): writes would still commit, into
// a file no path reaches, and be lost at the next start.
func (db *DB) checkSameFile() error {
	fi, err := os.Stat(db.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("sqlite: %s: the database file was deleted (or moved) while the store had it open: "+
			"writes go to a file that a restart will not find", db.path)
	case err != nil:
		return fmt.Errorf("sqlite: %w", err)
	case !os.SameFile(fi, db.file):
		return fmt.Errorf("sqlite: %s: the database file was replaced while the store had it open: "+
			"writes go to the old file, which a restart will not find", db.path)
	}
	return nil
}

// checkSpace fails when the database's file system is nearly full.
func (db *DB) checkSpace() error {
	sp, err := db.health.space()
	if errors.Is(err, errNoStatfs) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: free space of %s: %w", filepath.Dir(db.path), err)
	}
	if sp.avail < sp.floor() {
		return fmt.Errorf("sqlite: disk nearly full: %s free on the file system of %s, under the floor of %s",
			mib(sp.avail), filepath.Dir(db.path), mib(sp.floor()))
	}
	return nil
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// runProbe writes the probe row through the committer (which records the
// outcome) and hands the result to the waiting Pings.
func (db *DB) runProbe(p *probeRun) {
	p.err = db.enqueue(context.Background(), &writeReq{probe: true, fn: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, time.Now().UnixMilli())
		return err
	}})
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
