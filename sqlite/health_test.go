package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// bigWrite is a write that needs new pages: on a full disk it fails.
func bigWrite(id string) writeFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, hex(randomblob(100000)), 1)`, id)
		return err
	}
}

// fillDisk writes to a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return path
		}
	}
}

// TestPingReportsAFullDisk: on a file system that fills up (a small tmpfs),
// a failed write turns Ping into an error at once; it stays failing while the
// store is idle, although the probe (one row rewritten in WAL space already
// allocated) succeeds, until space is comfortable again; an idle store on a
// full disk fails Ping. Needs permission to mount (root).
func TestPingReportsAFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the full-disk test needs root", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	db, err := Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.health.interval = time.Hour // only a recorded failure, no probe, answers
	if err := db.write(ctx, bigWrite("before")); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping before the disk is full: %v", err)
	}

	filler := fillDisk(t, dir)
	if err := db.write(ctx, bigWrite("full")); err == nil {
		t.Fatal("a write needing new pages succeeded on a full disk")
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping = nil after a write failed for a full disk")
	} else {
		t.Logf("Ping: %v", err)
	}

	// Idle, every Ping probes (as /healthz a second later). Free a little:
	// above the floor, under comfortable space, so the probe succeeds.
	db.health.interval = 0
	sp, err := db.health.space()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filler)
	if err != nil {
		t.Fatal(err)
	}
	want := (sp.floor() + sp.comfortable()) / 2
	if err := os.Truncate(filler, fi.Size()-int64(want-min(want, sp.avail))); err != nil {
		t.Fatal(err)
	}
	if sp, err = db.health.space(); err != nil || sp.avail < sp.floor() || sp.avail >= sp.comfortable() {
		t.Fatalf("free space %+v (%v), want between the floor %d and comfortable %d", sp, err, sp.floor(), sp.comfortable())
	}
	for i := range 3 {
		writes := db.stats.writes.Load()
		err := db.Ping(ctx)
		if err == nil || !strings.Contains(err.Error(), "database or disk is full") {
			t.Errorf("idle Ping %d with %d bytes free after a write failed for lack of space = %v, want that failure",
				i, sp.avail, err)
		}
		if db.stats.writes.Load() != writes+1 {
			t.Errorf("Ping %d ran no probe", i)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after space was freed: %v", err)
	}

	fillDisk(t, dir)
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping of an idle store on a full disk = nil")
	}
}

// TestPingReportsALostWriter: when the writer's connection is gone, every
// write fails and Ping says so, while reads still work.
func TestPingReportsALostWriter(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.health.interval = 0
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	db.w.Close()
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping = nil while no write can commit")
	}
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		t.Errorf("reads after the writer is gone: %v", err)
	}
}

// TestPingProbesAtMostOncePerInterval: a flood of Pings on an idle store
// costs one probe write; a recent commit spares the probe.
func TestPingProbesAtMostOncePerInterval(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.health.interval = time.Hour
	db.health.mu.Lock()
	db.health.at = time.Time{} // as if idle since Open
	db.health.mu.Unlock()
	writes := db.stats.writes.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := db.stats.writes.Load() - writes; got != 1 {
		t.Errorf("50 Pings ran %d probe writes, want 1", got)
	}
	if err := db.Ping(ctx); err != nil || db.stats.writes.Load()-writes != 1 {
		t.Errorf("Ping after a recent probe: %v, %d writes; want nil and no new probe", err, db.stats.writes.Load()-writes)
	}
}

// fakeSpace makes db's Ping and probes see a file system of size bytes with
// *avail free.
func fakeSpace(db *DB, size uint64, avail *atomic.Uint64) {
	db.health.space = func() (fsSpace, error) { return fsSpace{avail: avail.Load(), size: size}, nil }
}

// fillPages makes the writer's database full: no page can be added (as on a
// full disk, SQLITE_FULL), while rows that fit in existing pages still commit.
func fillPages(t *testing.T, db *DB, full bool) {
	t.Helper()
	limit := 1073741823
	if full {
		if err := db.w.QueryRow(`PRAGMA page_count`).Scan(&limit); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, limit)); err != nil {
		t.Fatal(err)
	}
}

// TestStorageFaultIsSticky: a real write that failed for lack of space keeps
// Ping failing while the store is idle, although the probe (one row, rewritten
// in place) succeeds: only a real write's commit, or a probe with comfortable
// free space, clears it. The review found /healthz 200 a second after writes
// failed with "database or disk is full".
func TestStorageFaultIsSticky(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.health.interval = 0 // every Ping probes
	var avail atomic.Uint64
	avail.Store(comfortableFree - 1) // above the floor, under comfortable
	fakeSpace(db, 1<<40, &avail)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	fault := func() {
		t.Helper()
		fillPages(t, db, true)
		if err := db.write(ctx, bigWrite("big")); !storageFault(err) {
			t.Fatalf("a write needing new pages in a full database: %v, want a storage fault", err)
		}
		fillPages(t, db, false)
	}
	fault()
	for i := range 3 {
		writes := db.stats.writes.Load()
		err := db.Ping(ctx)
		if err == nil || !strings.Contains(err.Error(), "full") {
			t.Fatalf("idle Ping %d after a write failed for lack of space = %v, want the write's failure", i, err)
		}
		if db.stats.writes.Load() != writes+1 {
			t.Fatalf("Ping %d ran no probe", i)
		}
	}
	avail.Store(comfortableFree)
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping with comfortable free space: %v, want the probe to clear the fault", err)
	}

	avail.Store(comfortableFree - 1)
	fault()
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping after a second failed write = nil")
	}
	if err := db.write(ctx, insertAccount("small", nil, false)); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after a real write committed: %v, want nil", err)
	}
}

// TestPingFailsWhenTheDiskIsNearlyFull: Ping fails under the free-space floor
// (16 MiB, or 1/16 of a file system under 256 MiB), at any writer state.
func TestPingFailsWhenTheDiskIsNearlyFull(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.health.interval = 0
	for _, tc := range []struct {
		name        string
		size, avail uint64
		ok          bool
	}{
		{"at the floor", 1 << 40, nearlyFullFree, true},
		{"under the floor", 1 << 40, nearlyFullFree - 1, false},
		{"empty", 1 << 40, 0, false},
		{"small file system, at its floor", 4 << 20, 256 << 10, true},
		{"small file system, under its floor", 4 << 20, 256<<10 - 1, false},
		{"256 MiB file system, under the floor", 256 << 20, nearlyFullFree - 1, false},
	} {
		var avail atomic.Uint64
		avail.Store(tc.avail)
		fakeSpace(db, tc.size, &avail)
		err := db.Ping(ctx)
		if tc.ok && err != nil {
			t.Errorf("%s: Ping = %v, want nil", tc.name, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "disk nearly full")) {
			t.Errorf("%s: Ping = %v, want disk nearly full", tc.name, err)
		}
	}
	db.health.space = func() (fsSpace, error) { return fsSpace{}, errNoStatfs }
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping where free space is unknown: %v, want nil", err)
	}
}

// TestPingNoticesTheFileIsGone: a database file deleted or replaced while
// the store runs fails Ping (writes would go to a file no path reaches).
func TestPingNoticesTheFileIsGone(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, problem string
		do            func(t *testing.T, path string)
	}{
		{"deleted", "was deleted", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"replaced", "was replaced", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "other")
			db, err := Open(ctx, other)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			db, err := Open(ctx, "cardvault.db") // relative: Ping must not depend on the directory
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			t.Chdir(t.TempDir())
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping after a change of directory: %v", err)
			}
			tc.do(t, filepath.Join(dir, "cardvault.db"))
			if err := db.write(ctx, insertAccount("lost", nil, false)); err != nil {
				t.Logf("write: %v", err)
			}
			err = db.Ping(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.problem) || !strings.Contains(err.Error(), filepath.Join(dir, "cardvault.db")) {
				t.Errorf("Ping = %v; want the file named and %q", err, tc.problem)
			}
		})
	}
}
