package sqlite

import (
	"bytes"
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
// file for a new store.
var ErrNotDatabase = errors.New("not a usable SQLite database file")

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

// createFile makes a new, empty database at path unless a file exists there.
// The database is built beside path under a temporary name and hard-linked
// into place, which fails if path exists: another opener never sees a file
// without its header, so an empty file at path is always damage. It reports
// whether it created the file. The file has mode 0600 (SQLite gives its WAL
// and shared-memory files the same mode).
func createFile(path string) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("sqlite: %w", err)
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
	// marked for WAL); closing removes the WAL again.
	db, err := sql.Open("sqlite", dsn(tmp, []string{"journal_mode(WAL)"}, nil))
	if err != nil {
		return false, err
	}
	err = db.Ping()
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

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
