package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func mustOpen(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// insertAccount returns a write that inserts an account row and then fails
// with fail (nil: succeeds) or panics.
func insertAccount(id string, fail error, panics bool) writeFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, created_at) VALUES (?, 0)`, id); err != nil {
			return err
		}
		if panics {
			panic("boom")
		}
		return fail
	}
}

func accounts(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	rows, err := db.r.Query(`SELECT id FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCommitBatch(t *testing.T) {
	errNo := errors.New("no")
	tests := []struct {
		name     string
		writes   []writeFunc
		wantErrs []bool
		wantRows []string
	}{
		{"one fails alone", []writeFunc{insertAccount("a1", nil, false), insertAccount("a2", errNo, false),
			insertAccount("a3", nil, false)}, []bool{false, true, false}, []string{"a1", "a3"}},
		{"a panic fails the batch", []writeFunc{insertAccount("b1", nil, false), insertAccount("b2", nil, true),
			insertAccount("b3", nil, false)}, []bool{true, true, true}, nil},
		{"single failure", []writeFunc{insertAccount("c1", errNo, false)}, []bool{true}, nil},
		{"single success", []writeFunc{insertAccount("d1", nil, false)}, []bool{false}, []string{"d1"}},
		{"duplicate in one batch", []writeFunc{insertAccount("e1", nil, false), insertAccount("e1", nil, false)},
			[]bool{false, true}, []string{"e1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			batch := make([]*writeReq, len(tt.writes))
			for i, fn := range tt.writes {
				batch[i] = &writeReq{ctx: context.Background(), fn: fn, done: make(chan error, 1)}
			}
			db.commitBatch(batch)
			for i, r := range batch {
				if err := <-r.done; (err != nil) != tt.wantErrs[i] {
					t.Errorf("write %d: err = %v, want error %v", i, err, tt.wantErrs[i])
				}
			}
			got := accounts(t, db)
			if len(got) != len(tt.wantRows) {
				t.Errorf("rows = %v, want %v", got, tt.wantRows)
			}
			for _, id := range tt.wantRows {
				if !got[id] {
					t.Errorf("row %s missing; rows = %v", id, got)
				}
			}
		})
	}
}

// TestConcurrentWrites: many writers at once, half of them failing; every
// success is stored, no failure leaves a trace, and the store still works.
func TestConcurrentWrites(t *testing.T) {
	db := mustOpen(t)
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fail error
			if i%2 == 1 {
				fail = errors.New("odd")
			}
			errs[i] = db.write(context.Background(), insertAccount(string(rune('A'+i%26))+string(rune('a'+i/26)), fail, false))
		}()
	}
	wg.Wait()
	got := accounts(t, db)
	for i, err := range errs {
		id := string(rune('A'+i%26)) + string(rune('a'+i/26))
		if (i%2 == 1) != (err != nil) || got[id] != (err == nil) {
			t.Errorf("write %d: err %v, stored %v", i, err, got[id])
		}
	}
	if len(got) != 100 {
		t.Errorf("%d rows, want 100", len(got))
	}
	if b, w := db.stats.batches.Load(), db.stats.writes.Load(); b >= w {
		t.Errorf("%d writes in %d batches: no batch was shared, group commit untested", w, b)
	}
}

// TestCancelledWriteDoesNotSpoilTheBatch: a write whose request context is
// cancelled while it runs still completes (it uses the context it is given),
// and so do the other writes of its batch.
func TestCancelledWriteDoesNotSpoilTheBatch(t *testing.T) {
	db := mustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	slow := func(c context.Context, tx *sql.Tx) error {
		cancel()
		if _, err := tx.ExecContext(c, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 200000)
			SELECT count(*) FROM n`); err != nil {
			return err
		}
		return insertAccount("slow", nil, false)(c, tx)
	}
	batch := []*writeReq{{fn: insertAccount("a", nil, false)}, {fn: slow}, {fn: insertAccount("b", nil, false)}}
	for i, r := range batch {
		r.ctx, r.done = context.Background(), make(chan error, 1)
		if i == 1 {
			r.ctx = context.WithoutCancel(ctx) // what enqueue does with a request context
		}
	}
	db.commitBatch(batch)
	for i, r := range batch {
		if err := <-r.done; err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := accounts(t, db); !got["a"] || !got["slow"] || !got["b"] {
		t.Errorf("rows = %v, want a, slow, b", got)
	}
}

func TestWriteAfterClose(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := db.write(context.Background(), insertAccount("x", nil, false)); !errors.Is(err, errClosed) {
		t.Errorf("write after Close = %v, want errClosed", err)
	}
	if err := db.Close(); err == nil {
		// A second Close is allowed to report the pools as closed; it must not hang or panic.
		t.Log("second Close returned nil")
	}
}

// TestWriteWaitingForTheCommitterEndsWithItsContext: a write still waiting to
// be handed to a busy committer returns when its context ends, with an error
// that errors.Is tells as the context's, and is never run; a write already
// handed over runs to its end (TestCancelledWriteDoesNotSpoilTheBatch).
func TestWriteWaitingForTheCommitterEndsWithItsContext(t *testing.T) {
	db := mustOpen(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before Close, which waits for the committer
	busy := make(chan error, 1)
	go func() {
		busy <- db.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			return insertAccount("busy", nil, false)(ctx, tx)
		})
	}()
	<-started // the committer is inside the batch: nothing receives a new write
	// The cancelled context is cancelled once the write waits on it.
	base, cancel := context.WithCancel(context.Background())
	cancelled := &watchedCtx{Context: base, watched: make(chan struct{})}
	go func() { <-cancelled.watched; cancel() }()
	expired, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline", expired, context.DeadlineExceeded},
	} {
		done := make(chan error, 1)
		go func() { done <- db.write(tc.ctx, insertAccount("late-"+tc.name, nil, false)) }()
		select {
		case err := <-done:
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: write = %v, want an error wrapping %v", tc.name, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the write still waits for the busy committer after its context ended", tc.name)
		}
	}
	free()
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	if err := db.write(context.Background(), insertAccount("after", nil, false)); err != nil {
		t.Fatal(err)
	}
	if got := accounts(t, db); !got["busy"] || !got["after"] || got["late-cancelled"] || got["late-deadline"] {
		t.Errorf("rows = %v; want busy and after, no write whose context ended before it was handed over", got)
	}
}

// watchedCtx is a context that closes watched the first time its Done
// channel is asked for: when a write starts waiting on it.
type watchedCtx struct {
	context.Context
	watched chan struct{}
	once    sync.Once
}

func (c *watchedCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.watched) })
	return c.Context.Done()
}
