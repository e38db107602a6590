package sqlite

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// plan returns the EXPLAIN QUERY PLAN lines of a query.
func plan(t *testing.T, db *DB, text string, args []any) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+text, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", text, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

var (
	// fullScan is a plan step that reads a whole table or index: every tenant's rows.
	fullScan = regexp.MustCompile(`^SCAN (cards|customers)\b`)
	// tenantSearch is a search on an index that starts with (account_id, mode).
	tenantSearch = regexp.MustCompile(`^SEARCH (cards|customers) USING (COVERING )?INDEX \w+ \(account_id=\? AND mode=\?`)
	// uniqueSearch is a lookup of one row by a unique key.
	uniqueSearch = regexp.MustCompile(`^SEARCH (cards|customers) USING (INDEX sqlite_autoindex_\w+ \((seq|token)=\?\)|INTEGER PRIMARY KEY \(rowid=\?\))$`)
)

// coQueries returns every single-condition where and every order of a ChargeOver
// resource, and a few combinations, as url.Values the dialect would parse.
func coQueries(s query.Schema) []url.Values {
	var out []url.Values
	for _, f := range s.Fields {
		ops := []string{"EQUALS:1", "NOTEQUALS:1", "GT:1", "LT:1", "GTE:1", "LTE:1", "IS:NULL", "ISNOT:NULL"}
		if f.Type == query.String {
			ops = append(ops, "CONTAINS:x")
		}
		for _, op := range ops {
			out = append(out, url.Values{"where": {f.Name + ":" + op}})
		}
		for _, dir := range []string{"ASC", "DESC"} {
			out = append(out, url.Values{"order": {f.Name + ":" + dir}, "offset": {"100000"}})
			out = append(out, url.Values{"order": {f.Name + ":" + dir}, "where": {f.Name + ":GT:1"}})
		}
	}
	last := s.Fields[len(s.Fields)-1].Name
	out = append(out, url.Values{}, url.Values{"where": {last + ":CONTAINS:a," + last + ":CONTAINS:b"}, "order": {last + ":DESC," + s.ID + ":ASC"}})
	return out
}

// TestTenantQueriesUseTenantIndexes: every filter and order the ChargeOver
// query language allows, and the Omise lists, search an index that starts with
// (account_id, mode) (or look up one row by a unique key): no plan scans the
// whole cards or customers table, so one tenant's query never reads another's rows.
func TestTenantQueriesUseTenantIndexes(t *testing.T) {
	db := mustOpen(t)
	s := cardvault.Scope{AccountID: "acct_x", Mode: cardvault.Test}
	type rendered struct {
		name, text string
		args       []any
	}
	var all []rendered
	for _, r := range []struct {
		schema       query.Schema
		list         func(cardvault.Scope, query.Query) (string, []any, error)
		count        func(cardvault.Scope, []query.Cond) (string, []any, error)
		resourceName string
	}{
		{query.CreditCard, cardsQuery, countCardsQuery, "creditcard"},
		{query.Customer, customersQuery, countCustomersQuery, "customer"},
	} {
		for _, v := range coQueries(r.schema) {
			q, err := query.Parse(v, r.schema)
			if err != nil {
				t.Fatalf("%s %v: %v", r.resourceName, v, err)
			}
			text, args, err := r.list(s, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, rendered{r.resourceName + " list " + v.Encode(), text, args})
			if text, args, err = r.count(s, q.Where); err != nil {
				t.Fatal(err)
			}
			all = append(all, rendered{r.resourceName + " count " + v.Encode(), text, args})
		}
	}
	p := cardvault.ListParams{Limit: 10, Offset: 5}
	text, args := listCustomersQuery(s, p)
	all = append(all, rendered{"omise customers list", text, args})
	text, args = countCustomersWindowQuery(s, p)
	all = append(all, rendered{"omise customers count", text, args})
	for _, r := range all {
		lines := plan(t, db, r.text, r.args)
		ok := false
		for _, l := range lines {
			if fullScan.MatchString(l) {
				t.Errorf("%s: plan scans a whole table: %q", r.name, lines)
			}
			ok = ok || tenantSearch.MatchString(l) || uniqueSearch.MatchString(l)
		}
		if !ok {
			t.Errorf("%s: plan %q searches no index on (account_id, mode, …)", r.name, lines)
		}
		if testing.Verbose() {
			t.Logf("%s: %s", r.name, strings.Join(lines, " | "))
		}
	}
}

