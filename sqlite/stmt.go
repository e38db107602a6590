package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// Bounds of the statement cache. Static queries number a few dozen;
// ChargeOver filters make more shapes (each distinct AST shape is one text,
// the values are arguments), so the cache keeps the most recently used
// maxCached and closes the statement it evicts. A text longer than
// maxCachedLen (a query with many conditions) is rare and costs more memory
// per connection than parsing it costs time: it runs unprepared.
const (
	maxCached    = 256
	maxCachedLen = 4096
)

// stmtCache prepares each query text once per pool, as a bounded LRU. Parsing
// SQL costs more than running these small indexed queries. Only the read pool
// uses it: the writer has one connection, held by the open transaction, so
// preparing on the pool from inside a transaction would wait for itself.
type stmtCache struct {
	db  *sql.DB
	max int // maxCached; tests lower it

	mu  sync.Mutex
	lru *list.List // of *cached, most recently used first
	m   map[string]*list.Element
}

// cached is one prepared statement. refs counts the queries that are
// starting on it: an evicted statement is closed by whoever drops the last
// reference. (database/sql keeps a closed statement's open Rows working until
// they are closed; only starting a query on a closed statement fails.)
type cached struct {
	q       string
	st      *sql.Stmt
	refs    int
	evicted bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, max: maxCached, lru: list.New(), m: map[string]*list.Element{}}
}

// acquire returns the prepared statement for q with a reference the caller
// must release, or nil when q is not cached and preparing failed or is not
// worth it (the caller then runs q unprepared and sees any error).
func (c *stmtCache) acquire(ctx context.Context, q string) *cached {
	if len(q) > maxCachedLen {
		return nil
	}
	c.mu.Lock()
	if e, ok := c.m[q]; ok {
		c.lru.MoveToFront(e)
		s := e.Value.(*cached)
		s.refs++
		c.mu.Unlock()
		return s
	}
	closed := c.m == nil
	c.mu.Unlock()
	if closed {
		return nil
	}
	// Prepare outside the lock: it may wait for a free connection.
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if c.m == nil { // closed meanwhile
		c.mu.Unlock()
		st.Close()
		return nil
	}
	if e, ok := c.m[q]; ok { // lost a race
		c.lru.MoveToFront(e)
		s := e.Value.(*cached)
		s.refs++
		c.mu.Unlock()
		st.Close()
		return s
	}
	s := &cached{q: q, st: st, refs: 1}
	c.m[q] = c.lru.PushFront(s)
	var evict []*sql.Stmt
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cached)
		delete(c.m, old.q)
		old.evicted = true
		if old.refs == 0 {
			evict = append(evict, old.st)
		}
	}
	c.mu.Unlock()
	closeAll(evict)
	return s
}

// release drops a reference taken by acquire, closing the statement if it
// was evicted meanwhile and this was the last reference.
func (c *stmtCache) release(s *cached) {
	c.mu.Lock()
	s.refs--
	last := s.evicted && s.refs == 0
	c.mu.Unlock()
	if last {
		s.st.Close()
	}
}

// close closes every cached statement; the cache prepares nothing afterwards.
func (c *stmtCache) close() {
	c.mu.Lock()
	var all []*sql.Stmt
	for e := c.lru.Front(); e != nil; e = e.Next() {
		s := e.Value.(*cached)
		s.evicted = true
		if s.refs == 0 {
			all = append(all, s.st)
		}
	}
	c.lru.Init()
	c.m = nil
	c.mu.Unlock()
	closeAll(all)
}

func closeAll(sts []*sql.Stmt) {
	for _, st := range sts {
		_ = st.Close()
	}
}

// reader runs queries on the read pool through the cache. Every query takes
// the caller's context: its deadline or cancellation interrupts the
// statement (see readErr).
type reader struct{ c *stmtCache }

func (r reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := r.c.acquire(ctx, q); s != nil {
		defer r.c.release(s)
		return s.st.QueryContext(ctx, args...)
	}
	return r.c.db.QueryContext(ctx, q, args...)
}

func (r reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := r.c.acquire(ctx, q); s != nil {
		defer r.c.release(s)
		return s.st.QueryRowContext(ctx, args...)
	}
	return r.c.db.QueryRowContext(ctx, q, args...)
}

// lookup returns the cached statement for q with a reference the caller
// must release, or nil when q is not cached. It never prepares: a read
// transaction holds one of the pool's connections, and preparing on the pool
// from inside it could wait for a connection that every other such
// transaction holds too.
func (c *stmtCache) lookup(q string) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[q]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(e)
	s := e.Value.(*cached)
	s.refs++
	return s
}

// txReader runs a read transaction's queries through the cache: a cached
// statement is bound to the transaction's connection (Tx.StmtContext reuses
// what that connection already prepared); a text not cached runs unprepared.
type txReader struct {
	tx *sql.Tx
	c  *stmtCache
}

func (r txReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := r.c.lookup(q); s != nil {
		defer r.c.release(s)
		return r.tx.StmtContext(ctx, s.st).QueryContext(ctx, args...)
	}
	return r.tx.QueryContext(ctx, q, args...)
}

func (r txReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := r.c.lookup(q); s != nil {
		defer r.c.release(s)
		return r.tx.StmtContext(ctx, s.st).QueryRowContext(ctx, args...)
	}
	return r.tx.QueryRowContext(ctx, q, args...)
}

// snapshot runs fn in one read transaction on the read pool: every query fn
// makes sees the same snapshot of the store (WAL mode: the snapshot is taken
// at the first read and holds until the transaction ends), so a list's total
// and its page agree. The texts fn will run are prepared first, before the
// transaction takes its connection (see lookup). The error is fn's, through
// readErr.
func (db *DB) snapshot(ctx context.Context, texts []string, fn func(q queryer) error) error {
	for _, t := range texts {
		if s := db.rq.c.acquire(ctx, t); s != nil {
			db.rq.c.release(s)
		}
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return readErr(ctx, err)
	}
	defer tx.Rollback() // read only: nothing to commit
	return readErr(ctx, fn(txReader{tx, db.rq.c}))
}
