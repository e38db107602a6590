package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// TestPragmas checks the settings durability and scrubbing rest on, on both
// pools: WAL, synchronous=FULL (2), secure_delete, foreign keys; readers are
// query_only.
func TestPragmas(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "p#?x", "db"))
	if err == nil {
		db.Close()
		t.Fatal("opened a database in a directory that does not exist")
	}
	dir := t.TempDir()
	db, err = Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "secure_delete": "1", "foreign_keys": "1"}
	for name, pool := range map[string]*sql.DB{"writer": db.w, "reader": db.r} {
		for pragma, v := range want {
			var got string
			if err := pool.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
	}
	var qo string
	if err := db.r.QueryRow("PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
		t.Errorf("reader query_only = %q (%v), want 1", qo, err)
	}
	for _, f := range []string{"db", "db-wal", "db-shm"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", f, fi.Mode().Perm(), err)
		}
	}
	if n := db.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
}
