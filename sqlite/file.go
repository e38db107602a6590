package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotDatabase is wrapped by Open's error when a file exists at the path
// but is not a usable SQLite database: empty, shorter than its header, with a
// damaged header, or shorter than the header says. Open never takes such a
// file for a new store. It is also wrapped when no file exists at the path but
// an earlier database's WAL or shared-memory file does: SQLite would replay
// that WAL into a new file.
var ErrNotDatabase = errors.New("not a usable SQLite database file")

// ErrNotStore is wrapped by Open's error when the file at the path is an
// SQLite database but not a cardvault store (it has no schema_migrations
// table of cardvault's shape): Open never migrates another program's database.
var ErrNotStore = errors.New("not a cardvault store")

// refusal is an error with its own text that wraps a sentinel for errors.Is.
type refusal struct {
	text     string
	sentinel error
}

func (e *refusal) Error() string { return e.text }
func (e *refusal) Unwrap() error { return e.sentinel }

// The parts of the SQLite file format (https://www.sqlite.org/fileformat.html)
// that the start-up check reads.
const (
	headerSize   = 100
	headerMagic  = "SQLite format 3\x00"
	walMagicLE   = 0x377f0682 // WAL header magic, checksums little-endian
	walMagicBE   = 0x377f0683 // WAL header magic, checksums big-endian
	walHeaderLen = 32
	walFrameHdr  = 24
)

// fileError is the error of a file that failed the start-up check.
func fileError(path, problem string, args ...any) error {
	return fmt.Errorf("sqlite: %s: %w: %s", path, ErrNotDatabase, fmt.Sprintf(problem, args...))
}

// CheckFile is the cheap start-up check of an existing database file: its
// header and its size against the page count the header records. It reads 100
// bytes and two file sizes; the full integrity check is too slow for start-up.
// Open runs it on every existing file. A damaged file gives an error that
// names the path and the problem and wraps ErrNotDatabase; a missing file one
// that wraps fs.ErrNotExist (so a caller can check before deciding that a
// data directory is new).
func CheckFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	size := fi.Size()
	if !fi.Mode().IsRegular() {
		return fileError(path, "not a regular file")
	}
	if size == 0 {
		return fileError(path, "the file is empty (0 bytes); a new store is created only where no database file exists")
	}
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		return fileError(path, "the file is shorter (%d bytes) than an SQLite header (%d bytes)", size, headerSize)
	}
	if !bytes.Equal(h[:16], []byte(headerMagic)) {
		return fileError(path, "the header does not start with the SQLite magic string")
	}
	pageSize, ok := headerPageSize(h)
	if !ok {
		return fileError(path, "the header's page size (%d) is not a power of two from 512 to 65536", binary.BigEndian.Uint16(h[16:18]))
	}
	if h[18] < 1 || h[18] > 2 || h[19] < 1 || h[19] > 2 || h[21] != 64 || h[22] != 32 || h[23] != 32 {
		return fileError(path, "the header is damaged (file format versions or payload fractions out of range)")
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The in-header size is valid only when version-valid-for equals the
	// change counter (file format §1.3.8); otherwise SQLite uses the file size.
	if binary.BigEndian.Uint32(h[92:96]) != binary.BigEndian.Uint32(h[24:28]) || pages == 0 {
		pages = 0
	}
	if size < pageSize {
		return fileError(path, "the file (%d bytes) is shorter than its first page (%d bytes)", size, pageSize)
	}
	if want := pages * pageSize; size < want && !walHolds(path+"-wal", pageSize) {
		// A checkpoint interrupted by a crash can leave page 1 written and the
		// file not yet extended; the WAL still holds the rest and SQLite
		// finishes the checkpoint. Without a WAL the pages are lost.
		return fileError(path, "the file is truncated: %d bytes, the header records %d pages of %d bytes (%d bytes)",
			size, pages, pageSize, want)
	}
	return nil
}

// headerPageSize returns the page size recorded in an SQLite header.
func headerPageSize(h []byte) (int64, bool) {
	v := int64(binary.BigEndian.Uint16(h[16:18]))
	if v == 1 {
		v = 65536
	}
	return v, v >= 512 && v <= 65536 && v&(v-1) == 0
}

// walHolds reports whether the WAL file at path has a valid header for pages
// of pageSize and at least one frame.
func walHolds(path string, pageSize int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := make([]byte, walHeaderLen)
	if _, err := io.ReadFull(f, h); err != nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	magic := binary.BigEndian.Uint32(h[0:4])
	return (magic == walMagicLE || magic == walMagicBE) &&
		int64(binary.BigEndian.Uint32(h[8:12])) == pageSize &&
		fi.Size() >= walHeaderLen+walFrameHdr+pageSize
}

