package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// len returns the number of cached statements.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// shape returns a distinct query text for i, as distinct ChargeOver filters make.
func shape(i int) string { return fmt.Sprintf("SELECT ? + %d", i) }

// wantClosed checks that a statement refuses new queries.
func wantClosed(t *testing.T, what string, s *cached, closed bool) {
	t.Helper()
	var n int
	err := s.st.QueryRow(1).Scan(&n)
	if closed && err == nil {
		t.Errorf("%s: statement still open", what)
	}
	if !closed && err != nil {
		t.Errorf("%s: statement closed (%v), want it open", what, err)
	}
}

// TestStmtCacheIsBounded: distinct query shapes keep the cache at its bound,
// the least recently used statements are evicted and closed, and a recently
// used one is kept.
func TestStmtCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	c := db.rq.c
	first := make([]*cached, 10)
	for i := range first {
		first[i] = c.acquire(ctx, shape(i))
		c.release(first[i])
	}
	for i := 10; i < maxCached+100; i++ {
		var n int
		if err := db.rq.QueryRowContext(ctx, shape(i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("query %d = %d, %v", i, n, err)
		}
		if i == maxCached-1 { // touch shape 0: it becomes the most recently used
			c.release(c.acquire(ctx, shape(0)))
		}
	}
	if got := c.len(); got != maxCached {
		t.Errorf("cache holds %d statements after %d shapes, want %d", got, maxCached+100, maxCached)
	}
	wantClosed(t, "shape 0 (recently used)", first[0], false)
	for i := 1; i < len(first); i++ {
		wantClosed(t, fmt.Sprintf("shape %d (evicted)", i), first[i], true)
	}
	if s := c.acquire(ctx, shape(0)); s != first[0] {
		t.Errorf("shape 0 was prepared again, want the cached statement")
	} else {
		c.release(s)
	}
	long := "SELECT 1 " + fmt.Sprintf("%*s", maxCachedLen, "")
	if s := c.acquire(ctx, long); s != nil {
		t.Errorf("a %d-byte query text was cached", len(long))
	}
}

// TestStmtCacheEvictsInUse: a statement evicted while a caller holds it stays
// open until released, and rows already running on an evicted (closed)
// statement are read to their end.
func TestStmtCacheEvictsInUse(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	c := db.rq.c
	c.max = 4
	held := c.acquire(ctx, shape(-1))
	rowsQ := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n`
	rows, err := db.rq.QueryContext(ctx, rowsQ, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	running := c.acquire(ctx, rowsQ)
	c.release(running)
	for i := range 10 {
		c.release(c.acquire(ctx, shape(i)))
	}
	wantClosed(t, "held while evicted", held, false)
	c.release(held)
	wantClosed(t, "held, after release", held, true)
	wantClosed(t, "statement of running rows", running, true)
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil || n != 1000 {
		t.Errorf("rows of an evicted statement: %d rows, %v; want 1000, nil", n, err)
	}
}

// TestStmtCacheConcurrent: readers racing with eviction never start a query
// on a closed statement.
func TestStmtCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	db.rq.c.max = 3
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				var n int
				k := (g + i) % 12
				if err := db.rq.QueryRowContext(ctx, shape(k), 1).Scan(&n); err != nil || n != k+1 {
					errs <- fmt.Errorf("goroutine %d, query %d: %d, %v", g, i, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := db.rq.c.len(); got > 3 {
		t.Errorf("cache holds %d statements, bound 3", got)
	}
}
