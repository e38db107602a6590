package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// OpenReadOnly opens the existing store at path for inspection (cardvault
// doctor): after the same start-up checks as Open (CheckFile, and a refusal
// of a database that is not a cardvault store), but without creating,
// migrating or writing anything: both pools are query_only, so a write
// through the returned DB fails, and no journal mode is set; the database
// file and its directory are as they were once the DB is closed. A store that needs migrations opens as it is: reads of tables
// or columns a pending migration adds fail, PendingMigrations says which.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	if err := checkStore(ctx, path); err != nil {
		return nil, err
	}
	pragmas := []string{"busy_timeout(" + busyTimeoutMS + ")", "query_only(1)"}
	// Without a WAL file the connections open the file as checkStore does:
	// SQLite makes the WAL and shared-memory files and, with nothing
	// written, removes them at the last close, leaving the directory as it
	// was. (mode=ro would leave both behind.) With a WAL file (a server is
	// running, or one stopped without its final checkpoint) the file is
	// opened mode=ro, so that closing cannot checkpoint that WAL into it.
	var ro url.Values
	if _, err := os.Lstat(path + "-wal"); err == nil {
		ro = url.Values{"mode": {"ro"}}
	}
	w, err := sql.Open("sqlite", dsn(path, pragmas, ro))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn(path, pragmas, ro))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	dir := filepath.Dir(abs)
	db := &DB{w: w, r: r, rq: reader{newStmtCache(r)}, path: abs,
		health: health{interval: probeInterval, space: func() (fsSpace, error) { return diskSpace(dir) }},
		reqs:   make(chan *writeReq), closing: make(chan struct{}), stopped: make(chan struct{})}
	go db.commitLoop()
	if db.file, err = os.Stat(path); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

// Migrations lists the migrations this build embeds, in the order Open
// applies them.
func Migrations() []string {
	names, _ := fs.Glob(migrations, "migration/*.sql") // the pattern is valid
	sort.Strings(names)
	return names
}

// PendingMigrations lists the embedded migrations the store has not applied
// (Open would apply them), and unknown the ones it records that this build
// does not embed (a newer build wrote the store).
func (db *DB) PendingMigrations(ctx context.Context) (pending, unknown []string, err error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, nil, fmt.Errorf("sqlite: %w", err)
		}
		applied[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: %w", err)
	}
	for _, n := range Migrations() {
		if !applied[n] {
			pending = append(pending, n)
		}
		delete(applied, n)
	}
	for n := range applied {
		unknown = append(unknown, n)
	}
	sort.Strings(unknown)
	return pending, unknown, nil
}

// maxCheckProblems bounds the problems QuickCheck returns.
const maxCheckProblems = 20

// QuickCheck runs SQLite's full PRAGMA quick_check over the database and
// returns the problems it reports (at most maxCheckProblems; none: the file
// is sound). It reads every page: it takes time proportional to the file.
func (db *DB) QuickCheck(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`PRAGMA quick_check(%d)`, maxCheckProblems))
	if err != nil {
		return nil, fmt.Errorf("sqlite: quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("sqlite: quick_check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: quick_check: %w", err)
	}
	return problems, nil
}

// NewestTime returns the latest created_at of any row of any table that has
// that column (zero if none): a clock behind it has gone backwards.
func (db *DB) NewestTime(ctx context.Context) (time.Time, error) {
	var newest int64
	rows, err := db.r.QueryContext(ctx, `SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'created_at' ORDER BY m.name`)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return time.Time{}, fmt.Errorf("sqlite: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("sqlite: %w", err)
	}
	for _, t := range tables {
		var v sql.NullInt64
		// t comes from sqlite_schema; quoted as an identifier all the same.
		if err := db.r.QueryRowContext(ctx, `SELECT max(created_at) FROM "`+t+`"`).Scan(&v); err != nil {
			return time.Time{}, fmt.Errorf("sqlite: %s: %w", t, err)
		}
		newest = max(newest, v.Int64)
	}
	if newest <= 0 {
		return time.Time{}, nil
	}
	return fromMS(newest), nil
}

// DiskSpace returns the bytes free for this process's user and the size of
// the file system holding dir; ErrNoStatfs where the platform cannot tell.
func DiskSpace(dir string) (avail, size uint64, err error) {
	sp, err := diskSpace(dir)
	return sp.avail, sp.size, err
}

// ErrNoStatfs is DiskSpace's error where free space cannot be read.
var ErrNoStatfs = errNoStatfs
