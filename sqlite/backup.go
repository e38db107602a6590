package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent snapshot of the cardvault store at src to dst,
// a new file, and returns its size. src may be served by another process
// while it runs: the snapshot is SQLite's VACUUM INTO, one read transaction
// on a connection to the live database, so it holds exactly the
// transactions committed before it began, and writers go on meanwhile (in
// WAL mode a reader blocks no writer; the WAL cannot be checkpointed past
// the snapshot until it ends, so it grows for that time). VACUUM INTO
// rebuilds the database: the copy has no free pages, so nothing a deleted
// row left in one reaches it.
//
// src must pass Open's start-up checks (ErrNotDatabase, ErrNotStore). dst is
// refused if it exists (an error wrapping fs.ErrExist). The snapshot is
// written beside dst under a name of its own with mode 0600, checked with
// PRAGMA quick_check, synced, and hard-linked into place, then the directory
// is synced: dst appears whole or not at all and survives a power loss once
// Backup returns. The snapshot is in rollback-journal mode; Open turns it to
// WAL mode.
func Backup(ctx context.Context, src, dst string) (int64, error) {
	tmp, err := snapshotAside(ctx, src, dst)
	if err != nil {
		return 0, err
	}
	defer removeAside(tmp)
	if err := linkSynced(tmp, dst); err != nil {
		return 0, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return 0, fmt.Errorf("sqlite: backup: %w", err)
	}
	return fi.Size(), nil
}

// Restore makes a store at path, where none exists, from the backup at from
// (a file Backup wrote, or any cardvault store: it is read through a
// snapshot as Backup reads, so a store still in use gives a consistent
// copy). The copy is made beside path, opened with Open (which applies the
// migrations this build has and the backup lacks) and handed to check, which
// decides whether it may be put in place (cardvault checks that the
// configured master key opens it); a check error refuses the restore and is
// returned as it is. Then the copy's ChargeOver id counters move on by
// RestoreIDGap, and only then is it hard-linked to path and the directory
// synced. On any refusal or failure nothing is left at path.
//
// path is refused, wrapping fs.ErrExist, if a file exists there, or if a WAL
// or shared-memory file lies beside it (SQLite would replay it into the
// restored store); from as Backup refuses src.
func Restore(ctx context.Context, from, path string, check func(context.Context, *DB) error) error {
	if err := refuseExisting(path); err != nil {
		return err
	}
	tmp, err := snapshotAside(ctx, from, path)
	if err != nil {
		return err
	}
	defer removeAside(tmp)
	db, err := Open(ctx, tmp)
	if err != nil {
		return fmt.Errorf("sqlite: restore %s: %w", from, err)
	}
	err = check(ctx, db)
	// Closing checkpoints the WAL into the file and removes it: the file
	// linked into place holds every page.
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("sqlite: restore %s: %w", from, cerr)
	}
	if err != nil {
		return err
	}
	if err := skipIDs(ctx, tmp); err != nil {
		return fmt.Errorf("sqlite: restore %s: %w", from, err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(tmp + suffix); err == nil {
			return fmt.Errorf("sqlite: restore %s: the restored copy kept its %s file after closing", from, suffix)
		}
	}
	if err := refuseExisting(path); err != nil {
		return err
	}
	return linkSynced(tmp, path)
}

// RestoreIDGap is how far Restore moves every account's and mode's
// ChargeOver id counters (customers and cards): the ids the lost store
// issued after the backup was taken are not issued again to other objects,
// as long as fewer than this many were issued per account, mode and kind.
// The contract allows gaps (docs/API.md §1); the counters stay within their
// slot (below 2^32).
const RestoreIDGap = 1 << 24

// skipIDs moves the id counters of the restored copy at path by
// RestoreIDGap, in one synchronous transaction.
func skipIDs(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", backupDSN(path, "busy_timeout("+busyTimeoutMS+")", "synchronous(FULL)"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const most = 1<<32 - 1 // a slot's last id (seq.go)
	if _, err := db.ExecContext(ctx, `UPDATE id_slots SET last_customer = min(last_customer + ?, ?),
		last_card = min(last_card + ?, ?)`, RestoreIDGap, most, RestoreIDGap, most); err != nil {
		return fmt.Errorf("moving the ChargeOver id counters: %w", err)
	}
	// Closing the last connection checkpoints the WAL into the file and
	// removes it.
	return db.Close()
}

// backupDSN is the driver's data source name for the file at path with
// pragmas.
func backupDSN(path string, pragmas ...string) string {
	q := url.Values{"_pragma": pragmas}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// refuseExisting refuses a path where a database file, or the WAL or
// shared-memory file of one, exists.
func refuseExisting(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); err == nil {
			return fmt.Errorf("sqlite: %s exists: %w; a store is restored only where none is", path+suffix, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	return nil
}

// snapshotAside checks that src is a cardvault store and writes a verified,
// synced snapshot of it beside dst, which must not exist; it returns the
// snapshot's name (removeAside removes it).
func snapshotAside(ctx context.Context, src, dst string) (tmp string, err error) {
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return "", fmt.Errorf("sqlite: %w", err)
	}
	if _, err := os.Lstat(absDst); err == nil {
		return "", fmt.Errorf("sqlite: %s exists: %w; give the name of a new file", dst, fs.ErrExist)
	}
	// The start-up checks (CheckFile, and the refusal of a database that
	// is not a cardvault store), without a write to src or its directory.
	if err := inspect(ctx, src, nil); err != nil {
		return "", err
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	tmp = absDst + ".tmp-" + hex.EncodeToString(rnd)
	// VACUUM INTO writes into an existing empty file and keeps its mode.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			removeAside(tmp)
		}
	}()
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return "", err
	}
	var problems []string
	if err := inspect(ctx, tmp, func(db *DB) (err error) { problems, err = db.QuickCheck(ctx); return err }); err != nil {
		return "", fmt.Errorf("sqlite: backup: the snapshot: %w", err)
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("sqlite: backup: the snapshot fails quick_check: %s", problems[0])
	}
	return tmp, syncFile(tmp)
}

// inspect opens the store at path with OpenReadOnly, runs f (if any) and
// closes it again.
func inspect(ctx context.Context, path string, f func(*DB) error) error {
	db, err := OpenReadOnly(ctx, path)
	if err != nil {
		return err
	}
	if f != nil {
		err = f(db)
	}
	return errors.Join(err, db.Close())
}

// vacuumInto writes a snapshot of the database at src into the empty file
// tmp (an absolute path: VACUUM INTO takes a name not starting with "file:"
// as a plain file name). The connection opens src as OpenReadOnly does:
// mode=ro while a WAL file exists, so that closing cannot checkpoint a
// server's WAL; otherwise read-write, so that SQLite may make and remove its
// shared-memory file. It only reads src.
func vacuumInto(ctx context.Context, src, tmp string) error {
	name := backupDSN(src, "busy_timeout("+busyTimeoutMS+")")
	if _, err := os.Lstat(src + "-wal"); err == nil {
		name += "&mode=ro"
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return fmt.Errorf("sqlite: backup of %s: %w", src, err)
	}
	return db.Close()
}

// linkSynced hard-links tmp to path, which fails if path exists, and syncs
// the directory so that the new entry survives a power loss.
func linkSynced(tmp, path string) error {
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := syncFile(filepath.Dir(path)); err != nil {
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return nil
}

// syncFile syncs a file or a directory. (VACUUM INTO does not sync what it
// writes.)
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// removeAside removes a snapshot written aside and any journal, WAL or
// shared-memory file SQLite made beside it.
func removeAside(tmp string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		_ = os.Remove(tmp + suffix)
	}
}
