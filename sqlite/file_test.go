package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustStoreFile returns the bytes of a closed store with a few hundred pages
// (the WAL checkpointed into the file).
func mustStoreFile(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('a', zeroblob(400000), 1)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("WAL left after Close (%v): the file alone is not the whole store", err)
	}
	return b
}

// TestOpenRefusesDamagedFiles: a file that exists is never taken for a new
// store; each kind of damage is named in the error, with the path.
func TestOpenRefusesDamagedFiles(t *testing.T) {
	good := mustStoreFile(t)
	pageSize := int(binary.BigEndian.Uint16(good[16:18]))
	pages := int(binary.BigEndian.Uint32(good[28:32]))
	if pages < 10 || len(good) != pages*pageSize {
		t.Fatalf("test store: %d bytes, header says %d pages of %d", len(good), pages, pageSize)
	}
	with := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name    string
		content []byte
		problem string // "" means Open must succeed
	}{
		{"intact", good, ""},
		{"empty", nil, "empty (0 bytes)"},
		{"shorter than a header", good[:60], "shorter (60 bytes) than an SQLite header"},
		{"not SQLite", with(func(b []byte) []byte { copy(b, "PostgreSQL dump!"); return b }), "magic"},
		{"bad page size", with(func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 1000); return b }), "page size (1000)"},
		{"zeroed header", with(func(b []byte) []byte { clear(b[:100]); return b }), "magic"},
		{"bad format version", with(func(b []byte) []byte { b[18] = 9; return b }), "header is damaged"},
		{"bad payload fraction", with(func(b []byte) []byte { b[21] = 0; return b }), "header is damaged"},
		{"shorter than a page", good[:pageSize-1], "shorter than its first page"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"one page short", good[:len(good)-pageSize], "truncated"},
		// The in-header size is ignored when version-valid-for differs from the change counter.
		{"stale in-header size", with(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[28:], uint32(pages+5))
			binary.BigEndian.PutUint32(b[92:], binary.BigEndian.Uint32(b[24:])+1)
			return b
		}), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cardvault.db")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(context.Background(), path)
			if tc.problem == "" {
				if err != nil {
					t.Fatalf("Open: %v, want success", err)
				}
				db.Close()
				return
			}
			if err == nil {
				db.Close()
				t.Fatalf("Open succeeded, want an error about %q", tc.problem)
			}
			if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("Open = %v; want ErrNotDatabase naming %s and %q", err, path, tc.problem)
			}
			if b, _ := os.ReadFile(path); len(b) != len(tc.content) {
				t.Errorf("Open changed the refused file: %d bytes, was %d", len(b), len(tc.content))
			}
		})
	}
}

