// Package postgres is cardvault's shared store: PostgreSQL through pgx's
// pool, for several cardvault instances on one database. It behaves as the
// SQLite store does (storetest pins both). Transactions run at READ
// COMMITTED; a write that must see and keep a row's current state locks it
// (SELECT … FOR UPDATE) before it reads, in a fixed order (customer, token,
// id slot), so concurrent writes on different instances serialize where
// SQLite's single writer serializes them. A transaction the server aborts as
// a serialization failure or deadlock is run again, a bounded number of
// times. synchronous_commit is left as the server has it, and refused when
// off: a write is answered after its commit is durable.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxAttempts bounds how many times a write transaction runs when the server
// aborts it as a serialization failure (40001) or deadlock (40P01).
const maxAttempts = 5

// writeTimeout bounds a write transaction of any method: a batch of the
// janitor, a step of a key rotation.
const writeTimeout = 10 * time.Second

// opTimeout bounds each method on a request's path (reads, tokenizing,
// customers and cards, nonces, Ping): a database that stops answering
// without closing its connections (a hung host, a network partition) fails
// the request within it, as one that refuses them does at once. The
// operators' and background methods (accounts, keys, the janitor, audit
// retention) take longer work and have writeTimeout or the caller's context.
const opTimeout = 1500 * time.Millisecond

// degradedTimeout replaces opTimeout while the database is known to be
// unavailable (a method failed so and no statement has succeeded since):
// requests then fail fast instead of each waiting opTimeout (a request that
// also records its failure in the audit trail would wait twice), and the
// first statement that succeeds again ends it.
const degradedTimeout = 250 * time.Millisecond

// errSlow is the cause of a context that opTimeout ended.
var errSlow = errors.New("the database did not answer in time")

// migrationLock names the advisory lock (with the schema) that serializes
// the migrations of instances starting at once.
const migrationLock = "cardvault.migrate"

// keysLock names the advisory lock that orders writes to the key hierarchy:
// writes that add keys take it shared, rotation steps exclusive.
const keysLock = "cardvault.keys"

// defaultMaxConns is the pool size when the URL does not set
// pool_max_conns: the vault's bounded reads of all accounts (vault.ReadsInAll)
// with room for key lookups, /healthz and writes beside them. Each instance
// opens up to this many connections: N instances need N times as many of the
// server's max_connections.
const defaultMaxConns = 12

// defaultConnectTimeout bounds one attempt to connect when the URL does not
// set connect_timeout: with the database unreachable (no answer at all, not
// even a refusal), a request waiting for a new connection fails within it.
const defaultConnectTimeout = 1500 * time.Millisecond

//go:embed migration/*.sql
var migrations embed.FS

// DB is a cardvault.Store on a PostgreSQL database.
type DB struct {
	pool      *pgxpool.Pool
	log       *slog.Logger
	opTimeout time.Duration // opTimeout
	closed    atomic.Bool   // Close was called: the pool's errors say so
	down      atomic.Bool   // a method failed as unavailable, no statement has succeeded since
	seal      sealer        // seals the audit records writes append (seal.go)
}

var _ cardvault.Store = (*DB)(nil)

// Option configures Open.
type Option func(*DB)

// Logger makes the store log the driver's errors (connection failures,
// unexpected SQLSTATEs) to l instead of slog.Default(): the errors it
// returns name no host, port or driver text.
func Logger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// ErrUnavailable is wrapped by the error of a method that could not reach
// the database (connection refused or lost, server shutting down or
// read-only, no answer within opTimeout).
var ErrUnavailable = errors.New("the database is unavailable")

// Open connects to the database named by dsn (a postgres:// URL or keyword
// string as libpq takes it; pool_max_conns sets the pool's size, else
// defaultMaxConns, and connect_timeout the wait for a connection, else
// defaultConnectTimeout) and applies the migrations it has not recorded,
// under an advisory lock so that several instances starting at once apply
// each once. It refuses a server whose synchronous_commit is off.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message can quote the DSN, password included.
		return nil, errors.New("postgres: the database URL is invalid")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	db := &DB{log: slog.Default(), opTimeout: opTimeout}
	for _, o := range opts {
		o(db)
	}
	cfg.ConnConfig.Tracer = upTracer{db}
	if db.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := db.checkServer(ctx); err != nil {
		db.pool.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	db.startSealer()
	return db, nil
}

// checkServer connects once and refuses a server that would acknowledge
// commits before they are durable.
func (db *DB) checkServer(ctx context.Context) error {
	var sc string
	if err := db.pool.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&sc); err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	if sc == "off" {
		return errors.New("postgres: synchronous_commit is off for this role or database: a write could be " +
			"acknowledged and then lost; set it to on (ALTER ROLE … SET synchronous_commit = on)")
	}
	return nil
}

// Close stops the audit sealer, seals what this instance's writes appended
// (unless the database is down: another instance, or the next to start,
// seals it), and closes the pool, waiting for connections in use to be
// returned.
func (db *DB) Close() error {
	db.stopSealer()
	db.closed.Store(true)
	db.pool.Close()
	return nil
}

// Migrations lists the migrations this build embeds, in the order Open
// applies them.
func Migrations() []string {
	names, _ := fs.Glob(migrations, "migration/*.sql") // the pattern is valid
	sort.Strings(names)
	return names
}

// migrate creates schema_migrations if needed and applies each migration it
// does not record, each in its own transaction holding the migration lock.
func (db *DB) migrate(ctx context.Context) error {
	err := db.migrationTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			name TEXT COLLATE "C" PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return err
	}
	for _, name := range Migrations() {
		err := db.migrationTx(ctx, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
				return err
			}
			body, err := fs.ReadFile(migrations, name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// migrationTx runs fn in a transaction that holds the migration lock of the
// current schema until it ends.
func (db *DB) migrationTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, migrationLock); err != nil {
			return err
		}
		return fn(tx)
	})
}

