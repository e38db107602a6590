package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// TestDestroyedCiphertextLeavesTheFiles: after a card, a customer or an
// expired token's card is destroyed, its sealed PAN is in no file of the
// database (main file, WAL, shared memory).
func TestDestroyedCiphertextLeavesTheFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := make([]byte, 32)
	rand.Read(m)
	kr, _ := keys.New(m)
	v := vault.New(db, kr, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cr, err := v.CreateAccount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	token := func(pan string) *cardvault.Token {
		tok, err := v.CreateToken(ctx, s, cardvault.CardInput{Name: "A", NameRequired: true, Number: cardvault.NewSecret(pan),
			Month: cardvault.IntInput{N: 12, Given: true}, Year: cardvault.IntInput{N: 2040, Given: true}}, cardvault.Address{}, "")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	card, other, expiring := token("4242424242424242"), token("5555555555554444"), token("378282246310005")
	c1 := &cardvault.Customer{}
	if err := v.CreateCustomer(ctx, s, c1, card.ID); err != nil {
		t.Fatal(err)
	}
	c2 := &cardvault.Customer{}
	if err := v.CreateCustomer(ctx, s, c2, other.ID); err != nil {
		t.Fatal(err)
	}
	sealed := map[string][]byte{"card": card.Card.Sealed, "customer's card": other.Card.Sealed, "expired token's card": expiring.Card.Sealed}
	for name, ct := range sealed {
		if !inFiles(t, dir, ct) {
			t.Fatalf("%s: ciphertext not found before destroying (the scan cannot fail)", name)
		}
	}
	// Each step is checked on its own, right after it returns: a later step's
	// scrub must not hide a missing one.
	if _, err := db.DeleteCard(ctx, s, c1.ID, cardvault.Ref{ID: card.Card.ID}); err != nil {
		t.Fatal(err)
	}
	if inFiles(t, dir, sealed["card"]) {
		t.Error("DeleteCard: ciphertext still on disk")
	}
	if _, err := db.DeleteCustomer(ctx, s, cardvault.Ref{ID: c2.ID}); err != nil {
		t.Fatal(err)
	}
	if inFiles(t, dir, sealed["customer's card"]) {
		t.Error("DeleteCustomer: its card's ciphertext still on disk")
	}
	v.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if n, err := v.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 card", n, err)
	}
	if inFiles(t, dir, sealed["expired token's card"]) {
		t.Error("Purge: the expired token's ciphertext still on disk")
	}
}

// inFiles reports whether any file under dir contains needle.
func inFiles(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	found := false
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			found = found || bytes.Contains(b, needle)
		}
		return nil
	})
	return found
}
