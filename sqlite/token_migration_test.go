package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// TestTokenExpiryMigration: migration 010 gives the tokens of an older store
// created_at + 30 minutes (the default --token-ttl) as their stored expiry,
// which reading and the janitor then go by.
func TestTokenExpiryMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	names, _ := fs.Glob(migrations, "migration/*.sql")
	var old []string
	for _, n := range names {
		if n < "migration/010" {
			old = append(old, n)
		}
	}
	db, err := open(ctx, path, old)
	if err != nil {
		t.Fatal(err)
	}
	const created = 10_000_000
	for _, q := range []string{
		`INSERT INTO accounts (id, created_at) VALUES ('acct_m', 1)`,
		`INSERT INTO cards (id, account_id, mode, bin, brand, last4, fingerprint, pan_sealed, key_version,
			exp_month, exp_year, cvv_checked, created_at, modified_at)
			VALUES ('card_m', 'acct_m', 1, '424242', 'visa', '4242', 'fp', x'00', 1, 12, 2040, 1, 10000000, 10000000)`,
		`INSERT INTO tokens (id, account_id, mode, card_id, used, created_at) VALUES ('tokn_m', 'acct_m', 1, 'card_m', 0, 10000000)`,
	} {
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
	want := time.UnixMilli(created).Add(30 * time.Minute).UTC()
	tok, err := db.Token(ctx, cardvault.Scope{AccountID: "acct_m", Mode: cardvault.Test}, "tokn_m")
	if err != nil {
		t.Fatalf("Token after the migration: %v", err)
	}
	if !tok.ExpiresAt.Equal(want) {
		t.Fatalf("Token after migration 010: ExpiresAt %v, want created_at + 30m (%v)", tok.ExpiresAt, want)
	}
	if n, err := db.PurgeTokens(ctx, want, want.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("PurgeTokens(expiredBefore = its expiry) = %d, %v; want 0", n, err)
	}
	if n, err := db.PurgeTokens(ctx, want.Add(time.Millisecond), want.Add(-time.Hour)); err != nil || n != 1 {
		t.Errorf("PurgeTokens(expiredBefore = its expiry + 1ms) = %d, %v; want 1", n, err)
	}
}
