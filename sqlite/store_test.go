package sqlite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/storetest"
)

// TestConformance runs the storage conformance suite on a fresh database file per subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) cardvault.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "cardvault.db"))
	})
}

func mustOpen(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open(%q): %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestReopen checks that committed data survives closing the file, that
// migrations run only once, and that integer ids continue after a restart.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	db := mustOpen(t, path)
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	c := storetest.MustCustomer(t, v, s, storetest.MustToken(t, v, s, storetest.Visa).ID)
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = mustOpen(t, path)
	v, _ = storetest.MustVault(t, db)
	if n, err := db.CountAccounts(t.Context()); err != nil || n != 1 {
		t.Errorf("CountAccounts after reopen = %d, %v; want 1, nil", n, err)
	}
	got := storetest.MustGetCustomer(t, db, s, c.ID)
	if got.Seq != c.Seq || got.DefaultCard == "" {
		t.Errorf("customer after reopen: Seq %d, DefaultCard %q; want Seq %d and a default card", got.Seq, got.DefaultCard, c.Seq)
	}
	next := storetest.MustCustomer(t, v, s, "")
	if next.Seq <= c.Seq {
		t.Errorf("customer created after reopen got Seq %d, want > %d", next.Seq, c.Seq)
	}
}

// TestNoPlaintextPAN checks that no file of the database holds a card number in the clear.
func TestNoPlaintextPAN(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, filepath.Join(dir, "cardvault.db"))
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	storetest.MustCustomer(t, v, s, storetest.MustToken(t, v, s, storetest.Visa).ID)
	storetest.MustToken(t, v, s, storetest.Amex)
	files, err := filepath.Glob(filepath.Join(dir, "cardvault.db*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no database files in %s (%v)", dir, err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, pan := range []string{storetest.Visa, storetest.Amex} {
			if bytes.Contains(b, []byte(pan)) {
				t.Errorf("%s holds a %d-digit card number in the clear", filepath.Base(name), len(pan))
			}
		}
	}
}

// TestOpenPath checks that Open uses the file at exactly the path it is
// given, whatever characters the directory names hold.
func TestOpenPath(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{
		{"space", "card vault"},
		{"percent", "100%"},
		{"percent_escape", "x%41y"},
		{"hash", "a#b"},
		{"question_mark", "x?y"},
		{"ampersand", "p&q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "cardvault.db")
			db := mustOpen(t, path)
			v, _ := storetest.MustVault(t, db)
			storetest.MustAccount(t, v)
			if _, err := os.Stat(path); err != nil {
				var made []string
				entries, _ := os.ReadDir(filepath.Dir(dir))
				for _, e := range entries {
					made = append(made, e.Name())
				}
				t.Errorf("Open(%q) did not create the file there (%v); the parent directory holds %q", path, err, made)
			}
		})
	}
}
