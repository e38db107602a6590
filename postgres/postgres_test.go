package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestConcurrentMigrations: several stores opening one empty schema at once
// all succeed, and each migration is applied and recorded once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	const n = 6
	errs := make([]error, n)
	dbs := make([]*DB, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = Open(context.Background(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of %d at once: %v", i, n, err)
		}
		defer dbs[i].Close()
	}
	var names []string
	var applied []int64
	rows, err := dbs[0].pool.Query(t.Context(), `SELECT name, applied_at FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var at int64
		if err := rows.Scan(&name, &at); err != nil {
			t.Fatal(err)
		}
		names, applied = append(names, name), append(applied, at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := Migrations(); strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("schema_migrations = %q, want %q once each", names, want)
	}
	// A later start applies nothing again.
	db := MustOpen(t, dsn)
	var again int64
	if err := db.pool.QueryRow(t.Context(), `SELECT applied_at FROM schema_migrations WHERE name = $1`, names[0]).Scan(&again); err != nil || again != applied[0] {
		t.Errorf("after reopening, %s applied at %d (%v), want %d unchanged", names[0], again, err, applied[0])
	}
}

// TestClassify: a unique violation is a conflict on the named field;
// serialization failures and deadlocks are retried; other SQLSTATEs pass.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		code      string
		conflict  bool
		retryable bool
		lost      bool
	}{
		{"23505", true, false, false},
		{"40001", false, true, false},
		{"40P01", false, true, false},
		{"23503", false, false, false},
		{"42601", false, false, false},
		{"08006", false, false, true},
		{"57P01", false, false, true},
		{"53300", false, false, true},
		{"25006", false, false, true},
	} {
		pe := &pgconn.PgError{Code: tc.code, Message: "m", ConstraintName: "c"}
		err := classify(pe, "external_key")
		var de *cardvault.Error
		if got := errors.As(err, &de) && de.Code == cardvault.EConflict && de.Field == "external_key"; got != tc.conflict {
			t.Errorf("classify(SQLSTATE %s) = %v; conflict on external_key %v, want %v", tc.code, err, got, tc.conflict)
		}
		if got := retryable(pe); got != tc.retryable {
			t.Errorf("retryable(SQLSTATE %s) = %v, want %v", tc.code, got, tc.retryable)
		}
		if got := connectionLost(fmtWrap(pe)); got != tc.lost {
			t.Errorf("connectionLost(SQLSTATE %s) = %v, want %v", tc.code, got, tc.lost)
		}
	}
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, pgconn.ErrConnClosed, &net.OpError{Op: "dial", Err: errors.New("refused")}} {
		if !connectionLost(fmtWrap(err)) {
			t.Errorf("connectionLost(%v) = false, want true", err)
		}
	}
	if connectionLost(errors.New("storetest: upgrade function failed")) {
		t.Errorf("connectionLost(a caller's error) = true, want false")
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("wrapped"), err) }

// TestRetryDeadlock: two writes that deadlock are both answered with
// success: the server aborts one (40P01), which runs again.
func TestRetryDeadlock(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)))
	if _, err := db.pool.Exec(t.Context(), `CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL);
		INSERT INTO pair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	locked := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	lockBoth := func(first int) writeFunc {
		var once sync.Once
		return func(ctx context.Context, tx pgx.Tx) error {
			attempts.Add(1)
			if _, err := tx.Exec(ctx, `UPDATE pair SET n = n + 1 WHERE id = $1`, first+1); err != nil {
				return err
			}
			once.Do(func() { // the first attempt waits until both hold their first row
				close(locked[first])
				<-locked[1-first]
			})
			_, err := tx.Exec(ctx, `UPDATE pair SET n = n + 1 WHERE id = $1`, 2-first)
			return err
		}
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { errs[i] = db.write(context.Background(), "test", lockBoth(i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v, want success after a retry", i, err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("%d attempts, want 3 (one write retried once)", n)
	}
	var sum int
	if err := db.pool.QueryRow(t.Context(), `SELECT sum(n) FROM pair`).Scan(&sum); err != nil || sum != 4 {
		t.Errorf("sum = %d (%v), want 4: each write committed once", sum, err)
	}
}

// TestRetryBounded: a transaction that keeps failing as a serialization
// failure runs maxAttempts times and then fails as internal, naming only
// its SQLSTATE.
func TestRetryBounded(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)), Logger(slog.New(slog.DiscardHandler)))
	var attempts int
	err := db.write(t.Context(), "test", func(context.Context, pgx.Tx) error {
		attempts++
		return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	})
	if attempts != maxAttempts {
		t.Errorf("%d attempts, want %d", attempts, maxAttempts)
	}
	if cardvault.ErrorCode(err) != cardvault.EInternal || !strings.Contains(err.Error(), "SQLSTATE 40001") ||
		strings.Contains(err.Error(), "serialize") {
		t.Errorf("error = %v, want internal naming SQLSTATE 40001 and not the server's message", err)
	}
}

