package main_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// pgSchema returns CARDVAULT_TEST_POSTGRES_URL with its search_path set to
// a new schema, dropped when t ends; without the variable it skips loudly.
func pgSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CARDVAULT_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CARDVAULT_TEST_POSTGRES_URL not set: PostgreSQL --db NOT tested")
	}
	name := "cvcmd_" + strings.ToLower(cardvault.RandomString(12))
	exec := func(sql string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE SCHEMA ` + name)
	t.Cleanup(func() { exec(`DROP SCHEMA ` + name + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// wantNothingWritten fails t if the data directory exists with anything in it.
func wantNothingWritten(t *testing.T, data string) {
	t.Helper()
	entries, err := os.ReadDir(data)
	if err == nil && len(entries) > 0 || err != nil && !os.IsNotExist(err) {
		t.Errorf("the data directory holds %d entries (%v), want nothing written with a PostgreSQL --db", len(entries), err)
	}
}

// TestPostgresNeedsMasterKey: serve and account create on a PostgreSQL
// --db refuse to start without a configured master key (no development key
// is made), and write nothing to the data directory. The refusal comes
// before the database is reached.
func TestPostgresNeedsMasterKey(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	db := "postgres://cv:s3cret@127.0.0.1:1/cardvault"
	if served, _, errOut := runOnce(t, data, nil, "--db", db); served || !strings.Contains(errOut, "a master key must be configured") {
		t.Errorf("serve with --db postgres:// and no master key: served=%v %s", served, errOut)
	}
	if ok, _, errOut := runAdmin(t, data, nil, "--db", db, "account", "create"); ok || !strings.Contains(errOut, "a master key must be configured") {
		t.Errorf("account create with --db postgres:// and no master key: ok=%v %s", ok, errOut)
	}
	// Unreachable: the error names the database without its password.
	ok, _, errOut := runAdmin(t, data, nil, "--db", db, "account", "list")
	if ok || !strings.Contains(errOut, "127.0.0.1:1") || strings.Contains(errOut, "s3cret") {
		t.Errorf("account list on an unreachable PostgreSQL: ok=%v %s; want the database named, without its password", ok, errOut)
	}
	wantNothingWritten(t, data)
}

// TestPostgresAccounts: account create and account list work on a
// PostgreSQL --db (CARDVAULT_DB), and the data directory stays untouched.
func TestPostgresAccounts(t *testing.T) {
	dsn := pgSchema(t)
	data := filepath.Join(t.TempDir(), "data")
	env := []string{"CARDVAULT_DB=" + dsn, "CARDVAULT_MASTER_KEY=" + newMasterKey()}
	ok, out, errOut := runAdmin(t, data, env, "account", "create", "--name", "pg shop")
	if !ok || !strings.Contains(out, "pkey_test_") {
		t.Fatalf("account create on PostgreSQL: ok=%v\nstdout: %s\nstderr: %s", ok, out, errOut)
	}
	ok, out, errOut = runAdmin(t, data, env, "account", "list")
	if !ok || !strings.Contains(out, "pg shop") {
		t.Fatalf("account list on PostgreSQL: ok=%v\nstdout: %s\nstderr: %s", ok, out, errOut)
	}
	// Another master key does not open the store's keys.
	env[1] = "CARDVAULT_MASTER_KEY=" + newMasterKey()
	if ok, _, errOut := runAdmin(t, data, env, "account", "create"); ok {
		t.Errorf("account create with another master key succeeded: %s", errOut)
	}
	wantNothingWritten(t, data)
}

// TestPostgresServe: cardvault serve on a PostgreSQL --db creates the first
// account, prints its keys and tokenizes a card; a second start finds the
// account and keeps serving it.
func TestPostgresServe(t *testing.T) {
	dsn := pgSchema(t)
	data := filepath.Join(t.TempDir(), "data")
	env := []string{"CARDVAULT_MASTER_KEY=" + newMasterKey()}
	p := mustStartEnv(t, data, env, "--db", dsn)
	pk, sk := p.testKeys(t)
	st, tok, raw := call(t, "POST", p.base+"/tokens", pk, "", tokenForm("4242 4242 4242 4242"))
	if st != 200 || tok["object"] != "token" {
		t.Fatalf("POST /tokens on PostgreSQL = %d %s", st, raw)
	}
	st, cust, raw := call(t, "POST", p.base+"/customers", sk, "", url.Values{"card": {tok["id"].(string)}})
	if st != 200 || cust["object"] != "customer" {
		t.Fatalf("POST /customers on PostgreSQL = %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", p.base+"/healthz", "", "", nil); st != 200 {
		t.Fatalf("healthz on PostgreSQL = %d %s", st, raw)
	}
	mustStop(t, p)

	p = mustStartEnv(t, data, env, "--db", dsn)
	if st, list, raw := call(t, "GET", p.base+"/customers", sk, "", nil); st != 200 || list["total"] != float64(1) {
		t.Fatalf("GET /customers after a restart on PostgreSQL = %d %s", st, raw)
	}
	wantNothingWritten(t, data)
}