// migrationsTable is cardvault's bookkeeping table, created with every new
// store: its presence is what tells a cardvault store from another SQLite
// database (checkStore).
const migrationsTable = `CREATE TABLE schema_migrations (
	name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`

// createFile makes a new, empty store at path unless a file exists there: a
// database in WAL mode holding the schema_migrations table, no migration
// applied yet. It is built beside path under a temporary name and hard-linked
// into place, which fails if path exists: another opener never sees a file
// without its header or without that table, so an empty file at path is
// always damage and a database without the table is never cardvault's (a
// crash before the first migration leaves a store that opens). It reports
// whether it created the file. The file has mode 0600 (SQLite gives its WAL
// and shared-memory files the same mode). A WAL or shared-memory file of an
// earlier database at path is refused (checkLeftovers).
func createFile(path string) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	if exists, err := checkLeftovers(path); err != nil || exists {
		return false, err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	tmp := path + ".new-" + hex.EncodeToString(rnd)
	defer func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(tmp + suffix)
		}
	}()
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("sqlite: %w", err)
	}
	f.Close()
	// Switching an empty database to WAL writes its first page (the header,
	// marked for WAL); closing checkpoints the table into the file and
	// removes the WAL again.
	db, err := sql.Open("sqlite", dsn(tmp, []string{"journal_mode(WAL)", "synchronous(FULL)"}, nil))
	if err != nil {
		return false, err
	}
	_, err = db.Exec(migrationsTable)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	if err := os.Link(tmp, path); errors.Is(err, os.ErrExist) {
		return false, nil // another opener was first
	} else if err != nil {
		return false, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	// SQLite syncs the file's contents on every commit, never the directory
	// entry made here: without this a power loss could lose the whole file.
	if err := syncDir(filepath.Dir(path)); err != nil {
		return false, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return true, nil
}

// checkLeftovers refuses to create a store at path, which was missing, while
// a WAL or shared-memory file of an earlier database lies beside it: SQLite
// would take them for the new file's and replay the old WAL into it (a
// corrupt new store, or the old data silently back). exists reports that
// another opener created the store meanwhile (its WAL is then its own).
func checkLeftovers(path string) (exists bool, err error) {
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return false, fmt.Errorf("sqlite: %w", err)
		}
		if _, err := os.Lstat(path); err == nil {
			return true, nil
		}
		return false, &refusal{sentinel: ErrNotDatabase, text: fmt.Sprintf("sqlite: %s exists without its database: "+
			"restore the database file, or move %s-wal and %s-shm away to start a new store", path+suffix, path, path)}
	}
	return false, nil
}

// checkStore refuses an existing database at path that is not a cardvault
// store: without a schema_migrations table of cardvault's shape, or with a
// migration recorded that is not named as cardvault names them. It reads
// through a query_only connection, before anything writes to the file, so a
// refused database is left as it was.
func checkStore(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, []string{"busy_timeout(" + busyTimeoutMS + ")", "query_only(1)"}, nil))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var columns sql.NullString
	var tables, foreign int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('schema_migrations') ORDER BY name)),
		(SELECT count(*) FROM sqlite_schema WHERE type = 'table')`).Scan(&columns, &tables)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if columns.String == "applied_at,name" {
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations
			WHERE name NOT LIKE 'migration/%.sql'`).Scan(&foreign)
		if err != nil {
			return fmt.Errorf("sqlite: %s: %w", path, err)
		}
		if foreign == 0 {
			return nil
		}
	}
	var what string
	switch {
	case tables == 0:
		what = "it holds no tables"
	case !columns.Valid:
		what = fmt.Sprintf("it holds %s, none named schema_migrations", plural(tables, "table"))
	case foreign > 0:
		what = fmt.Sprintf("its schema_migrations table records %s that cardvault did not name", plural(foreign, "migration"))
	default:
		what = "its schema_migrations table is not cardvault's (columns " + columns.String + ")"
	}
	return &refusal{sentinel: ErrNotStore, text: fmt.Sprintf("sqlite: %s is an SQLite database but not a cardvault store (%s): "+
		"give the path of a cardvault database file, or a path where no file exists to create a new store", path, what)}
}

// plural returns "1 table", "2 tables".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
