package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/storetest"
	"github.com/cardvault/cardvault/vault"
)

// loadStore writes customers, each with its card (one transaction each),
// from 4 goroutines until stop is closed, and returns the ids acknowledged,
// in a map guarded by mu.
type loadStore struct {
	mu    sync.Mutex
	acked map[string]bool
	errs  []error
	wg    sync.WaitGroup
}

func startLoad(ctx context.Context, v *vault.Vault, s cardvault.Scope, stop <-chan struct{}) *loadStore {
	l := &loadStore{acked: map[string]bool{}}
	pans := []string{storetest.Visa, storetest.MasterCard, storetest.JCB, storetest.Discover}
	for w := range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := v.CreateToken(ctx, s, storetest.CardInput(pans[w], "123"), storetest.FullAddress, "")
				c := &cardvault.Customer{}
				if err == nil {
					err = v.CreateCustomer(ctx, s, c, tok.ID)
				}
				l.mu.Lock()
				if err != nil {
					l.errs = append(l.errs, err)
				} else {
					l.acked[c.ID] = true
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func (l *loadStore) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, len(l.acked))
	for id := range l.acked {
		ids = append(ids, id)
	}
	return ids
}

// TestBackupUnderLoad: a backup taken while writers commit is a sound store
// (quick_check), holds every customer acknowledged before it began, and holds
// no half transaction (every customer has the card it was created with).
func TestBackupUnderLoad(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "cardvault.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	stop := make(chan struct{})
	load := startLoad(ctx, v, s, stop)
	waitAcked(t, load, 50)
	before := load.snapshot()
	dst := filepath.Join(t.TempDir(), "backup.db")
	size, err := sqlite.Backup(ctx, filepath.Join(dir, "cardvault.db"), dst)
	during := len(load.snapshot()) - len(before)
	close(stop)
	load.wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if len(load.errs) > 0 {
		t.Fatalf("%d writes failed during the backup, the first: %v", len(load.errs), load.errs[0])
	}
	fi, err := os.Stat(dst)
	if err != nil || fi.Size() != size || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want size %d, mode 0600", fi, err, size)
	}
	if m, _ := filepath.Glob(dst + "*"); len(m) != 1 {
		t.Errorf("files beside the backup: %v; want the backup alone", m)
	}
	b, err := sqlite.OpenReadOnly(ctx, dst)
	if err != nil {
		t.Fatalf("OpenReadOnly(backup): %v", err)
	}
	defer b.Close()
	if problems, err := b.QuickCheck(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("quick_check of the backup: %v, %v", problems, err)
	}
	for _, id := range before {
		storetest.MustGetCustomer(t, b, s, id)
	}
	raw, err := sql.Open("sqlite", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var customers, orphans int
	if err := raw.QueryRow(`SELECT count(*), count(*) FILTER (WHERE NOT EXISTS
		(SELECT 1 FROM cards WHERE cards.id = customers.default_card AND cards.customer_id = customers.id))
		FROM customers`).Scan(&customers, &orphans); err != nil {
		t.Fatal(err)
	}
	if orphans > 0 || customers < len(before) {
		t.Errorf("backup: %d customers, %d without their card; want at least %d, none without", customers, orphans, len(before))
	}
	t.Logf("backup of %d bytes: %d customers acknowledged before it, %d during it, %d in it",
		size, len(before), during, customers)
}

// waitAcked waits until the load has n acknowledged writes.
func waitAcked(t *testing.T, l *loadStore, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); len(l.snapshot()) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged in 20s", len(l.snapshot()))
		}
	}
}