// TestOpenWithPagesInTheWAL: a store left by a crash, whose newest pages are
// only in the WAL, is valid; a header that records more pages than the file
// holds is accepted while a WAL with frames is beside it, refused without.
func TestOpenWithPagesInTheWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.w.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		t.Fatal(err)
	}
	if err := db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES ('crash', zeroblob(200000), 1)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Copy the files while the store is open: what a crash leaves.
	crash := filepath.Join(t.TempDir(), "db")
	copyFiles := func(suffixes ...string) {
		t.Helper()
		for _, suffix := range suffixes {
			b, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(crash+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyFiles("", "-wal")
	db2, err := Open(context.Background(), crash)
	if err != nil {
		t.Fatalf("Open(crashed store with its WAL): %v", err)
	}
	var n int
	if err := db2.r.QueryRow(`SELECT count(*) FROM accounts WHERE id = 'crash'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("account written before the crash: count %d (%v), want 1", n, err)
	}
	db2.Close()

	// A checkpoint interrupted after page 1: the header records more pages than the file has.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(b[28:], binary.BigEndian.Uint32(b[28:])+3)
	if err := os.WriteFile(crash, b, 0o600); err != nil {
		t.Fatal(err)
	}
	copyFiles("-wal")
	if err := CheckFile(crash); err != nil {
		t.Errorf("CheckFile with a WAL beside: %v, want nil", err)
	}
	if err := os.Remove(crash + "-wal"); err != nil {
		t.Fatal(err)
	}
	if err := CheckFile(crash); !errors.Is(err, ErrNotDatabase) {
		t.Errorf("CheckFile without the WAL: %v, want ErrNotDatabase (truncated)", err)
	}
}

// TestConcurrentOpenOfANewStore: processes opening one new store at the same
// moment (a server and `account create`) all succeed, and each migration is
// applied once.
func TestConcurrentOpenOfANewStore(t *testing.T) {
	files, _ := fs.Glob(migrations, "migration/*.sql")
	const openers, rounds = 3, 30
	for round := range rounds {
		path := filepath.Join(t.TempDir(), "db")
		var wg sync.WaitGroup
		dbs := make([]*DB, openers)
		errs := make([]error, openers)
		start := make(chan struct{})
		for i := range openers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				dbs[i], errs[i] = Open(context.Background(), path)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, opener %d: %v", round, i, err)
				continue
			}
			var n int
			if err := dbs[i].r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
				t.Errorf("round %d, opener %d: %d migrations recorded (%v), want %d", round, i, n, err, len(files))
			}
			dbs[i].Close()
		}
		if left, _ := filepath.Glob(path + ".new-*"); len(left) > 0 {
			t.Errorf("round %d: temporary files left: %v", round, left)
		}
	}
}

// TestOpenWaitsForALock: a store locked by another process (here a
// connection in exclusive locking mode, as during another opener's first
// transaction) makes Open wait for the lock, not fail with "database is
// locked": busy_timeout is set before any pragma that needs the file.
func TestOpenWaitsForALock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	other, err := sql.Open("sqlite", dsn(path, []string{"locking_mode(EXCLUSIVE)"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec(`BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		db, err := Open(context.Background(), path)
		if err == nil {
			db.Close()
		}
		opened <- err
	}()
	// Hold the lock for a while, then let go; Open must have waited.
	select {
	case err := <-opened:
		t.Fatalf("Open returned while another connection held the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := other.Exec(`COMMIT`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := <-opened; err != nil {
		t.Errorf("Open after the lock was released: %v", err)
	}
}

// TestNewFileAppearsWhole: while Open creates a store, another process
// looking at the path sees no file or a database with its header, never an
// empty file (which it would have to refuse, or take for a new store and race
// the first opener's migrations).
func TestNewFileAppearsWhole(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "db")
		done := make(chan error, 1)
		go func() {
			db, err := Open(context.Background(), path)
			if err == nil {
				db.Close()
			}
			done <- err
		}()
		seen := false
		for opening := true; opening; {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				opening = false
			default:
			}
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			seen = true
			if err != nil || len(b) < 100 || string(b[:16]) != "SQLite format 3\x00" {
				t.Fatalf("round %d: %s appeared as %d bytes without a database header (%v)", round, path, len(b), err)
			}
		}
		if !seen {
			t.Fatalf("round %d: the file never appeared", round)
		}
	}
}

