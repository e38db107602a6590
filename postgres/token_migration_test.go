package postgres

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// TestTokenExpiryMigration: migration 004 gives the tokens of an older
// database created_at + 30 minutes (the default --token-ttl) as their stored
// expiry, which reading and the janitor then go by.
func TestTokenExpiryMigration(t *testing.T) {
	ctx := context.Background()
	dsn := FreshSchema(t, BaseURL(t))
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stmts := []string{`CREATE TABLE schema_migrations (name TEXT COLLATE "C" PRIMARY KEY, applied_at BIGINT NOT NULL)`}
	for _, name := range Migrations() {
		if name >= "migration/004" {
			break
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(body), `INSERT INTO schema_migrations VALUES ('`+name+`', 1)`)
	}
	const created = 10_000_000
	stmts = append(stmts,
		`INSERT INTO accounts (id, created_at) VALUES ('acct_m', 1)`,
		`INSERT INTO cards (id, account_id, mode, bin, brand, last4, fingerprint, pan_sealed, key_version,
			exp_month, exp_year, cvv_checked, created_at, modified_at)
			VALUES ('card_m', 'acct_m', 1, '424242', 'visa', '4242', 'fp', '\x00', 1, 12, 2040, true, 10000000, 10000000)`,
		`INSERT INTO tokens (id, account_id, mode, card_id, used, created_at) VALUES ('tokn_m', 'acct_m', 1, 'card_m', false, 10000000)`)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.60s…: %v", q, err)
		}
	}

	db := MustOpen(t, dsn)
	want := time.UnixMilli(created).Add(30 * time.Minute).UTC()
	tok, err := db.Token(ctx, cardvault.Scope{AccountID: "acct_m", Mode: cardvault.Test}, "tokn_m")
	if err != nil {
		t.Fatalf("Token after the migration: %v", err)
	}
	if !tok.ExpiresAt.Equal(want) {
		t.Fatalf("Token after migration 004: ExpiresAt %v, want created_at + 30m (%v)", tok.ExpiresAt, want)
	}
	if n, err := db.PurgeTokens(ctx, want, want.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("PurgeTokens(expiredBefore = its expiry) = %d, %v; want 0", n, err)
	}
	if n, err := db.PurgeTokens(ctx, want.Add(time.Millisecond), want.Add(-time.Hour)); err != nil || n != 1 {
		t.Errorf("PurgeTokens(expiredBefore = its expiry + 1ms) = %d, %v; want 1", n, err)
	}
}
