package sqlite_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
	"github.com/cardvault/cardvault/sqlite"
)

// FuzzQuerySQL: every query the ChargeOver language accepts renders to SQL
// that runs on the store, for both resources, and the counts agree with the
// lists when no limit cuts them.
func FuzzQuerySQL(f *testing.F) {
	for _, seed := range []string{
		"where=customer_id:EQUALS:42",
		"where=external_key:EQUALS:ext%5C%3A1&order=creditcard_id:DESC&limit=0",
		"where=token:CONTAINS:%25_&order=token:ASC,customer_id:DESC",
		"where=external_key:IS:NULL,creditcard_id:GTE:-5&where=token:ISNOT:null",
		"where=company:CONTAINS:Acme%5C%2C%20Inc&order=superuser_email:desc",
		"where=external_key:LT:%27%3B%20DROP%20TABLE%20cards%3B--&offset=9223372036854775807",
		"where=company:GT:%E2%82%AC&limit=500&offset=3",
	} {
		f.Add(seed)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	s := cardvault.Scope{AccountID: "acct_x", Mode: cardvault.Test}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		ctx := context.Background()
		if q, err := query.Parse(v, query.CreditCard); err == nil {
			if _, err := db.QueryCards(ctx, s, q); err != nil {
				t.Fatalf("QueryCards(%q): %v", raw, err)
			}
			if _, err := db.CountCards(ctx, s, q.Where); err != nil {
				t.Fatalf("CountCards(%q): %v", raw, err)
			}
		}
		if q, err := query.Parse(v, query.Customer); err == nil {
			if _, err := db.QueryCustomers(ctx, s, q); err != nil {
				t.Fatalf("QueryCustomers(%q): %v", raw, err)
			}
			if _, err := db.CountCustomers(ctx, s, q.Where); err != nil {
				t.Fatalf("CountCustomers(%q): %v", raw, err)
			}
		}
	})
}
