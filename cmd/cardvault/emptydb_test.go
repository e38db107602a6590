package main_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEmptyDatabaseRefused: a database file truncated to zero bytes, or with
// a damaged header, is never taken for a new store: serve and account create
// refuse and name the file.
func TestEmptyDatabaseRefused(t *testing.T) {
	data, db := mustStore(t)
	if err := os.Truncate(db, 0); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, "truncated database", data, []string{"CARDVAULT_MASTER_KEY="}, db)
	if fi, err := os.Stat(db); err != nil || fi.Size() != 0 {
		t.Errorf("the refused file was changed: %v %v", fi, err)
	}

	data, db = mustStore(t)
	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("this is not SQLite"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	checkRefused(t, "damaged header", data, []string{"CARDVAULT_MASTER_KEY="}, db)
}

// TestEmptyDatabaseInNewDirectory: an empty database file alone in a new
// directory, with the master key from the environment, is refused too; no
// development key is made and no key is printed.
func TestEmptyDatabaseInNewDirectory(t *testing.T) {
	data := t.TempDir()
	db := filepath.Join(data, "cardvault.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, "empty file, new directory", data, []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}, db)
	entries, _ := os.ReadDir(data)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data directory holds %v; want only the refused database", names)
	}
}
