package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
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
// a failed write turns Ping into an error at once; once space is back a
// probe finds the writer working; an idle store on a full disk fails its
// probe. Needs permission to mount (root).
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

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	db.health.interval = 0 // every Ping probes
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping after space was freed: %v", err)
	}

	fillDisk(t, dir)
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping of an idle store on a full disk = nil, want the probe's failure")
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