// TestBackupRefusals: an existing destination is never overwritten, a
// source that is not a cardvault store is refused with the store's
// sentinel, and a refusal leaves no file behind.
func TestBackupRefusals(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	src := filepath.Join(dir, "cardvault.db")
	db, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out := t.TempDir()
	existing := filepath.Join(out, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Backup(ctx, src, existing); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Backup onto an existing file: %v; want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was changed")
	}
	foreign := filepath.Join(dir, "foreign.db")
	f, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := sqlite.Backup(ctx, foreign, filepath.Join(out, "a.db")); !errors.Is(err, sqlite.ErrNotStore) {
		t.Errorf("Backup of another program's database: %v; want ErrNotStore", err)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if _, err := sqlite.Backup(ctx, empty, filepath.Join(out, "b.db")); !errors.Is(err, sqlite.ErrNotDatabase) {
		t.Errorf("Backup of an empty file: %v; want ErrNotDatabase", err)
	}
	if _, err := sqlite.Backup(ctx, filepath.Join(dir, "missing.db"), filepath.Join(out, "c.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Backup of a missing file: %v; want fs.ErrNotExist", err)
	}
	if m, _ := filepath.Glob(filepath.Join(out, "*")); len(m) != 1 {
		t.Errorf("files left in the destination directory: %v; want only the existing file", m)
	}
}

// TestBackupLeavesDestroyedCardsOut: a card destroyed before the backup is
// not in it, not even as a free page (VACUUM INTO rebuilds the database).
func TestBackupLeavesDestroyedCardsOut(t *testing.T) {
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "cardvault.db")
	db, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	kept := storetest.MustToken(t, v, s, storetest.Visa)
	gone := storetest.MustToken(t, v, s, storetest.MasterCard)
	c := storetest.MustCustomer(t, v, s, kept.ID)
	storetest.MustAttach(t, v, s, c.ID, gone.ID)
	if _, err := db.DeleteCard(ctx, s, c.ID, cardvault.Ref{ID: gone.Card.ID}); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "backup.db")
	if _, err := sqlite.Backup(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, kept.Card.Sealed) {
		t.Fatal("the kept card's ciphertext is not in the backup (the scan cannot fail)")
	}
	if bytes.Contains(b, gone.Card.Sealed) {
		t.Error("the destroyed card's ciphertext is in the backup")
	}
}

// TestRestore: a store is restored only where none is; the check decides
// before anything appears at the path; a restored store opens and holds the
// backup's data.
func TestRestore(t *testing.T) {
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "cardvault.db")
	db, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	c := storetest.MustCustomer(t, v, s, storetest.MustToken(t, v, s, storetest.Visa).ID)
	db.Close()
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := sqlite.Backup(ctx, src, backup); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cardvault.db")
	ok := func(context.Context, *sqlite.DB) error { return nil }

	refused := errors.New("refused by the check")
	checked := 0
	err = sqlite.Restore(ctx, backup, path, func(ctx context.Context, db *sqlite.DB) error {
		checked++
		storetest.MustGetCustomer(t, db, s, c.ID) // the check sees the restored data
		return refused
	})
	if !errors.Is(err, refused) || checked != 1 {
		t.Fatalf("Restore with a refusing check: %v (check ran %d times); want the check's error", err, checked)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Fatalf("a refused restore left %v", m)
	}

	for _, leftover := range []string{"", "-wal"} {
		os.WriteFile(path+leftover, []byte("x"), 0o600)
		if err := sqlite.Restore(ctx, backup, path, ok); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Restore beside %q: %v; want fs.ErrExist", filepath.Base(path+leftover), err)
		}
		if b, _ := os.ReadFile(path + leftover); string(b) != "x" {
			t.Errorf("Restore changed the existing %s", filepath.Base(path+leftover))
		}
		os.Remove(path + leftover)
	}

	if err := sqlite.Restore(ctx, backup, path, ok); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 {
		t.Errorf("files after restore: %v; want the database alone", m)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored file: %v, %v; want mode 0600", fi, err)
	}
	r, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(restored): %v", err)
	}
	defer r.Close()
	if got := storetest.MustGetCustomer(t, r, s, c.ID); got.DefaultCard != c.DefaultCard {
		t.Errorf("restored customer's default card %q, want %q", got.DefaultCard, c.DefaultCard)
	}
	// The ids the lost store may have issued after the backup are skipped.
	v, _ = storetest.MustVault(t, r)
	if next := storetest.MustCustomer(t, v, s, ""); next.Seq < c.Seq+sqlite.RestoreIDGap {
		t.Errorf("first customer after the restore has id %d, want at least %d + RestoreIDGap", next.Seq, c.Seq)
	}
}
