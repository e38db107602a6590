package postgres

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// EnvURL names the database the tests use; each store gets a schema of its
// own in it, dropped when its test ends, so tests can run in parallel.
const EnvURL = "CARDVAULT_TEST_POSTGRES_URL"

// BaseURL returns the test database's URL, or skips t loudly.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " not set: PostgreSQL conformance NOT run")
	}
	return u
}

// FreshSchema creates an empty schema for t, dropped at its end, and
// returns base with its search_path set to it.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	name := "cvt_" + strings.ToLower(cardvault.RandomString(12))
	adminExec(t, base, `CREATE SCHEMA `+name)
	t.Cleanup(func() { adminExec(t, base, `DROP SCHEMA `+name+` CASCADE`) })
	return WithParam(t, base, "search_path", name)
}

// adminExec runs one statement on a connection of its own.
func adminExec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// WithParam returns the URL u with a connection parameter set.
func WithParam(t testing.TB, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvURL, err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// MustOpen opens a store, closed when t ends.
func MustOpen(t testing.TB, dsn string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