// tableScan is a plan step that reads a whole table or index.
var tableScan = regexp.MustCompile(`^SCAN (cards|customers|tokens|nonces)\b`)

// TestLookupsUseIndexes: the other statements on cards, customers, tokens and
// nonces (lookups by any identity, a customer's cards, the purge batch, the
// nonce clean-up) search an index too; where want is set, the plan has a
// step that matches it (the index that bounds the search on every condition).
func TestLookupsUseIndexes(t *testing.T) {
	db := mustOpen(t)
	for _, q := range []struct {
		name, text string
		args       []any
		want       *regexp.Regexp
	}{
		{"card by seq", `SELECT id FROM cards WHERE seq = ? AND account_id = ? AND mode = ? AND customer_id IS NOT NULL`, []any{1, "a", 1}, nil},
		{"card by token", `SELECT id FROM cards WHERE token = ? AND account_id = ? AND mode = ? AND customer_id IS NOT NULL`, []any{"t", "a", 1}, nil},
		{"card by external key", `SELECT id FROM cards WHERE external_key = ? AND account_id = ? AND mode = ? AND customer_id IS NOT NULL`, []any{"k", "a", 1}, nil},
		{"customer by external key", `SELECT id FROM customers WHERE external_key = ? AND account_id = ? AND mode = ?`, []any{"k", "a", 1}, nil},
		{"customer by token", `SELECT id FROM customers WHERE token = ? AND account_id = ? AND mode = ?`, []any{"k", "a", 1}, nil},
		{"customer by id", `SELECT id FROM customers WHERE id = ? AND account_id = ? AND mode = ?`, []any{"k", "a", 1}, nil},
		{"omise card list", `SELECT id FROM cards WHERE customer_id = ? AND created_at BETWEEN ? AND ? ORDER BY created_at DESC, seq DESC LIMIT 10`, []any{"c", 1, 2}, nil},
		{"omise card count", `SELECT count(*) FROM cards WHERE customer_id = ? AND created_at BETWEEN ? AND ?`, []any{"c", 1, 2}, nil},
		{"upsert by fingerprint", `SELECT id FROM cards WHERE customer_id = ? AND fingerprint = ? ORDER BY seq DESC LIMIT 1`, []any{"c", "f"}, nil},
		{"new default card", `SELECT id FROM cards WHERE customer_id = ? ORDER BY seq DESC LIMIT 1`, []any{"c"}, nil},
		{"token", `SELECT card_id FROM tokens WHERE id = ? AND account_id = ? AND mode = ?`, []any{"t", "a", 1}, nil},
		{"purge batch", `SELECT id, card_id FROM tokens WHERE used = 0 AND card_id IS NOT NULL AND expires_at < ? ORDER BY expires_at LIMIT ?`, []any{1, 500},
			regexp.MustCompile(`^SEARCH tokens USING INDEX tokens_pending \(expires_at<\?\)$`)},
		{"forget batch", `SELECT rowid FROM tokens WHERE expires_at < ? LIMIT ?`, []any{1, 500},
			regexp.MustCompile(`^SEARCH tokens USING (COVERING )?INDEX tokens_expires \(expires_at<\?\)$`)},
		{"omise page cards (all customers of a page)", pageCardsText(cardvault.ListParams{}), []any{`["c1","c2"]`, 1, 2, 0, 20, "a", 1},
			regexp.MustCompile(`^SEARCH cards USING INDEX cards_customer \(customer_id=\? AND created_at>\? AND created_at<\?\)$`)},
		{"nonce clean-up", `DELETE FROM nonces WHERE public_key_hash = ? AND seen_at < ?`, []any{[]byte("h"), 1},
			regexp.MustCompile(`^SEARCH nonces USING (COVERING )?INDEX nonces_seen \(public_key_hash=\? AND seen_at<\?\)$`)},
	} {
		lines := plan(t, db, q.text, q.args)
		matched := false
		for _, l := range lines {
			// Subqueries and json_each are scanned; tables never.
			if tableScan.MatchString(l) {
				t.Errorf("%s: plan scans: %q", q.name, lines)
			}
			matched = matched || q.want != nil && q.want.MatchString(l)
		}
		if q.want != nil && !matched {
			t.Errorf("%s: plan %q has no step matching %s", q.name, lines, q.want)
		}
		if testing.Verbose() {
			t.Logf("%s: %s", q.name, strings.Join(lines, " | "))
		}
	}
}