// TestWritePanic: a panic inside a write transaction is an internal error
// and leaves nothing written.
func TestWritePanic(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)))
	err := db.write(t.Context(), "test", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO accounts (id, created_at) VALUES ('acct_x', 1)`); err != nil {
			return err
		}
		panic("boom")
	})
	if cardvault.ErrorCode(err) != cardvault.EInternal {
		t.Errorf("write that panicked: %v, want an internal error", err)
	}
	if n, err := db.CountAccounts(t.Context()); err != nil || n != 0 {
		t.Errorf("CountAccounts = %d, %v after the panicked write; want 0", n, err)
	}
}

// TestSynchronousCommitOff: a server that would acknowledge commits before
// they are durable is refused.
func TestSynchronousCommitOff(t *testing.T) {
	dsn := WithParam(t, FreshSchema(t, BaseURL(t)), "synchronous_commit", "off")
	db, err := Open(t.Context(), dsn)
	if err == nil {
		db.Close()
		t.Fatal("Open with synchronous_commit=off succeeded, want a refusal")
	}
	if !strings.Contains(err.Error(), "synchronous_commit") {
		t.Errorf("Open error %q does not name synchronous_commit", err)
	}
}

// TestOpenBadURL: an unparseable URL is refused without echoing it (it may
// hold a password).
func TestOpenBadURL(t *testing.T) {
	_, err := Open(t.Context(), "postgres://cv:s3cretpw@localhost:notaport/db")
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("Open(bad URL) = %v, want an error without the password", err)
	}
}

// TestPoolSize: the pool holds defaultMaxConns connections and waits
// defaultConnectTimeout to connect, unless the URL says otherwise.
func TestPoolSize(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	cfg := MustOpen(t, dsn).pool.Config()
	if cfg.MaxConns != defaultMaxConns || cfg.ConnConfig.ConnectTimeout != defaultConnectTimeout {
		t.Errorf("MaxConns = %d, ConnectTimeout = %v; want %d, %v", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout,
			defaultMaxConns, defaultConnectTimeout)
	}
	cfg = MustOpen(t, WithParam(t, WithParam(t, dsn, "pool_max_conns", "3"), "connect_timeout", "7")).pool.Config()
	if cfg.MaxConns != 3 || cfg.ConnConfig.ConnectTimeout != 7*time.Second {
		t.Errorf("with pool_max_conns=3 and connect_timeout=7: MaxConns = %d, ConnectTimeout = %v", cfg.MaxConns, cfg.ConnConfig.ConnectTimeout)
	}
}

// TestPingReadOnly: a server that takes no writes (a standby, a read-only
// session) fails Ping as unavailable.
func TestPingReadOnly(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	MustOpen(t, dsn) // migrated
	pool, err := pgxpool.New(t.Context(), WithParam(t, dsn, "default_transaction_read_only", "on"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &DB{pool: pool, log: slog.New(slog.DiscardHandler)}
	if err := db.Ping(t.Context()); cardvault.ErrorCode(err) != cardvault.EInternal || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping of a read-only session = %v, want an internal error wrapping ErrUnavailable", err)
	}
}

// TestCancelled: a read whose context is cancelled fails with an error
// errors.Is tells from an internal fault; a write whose context ended
// before it began writes nothing.
func TestCancelled(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.CountAccounts(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("CountAccounts with a cancelled context = %v, want context.Canceled", err)
	}
	err := db.write(ctx, "test", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO accounts (id, created_at) VALUES ('acct_x', 1)`)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("write with a cancelled context = %v, want context.Canceled", err)
	}
	if n, err := db.CountAccounts(t.Context()); err != nil || n != 0 {
		t.Errorf("CountAccounts = %d, %v; want 0", n, err)
	}
}
