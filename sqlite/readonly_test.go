package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardvault/cardvault/sqlite"
)

// dirFiles returns every file in dir with its content.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func sameFiles(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("files before %d, after %d", len(before), len(after))
	}
	for n, b := range before {
		if !bytes.Equal(b, after[n]) {
			t.Errorf("%s changed", n)
		}
	}
}

// TestOpenReadOnlyOldStore: a store that needs migrations opens read-only,
// reports its pending migrations, passes quick_check, refuses a write, and
// its directory is byte-identical afterwards.
func TestOpenReadOnlyOldStore(t *testing.T) {
	b, err := os.ReadFile("testdata/v005.db")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cardvault.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	ctx := context.Background()
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	pending, unknown, err := db.PendingMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := sqlite.Migrations()
	if len(all) < 6 || len(pending) != len(all)-5 || pending[0] != "migration/006_key_hierarchy.sql" || len(unknown) != 0 {
		t.Errorf("pending %v unknown %v of %v", pending, unknown, all)
	}
	if p, err := db.QuickCheck(ctx); err != nil || len(p) != 0 {
		t.Errorf("quick_check: %v %v", p, err)
	}
	newest, err := db.NewestTime(ctx)
	if err != nil || newest.IsZero() || newest.Year() < 2020 {
		t.Errorf("newest %v %v", newest, err)
	}
	if _, err := db.KEKs(ctx); err == nil {
		t.Error("KEKs of a store without kek_versions: no error")
	}
	if err := db.Ping(ctx); err == nil {
		t.Error("a write (Ping's probe) through a read-only store succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, dirFiles(t, dir))
}

// TestOpenReadOnlyCurrentStore: a migrated store has nothing pending and is
// unchanged by a read-only open; a damaged one fails quick_check.
func TestOpenReadOnlyCurrentStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cardvault.db")
	ctx := context.Background()
	w, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	db, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if p, u, err := db.PendingMigrations(ctx); err != nil || len(p)+len(u) != 0 {
		t.Errorf("pending %v unknown %v: %v", p, u, err)
	}
	if _, err := db.KEKs(ctx); err != nil {
		t.Error(err)
	}
	if p, err := db.QuickCheck(ctx); err != nil || len(p) != 0 {
		t.Errorf("quick_check: %v %v", p, err)
	}
	db.Close()
	sameFiles(t, before, dirFiles(t, dir))
	if _, _, err := sqlite.DiskSpace(dir); err != nil {
		t.Error(err)
	}

	// Damage the last page (a table's or an index's, not the schema's):
	// the store opens, and quick_check names a problem.
	b := before["cardvault.db"]
	if len(b) < 8*4096 {
		t.Fatalf("store of %d bytes", len(b))
	}
	for i := len(b) - 4096; i < len(b); i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.OpenReadOnly(ctx, path) // the header and schema are intact
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p, err := db.QuickCheck(ctx); err == nil && len(p) == 0 {
		t.Error("quick_check of a damaged file: no problem")
	}
}
