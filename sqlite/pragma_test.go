package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
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

// TestIDSlotsMigration: a store whose ids came from the old global counters
// keeps them (found by Seq) after migration 004, and every new id, in each
// account and mode, is larger than all of them and never reused.
func TestIDSlotsMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	names, _ := fs.Glob(migrations, "migration/*.sql")
	var old []string
	for _, n := range names {
		if n < "migration/004" {
			old = append(old, n)
		}
	}
	db, err := open(ctx, path, old)
	if err != nil {
		t.Fatal(err)
	}
	// What the old code left: ids 1…40 issued in turns to two accounts.
	seed := []string{
		`INSERT INTO accounts (id, created_at) VALUES ('acct_a', 1), ('acct_b', 1)`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
			INSERT INTO customers (seq, id, account_id, mode, token, created_at, modified_at)
			SELECT i, 'cust_' || i, CASE i % 2 WHEN 0 THEN 'acct_a' ELSE 'acct_b' END, 1, 'tok' || i, 1, 1 FROM n`,
		`UPDATE counters SET value = 40 WHERE name = 'customer'`,
	}
	for _, q := range seed {
		if _, err := db.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := cardvault.Scope{AccountID: "acct_a", Mode: cardvault.Test}
	if c, err := db.Customer(ctx, a, cardvault.Ref{Seq: 40}); err != nil || c.ID != "cust_40" {
		t.Errorf("old customer 40 after migration: %v, %v", c, err)
	}
	var prev int64 = 40
	for i, s := range []cardvault.Scope{a, a, {AccountID: "acct_b", Mode: cardvault.Test}, {AccountID: "acct_a", Mode: cardvault.Live}} {
		c := &cardvault.Customer{ID: fmt.Sprintf("cust_new%d", i), AccountID: s.AccountID, Mode: s.Mode,
			Token: fmt.Sprintf("new%d", i), Metadata: []byte("{}"), CreatedAt: time.UnixMilli(2), ModifiedAt: time.UnixMilli(2)}
		if err := db.CreateCustomer(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if c.Seq <= 40 || c.Seq>>slotBits < 1 || c.Seq >= 1<<53 {
			t.Errorf("new customer %d in %v: Seq %d, want in a slot above the old ids and below 2^53", i, s, c.Seq)
		}
		if i == 1 && c.Seq != prev+1 {
			t.Errorf("second new customer of %v: Seq %d, want %d", s, c.Seq, prev+1)
		}
		prev = c.Seq
	}
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'counters'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("counters table still there (%d, %v)", n, err)
	}
}
