package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCached bounds the statement cache. Static queries number a few dozen;
// ChargeOver filters make more shapes (each distinct AST shape is one text, the
// values are arguments), and past the bound queries simply run unprepared.
const maxCached = 512

// stmtCache prepares each query text once per pool. Parsing SQL costs more
// than running these small indexed queries. Only the read pool uses it: the
// writer has one connection, held by the open transaction, so preparing on
// the pool from inside a transaction would wait for itself.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// get returns the prepared statement for q, or nil when the cache is full or
// preparing failed (the caller then runs q unprepared and sees the error).
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.m[q]
	full := c.m == nil || len(c.m) >= maxCached
	c.mu.Unlock()
	if ok || full {
		return st
	}
	// Prepare outside the lock: it may wait for a free connection.
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[q]; ok || c.m == nil {
		st.Close() // lost a race, or closed meanwhile
		return prev
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// reader runs queries on the read pool through the cache.
type reader struct{ c *stmtCache }

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.c.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.c.db.QueryContext(ctx, q, args...)
}

func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.c.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.c.db.QueryRowContext(ctx, q, args...)
}
