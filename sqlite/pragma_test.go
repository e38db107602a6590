package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
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

// TestMigrationUpgrade: a database at an older schema gets the pending
// migrations, each once, when opened.
func TestMigrationUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Take the database back to schema 001.
	for _, q := range []string{`ALTER TABLE accounts DROP COLUMN name`,
		`DELETE FROM schema_migrations WHERE name = 'migration/002_account_name.sql'`} {
		if _, err := db.w.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for i := 0; i < 2; i++ {
		db, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		var n int
		if err := db.r.QueryRow(`SELECT count(*) FROM pragma_table_info('accounts') WHERE name = 'name'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("reopen %d: accounts.name columns = %d (%v), want 1", i, n, err)
		}
		files, _ := fs.Glob(migrations, "migration/*.sql")
		if err := db.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
			t.Errorf("reopen %d: %d migrations recorded (%v), want %d", i, n, err, len(files))
		}
		db.Close()
	}
}