// bounded returns ctx ending after db.opTimeout at the latest, with the
// cause errSlow.
func (db *DB) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	d := db.opTimeout
	if db.down.Load() {
		d = min(d, degradedTimeout)
	}
	return context.WithTimeoutCause(ctx, d, errSlow)
}

// upTracer clears DB.down when a statement succeeds.
type upTracer struct{ db *DB }

func (upTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (t upTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if data.Err == nil && t.db.down.Load() {
		t.db.down.Store(false)
	}
}

// querier is what read helpers need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// writeFunc is one write transaction's body. It may run more than once (a
// retried transaction): it must reset what it reports to its caller.
type writeFunc func(ctx context.Context, tx pgx.Tx) error

// write runs fn in a transaction and commits it, running it again when the
// server aborts it as a serialization failure or deadlock. A write that
// ctx (or writeTimeout) ends rolls back and fails; one that ends during the
// commit may have committed, and fails too: success is only ever answered
// for a write that committed.
func (db *DB) write(ctx context.Context, op string, fn writeFunc) error {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("postgres: %s: write not started: %w", op, err)
		}
		err := db.tryWrite(ctx, fn)
		if err == nil {
			db.wrote(ctx)
		}
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return db.fail(ctx, op, err)
		}
		// Jittered, growing pause: the transactions that collided do not
		// collide again in step.
		time.Sleep(time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond))))
	}
}

func (db *DB) tryWrite(ctx context.Context, fn writeFunc) (err error) {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	tx, err := db.pool.Begin(wctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			// The stack, not the panic value, which could hold request data.
			err = cardvault.Internal("postgres: write panicked\n%s", debug.Stack())
		}
		if err != nil {
			_ = tx.Rollback(wctx)
		}
	}()
	if err := fn(wctx, tx); err != nil {
		return err
	}
	return tx.Commit(wctx)
}

// readTx runs fn in a read-only REPEATABLE READ transaction: every query of
// fn sees one snapshot (a list's total and its page agree).
func (db *DB) readTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
	return db.fail(ctx, op, err)
}

// retryable reports whether err is a transaction the server rolled back
// for colliding with another: running it again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// classify turns a unique violation (23505) into EConflict on field.
func classify(err error, field string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &cardvault.Error{Code: cardvault.EConflict, Field: field,
			Err: fmt.Errorf("postgres: unique constraint %s", pe.ConstraintName)}
	}
	return err
}

// fail turns the error of method op into what the store returns. Domain
// errors pass unchanged. An error of the caller's context wraps ctx.Err().
// A connection failure is logged and returned as an internal error that
// wraps ErrUnavailable and names no host, port or driver text; any other
// driver error is logged and returned as an internal error naming only its
// SQLSTATE.
func (db *DB) fail(ctx context.Context, op string, err error) error {
	var de *cardvault.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &de):
		return err
	case errors.Is(context.Cause(ctx), errSlow):
		db.down.Store(true)
		db.log.Error("postgres: database unavailable", "op", op, "err", errSlow, "after", db.opTimeout.String())
		return &cardvault.Error{Code: cardvault.EInternal, Err: fmt.Errorf("postgres: %s: %w: %w", op, ErrUnavailable, errSlow)}
	case ctx.Err() != nil:
		return &cardvault.Error{Code: cardvault.EInternal, Err: fmt.Errorf("postgres: %s interrupted: %w", op, ctx.Err())}
	case errors.Is(err, pgx.ErrNoRows):
		return cardvault.Internal("postgres: %s: no row", op)
	}
	if connectionLost(err) || db.closed.Load() {
		db.down.Store(true)
		db.log.Error("postgres: database unavailable", "op", op, "err", err)
		return &cardvault.Error{Code: cardvault.EInternal, Err: fmt.Errorf("postgres: %s: %w", op, ErrUnavailable)}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		db.log.Error("postgres: statement failed", "op", op, "sqlstate", pe.Code, "err", err)
		return &cardvault.Error{Code: cardvault.EInternal, Err: fmt.Errorf("postgres: %s: SQLSTATE %s", op, pe.Code)}
	}
	// Not the driver's: a function of the caller (UpgradeKeys) or the scan
	// of a value; its text is the caller's or names no connection.
	return &cardvault.Error{Code: cardvault.EInternal, Err: fmt.Errorf("postgres: %s: %w", op, err)}
}

// connectionLost reports whether err says that the database could not be
// reached or the connection broke: a refused or failed connect, a network
// error, a connection the driver closed, or a SQLSTATE of
// connectionState. The driver's errors of this kind carry the server's host
// and port.
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return connectionState(pe.Code)
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var safe interface{ SafeToRetry() bool }
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.As(err, &safe) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// connectionState reports whether a SQLSTATE says that the server or the
// connection cannot serve: connection exceptions (class 08), an operator or
// crash shutdown (57P01–57P03), too many connections (53300), a read-only
// server (25006, a standby after failover).
func connectionState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03",
		code == "53300", code == "25006":
		return true
	}
	return false
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// needTimes refuses a zero (or pre-1970) time given to a write.
func needTimes(method string, ts ...time.Time) error {
	for i, t := range ts {
		if t.IsZero() || t.UnixMilli() <= 0 {
			return cardvault.Internal("postgres: %s: time %d is unset (%s)", method, i+1, t.Format(time.RFC3339))
		}
	}
	return nil
}

// nullable maps "" to NULL (for unique columns where "" means unset).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// errReadOnly is Ping's finding that the server takes no writes.
var errReadOnly = &pgconn.PgError{Severity: "ERROR", Code: "25006", Message: "the server is read-only (in recovery or read-only session)"}
