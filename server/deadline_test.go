package server

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// slowStore runs, for the list operations, an SQLite statement that takes far
// longer than any request may (a recursive count to 10^10) with the request's
// context, as every store read does.
type slowStore struct {
	cardvault.Store
	db       *sql.DB
	deadline chan time.Time
}

func (s *slowStore) slow(ctx context.Context) error {
	d, _ := ctx.Deadline()
	s.deadline <- d
	// Without the request's deadline the test fails rather than hangs.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int64
	return s.db.QueryRowContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000000000)
		SELECT count(*) FROM c`).Scan(&n)
}

func (s *slowStore) ListCustomers(ctx context.Context, _ cardvault.Scope, _ cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	return nil, 0, s.slow(ctx)
}

func (s *slowStore) ListCustomersWithCards(ctx context.Context, _ cardvault.Scope, _, _ cardvault.ListParams) ([]cardvault.CustomerCards, int, error) {
	return nil, 0, s.slow(ctx)
}

func (s *slowStore) QueryCustomers(ctx context.Context, _ cardvault.Scope, _ query.Query) ([]*cardvault.Customer, error) {
	return nil, s.slow(ctx)
}

// TestRequestDeadlineReachesTheStore: a request's statement is cancelled in
// SQLite at the request deadline, and the client gets the dialect's 503 at
// once — not a 500, and not after the statement would have ended.
func TestRequestDeadlineReachesTheStore(t *testing.T) {
	sdb, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "slow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	slow := &slowStore{db: sdb, deadline: make(chan time.Time, 1)}
	e := mustEnv(t, func(s cardvault.Store) cardvault.Store { slow.Store = s; return slow })
	const timeout = 200 * time.Millisecond
	h := handler(e.v, e.log, timeout)
	for _, c := range []struct {
		name, target, user, pass, want string
	}{
		{"omise", "/customers", e.sk, "", `{"object":"error","location":"https://www.omise.co/api-errors#service-unavailable","code":"service_unavailable","message":"request timed out"}` + "\n"},
		{"chargeover", "/api/v3/customer", e.pk, e.sk, `{"code":503,"status":"Error","message":"Request timed out.","details":{},"response":false}` + "\n"},
	} {
		start := time.Now()
		rec := call(t, h, "GET", c.target, c.user, c.pass, "", "")
		took := time.Since(start)
		if rec.Code != 503 || rec.Body.String() != c.want {
			t.Errorf("%s: %d %s\nwant 503 %s", c.name, rec.Code, rec.Body.String(), c.want)
		}
		checkHygiene(t, c.name, rec)
		if d := <-slow.deadline; d.IsZero() || d.Before(start) || d.After(start.Add(took)) {
			t.Errorf("%s: the store saw deadline %v, want within %v of the request's start", c.name, d, timeout)
		}
		if took > timeout+5*time.Second {
			t.Errorf("%s: answered after %v", c.name, took)
		}
	}
	// The statement was cancelled, not left running.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var n int
	if err := sdb.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		t.Errorf("the slow database is still busy: %v", err)
	}
	if strings.Contains(e.logs.String(), `"status":500`) || strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("a 500 or an ERROR was logged for a request that ran out of time: %s", e.logs.String())
	}
}

// TestSlowStoreIsSlow: without a deadline slowStore's statement would run on.
func TestSlowStoreIsSlow(t *testing.T) {
	sdb, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "slow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	s := &slowStore{db: sdb, deadline: make(chan time.Time, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.slow(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow statement = %v, want the deadline", err)
	}
}
