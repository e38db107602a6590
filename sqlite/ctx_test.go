package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// TestCancelledReadStops: a long read (a tenant's many CONTAINS conditions
// over a large table) stops promptly when its context is cancelled or its
// deadline passes, with an error that errors.Is tells from an internal fault.
func TestCancelledReadStops(t *testing.T) {
	db := mustOpen(t)
	s := cardvault.Scope{AccountID: "acct_big", Mode: cardvault.Test}
	rows := 20000
	if raceEnabled {
		rows = 3000
	}
	if err := db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, created_at) VALUES (?, 1)`, s.AccountID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO customers (id, account_id, mode, token, description, created_at, modified_at)
			SELECT 'cust_' || i, ?, ?, 'tok' || i, hex(randomblob(300)), i, i FROM n`, rows, s.AccountID, s.Mode)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	conds := make([]string, query.MaxConditions-1)
	for i := range conds {
		conds[i] = "company:CONTAINS:" + strings.Repeat("ab", 1+i%3)
	}
	conds = append(conds, "company:CONTAINS:zz") // hex never holds it: nothing matches, every row is read
	q, err := query.Parse(url.Values{"where": {strings.Join(conds, ",")}}, query.Customer)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if n, err := db.CountCustomers(context.Background(), s, q.Where); err != nil || n != 0 {
		t.Fatalf("CountCustomers = %d, %v", n, err)
	}
	full := time.Since(start)
	const after = 5 * time.Millisecond
	if full < 8*after {
		t.Fatalf("the query took %v uncancelled: too fast to show that cancelling stops it", full)
	}
	t.Logf("uncancelled: %v", full)
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), after)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(after, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		for name, read := range map[string]func(ctx context.Context) error{
			"count": func(ctx context.Context) error { _, err := db.CountCustomers(ctx, s, q.Where); return err },
			"list":  func(ctx context.Context) error { _, err := db.QueryCustomers(ctx, s, q); return err },
		} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				ctx, cancel := tc.ctx()
				defer cancel()
				start := time.Now()
				err := read(ctx)
				took := time.Since(start)
				if !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want errors.Is %v", err, tc.want)
				}
				if cardvault.ErrorCode(err) != cardvault.EInternal {
					t.Errorf("ErrorCode = %q, want internal (not a client error)", cardvault.ErrorCode(err))
				}
				// The error already shows the statement was interrupted (a
				// query that ran to its end returns none); the time is a
				// loose check, since a loaded machine slows either run.
				if took > full+after {
					t.Errorf("returned after %v; the whole query takes %v", took, full)
				}
			})
		}
	}
}
