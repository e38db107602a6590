package postgres_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/postgres"
	"github.com/cardvault/cardvault/storetest"
	"github.com/jackc/pgx/v5"
)

// envURL names the database the tests use; each store gets a schema of its
// own in it, dropped when its test ends.
const envURL = "CARDVAULT_TEST_POSTGRES_URL"

// testURL returns the test database's URL, or skips t loudly.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		t.Skip(envURL + " not set: PostgreSQL conformance NOT run")
	}
	return u
}

// TestConformance runs the storage conformance suite on a fresh schema per subtest.
func TestConformance(t *testing.T) {
	base := testURL(t)
	storetest.Run(t, func(t *testing.T) cardvault.Store {
		return mustOpen(t, freshSchema(t, base))
	})
}

// freshSchema creates an empty schema for t, dropped at its end, and
// returns base with its search_path set to it.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	name := "cvt_" + strings.ToLower(cardvault.RandomString(12))
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("connect to %s: %v", envURL, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("connect to drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return withParam(t, base, "search_path", name)
}

// withParam returns the URL u with a connection parameter set.
func withParam(t testing.TB, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", envURL, err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

func mustOpen(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