// TestCheckFileMissing: a missing file is told apart from a damaged one.
func TestCheckFileMissing(t *testing.T) {
	err := CheckFile(filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotDatabase) {
		t.Errorf("CheckFile(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestNewStoreBesideALeftoverWAL: where the database file is gone but its WAL
// or shared-memory file is still there, Open creates nothing (SQLite would
// replay the old WAL into the new file) and names the leftover file.
func TestNewStoreBesideALeftoverWAL(t *testing.T) {
	src := filepath.Join(t.TempDir(), "db")
	db, err := Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		t.Fatal(err)
	}
	if err := db.write(context.Background(), insertAccount("old", nil, false)); err != nil {
		t.Fatal(err)
	}
	// The WAL and shared memory of a store killed while open.
	leftover := map[string][]byte{}
	for _, suffix := range []string{"-wal", "-shm"} {
		if leftover[suffix], err = os.ReadFile(src + suffix); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if len(leftover["-wal"]) <= walHeaderLen {
		t.Fatalf("the WAL copied from an open store holds no frames (%d bytes)", len(leftover["-wal"]))
	}
	for _, tc := range [][]string{{"-wal", "-shm"}, {"-wal"}, {"-shm"}} {
		t.Run(strings.Join(tc, ""), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cardvault.db")
			for _, suffix := range tc {
				if err := os.WriteFile(path+suffix, leftover[suffix], 0o600); err != nil {
					t.Fatal(err)
				}
			}
			db, err := Open(context.Background(), path)
			if err == nil {
				defer db.Close()
				var n int
				_ = db.r.QueryRow(`SELECT count(*) FROM accounts WHERE id = 'old'`).Scan(&n)
				t.Fatalf("Open created a store beside %v (the old store's account there: %d)", tc, n)
			}
			want := path + tc[0] + " exists without its database: restore the database file, or move " +
				path + "-wal and " + path + "-shm away to start a new store"
			if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), want) {
				t.Errorf("Open = %v; want ErrNotDatabase and %q", err, want)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open left a file at %s (%v)", path, err)
			}
			for _, suffix := range tc {
				if b, err := os.ReadFile(path + suffix); err != nil || !bytes.Equal(b, leftover[suffix]) {
					t.Errorf("%s changed (%v)", path+suffix, err)
				}
			}
		})
	}
}

// foreignDB makes an SQLite database at path with the given pragmas and
// statements, as another program would.
func foreignDB(t *testing.T, path string, pragmas []string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, pragmas, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestOpenRefusesForeignDatabases: an existing SQLite database that is not a
// cardvault store (another program's, or one with no tables) is refused,
// naming the file, and left byte for byte as it was, with no WAL, journal or
// shared-memory file beside it.
func TestOpenRefusesForeignDatabases(t *testing.T) {
	users := []string{`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)`, `INSERT INTO users (email) VALUES ('a@example.com')`}
	for _, tc := range []struct {
		name    string
		pragmas []string
		stmts   []string
		problem string
	}{
		{"another program's", nil, users, "it holds 1 table, none named schema_migrations"},
		{"another program's in WAL mode", []string{"journal_mode(WAL)"}, users, "it holds 1 table, none named schema_migrations"},
		{"no tables", nil, []string{`PRAGMA user_version = 7`}, "it holds no tables"},
		{"no tables in WAL mode", []string{"journal_mode(WAL)"}, nil, "it holds no tables"},
		{"golang-migrate's schema_migrations", nil, []string{`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, dirty BOOLEAN NOT NULL)`},
			"its schema_migrations table is not cardvault's (columns dirty,version)"},
		{"schema_migrations of cardvault's shape, other names", nil, []string{
			`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`,
			`INSERT INTO schema_migrations VALUES ('20240101_users.sql', 1), ('migration/001_init.sql', 1)`},
			"its schema_migrations table records 1 migration that cardvault did not name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "other.db")
			foreignDB(t, path, tc.pragmas, tc.stmts...)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(context.Background(), path)
			if err == nil {
				db.Close()
				t.Fatal("Open took a foreign database for a store")
			}
			want := path + " is an SQLite database but not a cardvault store (" + tc.problem
			if !errors.Is(err, ErrNotStore) || !strings.Contains(err.Error(), want) {
				t.Errorf("Open = %v; want ErrNotStore and %q", err, want)
			}
			if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
				t.Errorf("Open changed the refused database (%v): %d bytes, were %d", err, len(after), len(before))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("files beside the refused database: %v, want only other.db", names)
			}
		})
	}
}

// TestNewStoreIsAStoreAtOnce: the file Open creates holds schema_migrations
// before any migration ran, so a store whose creator stopped (crashed) before
// its first migration opens and is migrated; a new store gets every migration.
func TestNewStoreIsAStoreAtOnce(t *testing.T) {
	files, _ := fs.Glob(migrations, "migration/*.sql")
	path := filepath.Join(t.TempDir(), "db")
	db, err := open(context.Background(), path, []string{}) // created, nothing migrated
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := checkStore(context.Background(), path); err != nil {
		t.Fatalf("a created store before its first migration: %v", err)
	}
	db, err = Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open of a store created without migrations: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("%d migrations recorded (%v), want %d", n, err, len(files))
	}
}
