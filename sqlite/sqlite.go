// Package sqlite is cardvault's embedded store: SQLite through the pure-Go
// modernc driver, in WAL mode with synchronous=FULL, so that a committed write
// is on disk. Writes go through one connection with BEGIN IMMEDIATE; reads use
// a pool of their own.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cardvault/cardvault"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (e.g. `cardvault account create` beside a running server).
const busyTimeoutMS = "10000"

// readConns is the size of the read pool.
const readConns = 8

//go:embed migration/*.sql
var migrations embed.FS

// DB is a cardvault.Store on an SQLite file.
type DB struct {
	w  *sql.DB // the single writer: migrations' bookkeeping table at Open, then only commitLoop
	r  *sql.DB // readers
	rq reader  // the read pool through the statement cache

	reqs    chan *writeReq // to the committer
	closing chan struct{}  // closed by Close
	stopped chan struct{}  // closed when the committer has returned
	once    sync.Once
	stats   writeStats
	health  health
	head    auditHeadCache // the committer's: the audit chain's head within a batch

	path string      // the database file's absolute path
	file os.FileInfo // the file at path when the store opened it (checkSameFile)
}

var _ cardvault.Store = (*DB)(nil)

// Open opens the database file at path and migrates it. A new store is
// created only where no file exists (mode 0600; SQLite gives its WAL and
// shared-memory files the same mode), and not while a WAL or shared-memory
// file of an earlier database lies at the path (ErrNotDatabase). An existing
// file that is empty, shorter than its header, has a damaged header or is
// shorter than the pages its header records is refused with an error that
// names the file and the problem and wraps ErrNotDatabase; an SQLite database
// that is not a cardvault store is refused unchanged, wrapping ErrNotStore.
// Several processes may open one new store at once: each waits for the
// others' migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, nil)
}

// open is Open that applies only the migrations named in only (nil: all).
func open(ctx context.Context, path string, only []string) (*DB, error) {
	abs, err := filepath.Abs(path) // for Ping, should the process change directory
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	created, err := createFile(path)
	if err != nil {
		return nil, err
	}
	if !created {
		if err := CheckFile(path); err != nil {
			return nil, err
		}
		if err := checkStore(ctx, path); err != nil {
			return nil, err
		}
	}
	// busy_timeout comes first (the driver applies it first in any case):
	// every later pragma may need a lock another opener of the store holds.
	pragmas := []string{"busy_timeout(" + busyTimeoutMS + ")", "journal_mode(WAL)", "synchronous(FULL)",
		"foreign_keys(1)", "secure_delete(1)"}
	w, err := sql.Open("sqlite", dsn(path, pragmas, url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// Readers: deferred BEGIN, never write.
	r, err := sql.Open("sqlite", dsn(path, append(pragmas, "query_only(1)"), nil))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns) // keep connections, and the statements prepared on them
	dir := filepath.Dir(abs)
	db := &DB{w: w, r: r, rq: reader{newStmtCache(r)}, path: abs,
		health: health{interval: probeInterval, space: func() (fsSpace, error) { return diskSpace(dir) }},
		reqs:   make(chan *writeReq), closing: make(chan struct{}), stopped: make(chan struct{})}
	go db.commitLoop()
	if err := db.migrate(ctx, only); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: migrate: %w", path, err)
	}
	// The writer has the file open since the migrations: this is its identity.
	if db.file, err = os.Stat(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

// dsn returns the driver's data source name for the file at path.
func dsn(path string, pragmas []string, extra url.Values) string {
	q := url.Values{"_pragma": pragmas}
	for k, v := range extra {
		q[k] = v
	}
	// The path is part of a URI: escape the characters that would end it early.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// Close stops the committer after the batch in progress and closes both
// pools. Writes arriving afterwards fail.
func (db *DB) Close() error {
	db.once.Do(func() { close(db.closing) })
	<-db.stopped
	err := db.r.Close()
	db.rq.c.close()
	return errors.Join(err, db.w.Close())
}

// migrate applies the migrations not yet recorded in schema_migrations
// (which createFile made with the file, and checkStore found in an existing one).
func (db *DB) migrate(ctx context.Context, only []string) error {
	names, err := fs.Glob(migrations, "migration/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if only != nil {
		names = only
	}
	for _, name := range names {
		if err := db.migrateOne(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, name string) error {
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
			return err
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().UnixMilli())
		return err
	})
}

// queryer is what read helpers need: a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readErr marks the error of a read that the caller's context ended: it then
// wraps ctx.Err() (context.Canceled or context.DeadlineExceeded, for
// errors.Is) as well as the driver's error. Domain errors pass unchanged.
func readErr(ctx context.Context, err error) error {
	var de *cardvault.Error
	if err == nil || errors.As(err, &de) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("sqlite: read interrupted: %w: %w", cerr, err)
	}
	return err
}

// classify turns driver errors into domain errors by SQLite extended code.
func classify(err error, field string) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return &cardvault.Error{Code: cardvault.EConflict, Field: field, Err: err}
	}
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// needTimes refuses a zero (or pre-1970) time given to a write: a caller
// whose clock was left unset must fail, not store 1970 or year 1.
func needTimes(method string, ts ...time.Time) error {
	for i, t := range ts {
		if t.IsZero() || t.UnixMilli() <= 0 {
			return cardvault.Internal("sqlite: %s: time %d is unset (%s)", method, i+1, t.Format(time.RFC3339))
		}
	}
	return nil
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullable maps "" to SQL NULL (for unique columns where "" means unset).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
