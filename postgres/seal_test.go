package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/storetest"
	"github.com/jackc/pgx/v5"
)

// withoutSealer opens a store whose writes leave their records unsealed (no
// background sealer, nothing sealed at Close): an instance that crashed
// between its commits and the sealer's pass.
func withoutSealer() Option { return func(db *DB) { db.seal.off = true } }

// testChain returns a chain under a fresh audit key.
func testChain(t *testing.T) cardvault.AuditChain {
	t.Helper()
	kr, err := keys.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	c, err := kr.AuditChain(kr.NewAuditKey())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testRecord is a pending record numbered n (in Object) by writer w.
func testRecord(w string, n int) cardvault.AuditRecord {
	return cardvault.AuditRecord{At: time.Now(), Actor: cardvault.ActorServer, Action: "test.seal",
		Object: fmt.Sprintf("%s-%d", w, n), Result: cardvault.AuditOK}
}

// rawCounts returns how many records the table holds and how many are unsealed.
func rawCounts(t *testing.T, db *DB) (all, unsealed int) {
	t.Helper()
	err := db.pool.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE seq IS NULL) FROM audit_log`).
		Scan(&all, &unsealed)
	if err != nil {
		t.Fatal(err)
	}
	return all, unsealed
}

// allRecords reads the whole sealed chain.
func allRecords(t *testing.T, db *DB) []cardvault.AuditRecord {
	t.Helper()
	var out []cardvault.AuditRecord
	for {
		var after int64
		if len(out) > 0 {
			after = out[len(out)-1].Seq
		}
		recs, err := db.AuditRecords(t.Context(), cardvault.AuditFilter{After: after, Limit: cardvault.MaxAuditPage})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		out = append(out, recs...)
	}
}

// checkChain verifies db's chain and that it holds each of want's objects
// exactly once, at Seq 1, 2, … without gaps.
func checkChain(t *testing.T, db *DB, chain cardvault.AuditChain, want map[string]bool) {
	t.Helper()
	n, err := storetest.VerifyChain(t.Context(), db, chain)
	if err != nil {
		t.Fatalf("chain: %v", err)
	}
	recs := allRecords(t, db)
	if n != len(want) || len(recs) != len(want) {
		t.Fatalf("chain holds %d records (%d read), want %d", n, len(recs), len(want))
	}
	seen := map[string]bool{}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("record %d has Seq %d", i+1, r.Seq)
		}
		if !want[r.Object] || seen[r.Object] {
			t.Fatalf("record %d: object %q not written, or twice", r.Seq, r.Object)
		}
		seen[r.Object] = true
	}
}

// appendMany appends per records from each of writers goroutines of each
// store, and returns the objects appended (named after tag).
func appendMany(t *testing.T, tag string, chain cardvault.AuditChain, writers, per int, dbs ...*DB) map[string]bool {
	t.Helper()
	var mu sync.Mutex
	want := map[string]bool{}
	var wg sync.WaitGroup
	for d, db := range dbs {
		for w := range writers {
			wg.Go(func() {
				name := fmt.Sprintf("%s.db%d.w%d", tag, d, w)
				for i := range per {
					rec := testRecord(name, i)
					if err := db.AppendAudit(cardvault.WithAudit(context.Background(), chain, rec)); err != nil {
						t.Errorf("AppendAudit: %v", err)
						return
					}
					mu.Lock()
					want[rec.Object] = true
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return want
}

// TestAuditTwoPoolsOneChain: writers on two instances of one database,
// sealed by both instances' sealers, form one gapless chain that verifies.
func TestAuditTwoPoolsOneChain(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	chain := testChain(t)
	want := appendMany(t, "pools", chain, 6, 20, a, b)
	checkChain(t, b, chain, want)
	if all, unsealed := rawCounts(t, a); all != len(want) || unsealed != 0 {
		t.Fatalf("table: %d records, %d unsealed; want %d, 0", all, unsealed, len(want))
	}
}

// TestAuditSealersNeverSealTwice: both instances' background sealers and
// passes forced from each (waiting and not) run while writers append; every
// pass succeeds (a record sealed by two passes fails one: the update finds it
// sealed, or its Seq is taken) and the chain holds each record once.
func TestAuditSealersNeverSealTwice(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	a, b := MustOpen(t, dsn), MustOpen(t, dsn)
	chain := testChain(t)
	a.noteChain(chain)
	b.noteChain(chain)
	stop := make(chan struct{})
	var passes atomic.Int64
	var wg sync.WaitGroup
	for i, db := range []*DB{a, b, a, b} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.sealAudit(t.Context(), i < 2); err != nil {
					t.Errorf("seal pass: %v", err)
					return
				}
				passes.Add(1)
			}
		})
	}
	want := appendMany(t, "sealers", chain, 4, 25, a, b)
	close(stop)
	wg.Wait()
	if passes.Load() < 4 {
		t.Fatalf("only %d seal passes ran", passes.Load())
	}
	checkChain(t, a, chain, want)
}

// TestAuditRollbackLeavesNoRecord: a write that fails after appending, and
// one whose context ends, leave no record, sealed or not.
func TestAuditRollbackLeavesNoRecord(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)))
	chain := testChain(t)
	ctx := cardvault.WithAudit(t.Context(), chain, testRecord("ok", 0))
	if err := db.AppendAudit(ctx); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the write's last statement failed")
	err := db.write(cardvault.WithAudit(t.Context(), chain, testRecord("failed", 0)), "test",
		func(ctx context.Context, tx pgx.Tx) error {
			if err := appendAudit(ctx, tx, ""); err != nil {
				return err
			}
			return boom
		})
	if !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	cctx, cancel := context.WithCancel(cardvault.WithAudit(t.Context(), chain, testRecord("cancelled", 0)))
	err = db.write(cctx, "test", func(ctx context.Context, tx pgx.Tx) error {
		if err := appendAudit(ctx, tx, ""); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if err == nil {
		t.Fatal("a write whose context ended before commit succeeded")
	}
	checkChain(t, db, chain, map[string]bool{"ok-0": true})
	if all, _ := rawCounts(t, db); all != 1 {
		t.Fatalf("table holds %d records, want 1", all)
	}
}

// TestAuditSealAfterCrash: records committed by an instance that stopped
// before sealing them are invisible to readers (unsealed), then sealed by
// the next pass of another instance, first in the chain (id order), once it
// has the chain: from a write of its own, or SealAudit (audit verify).
func TestAuditSealAfterCrash(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	chain := testChain(t)
	crashed := MustOpen(t, dsn, withoutSealer())
	want := appendMany(t, "crashed", chain, 2, 5, crashed)
	if err := crashed.Close(); err != nil {
		t.Fatal(err)
	}
	next := MustOpen(t, dsn)
	if all, unsealed := rawCounts(t, next); all != 10 || unsealed != 10 {
		t.Fatalf("after the crash: %d records, %d unsealed; want 10, 10", all, unsealed)
	}
	// Without the chain, readers see only the sealed part: none of it.
	if recs := allRecords(t, next); len(recs) != 0 {
		t.Fatalf("%d records read before any seal", len(recs))
	}
	if err := next.SealAudit(t.Context(), chain); err != nil {
		t.Fatal(err)
	}
	checkChain(t, next, chain, want)

	// Again, with no other instance running: sealed by the background
	// sealer of an instance that writes.
	_ = next.Close()
	crashed2 := MustOpen(t, dsn, withoutSealer())
	for k := range appendMany(t, "crashed2", chain, 1, 3, crashed2) {
		want[k] = true
	}
	_ = crashed2.Close()
	later := MustOpen(t, dsn)
	rec := testRecord("later", 0)
	if err := later.AppendAudit(cardvault.WithAudit(t.Context(), chain, rec)); err != nil {
		t.Fatal(err)
	}
	want[rec.Object] = true
	deadline := time.Now().Add(10 * time.Second)
	for _, unsealed := rawCounts(t, later); unsealed != 0; _, unsealed = rawCounts(t, later) {
		if time.Now().After(deadline) {
			t.Fatalf("%d records still unsealed after 10 s", unsealed)
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkChain(t, later, chain, want)
	if recs := allRecords(t, later); recs[len(recs)-1].Object != rec.Object {
		t.Fatalf("the last record is %q, want the latest write's", recs[len(recs)-1].Object)
	}
}

// TestAuditVerifySealsFirst: a vault started on the store (as `audit verify`
// starts: CheckMasterKey, whose key upgrade is a write carrying the chain)
// verifies the records an instance left unsealed when it stopped.
func TestAuditVerifySealsFirst(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	crashed := MustOpen(t, dsn, withoutSealer())
	v, _ := storetest.MustVault(t, crashed)
	storetest.MustAccount(t, v)
	storetest.MustAccount(t, v)
	_ = crashed.Close()
	next := MustOpen(t, dsn)
	_, unsealed := rawCounts(t, next)
	if unsealed < 3 { // the audit key's record and two accounts'
		t.Fatalf("%d records left unsealed, want at least 3", unsealed)
	}
	w, _ := storetest.MustVault(t, next)
	if err := w.CheckMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	sum, err := w.VerifyAudit(t.Context())
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	if all, left := rawCounts(t, next); left != 0 || sum.Records != int64(all) {
		t.Fatalf("verified %d records of %d, %d left unsealed", sum.Records, all, left)
	}
}

// TestAuditForgedRecordNotSealed: unsealed rows inserted or changed by
// someone without the audit key (a row without an entry MAC, one with a
// wrong one, a genuine row changed, a genuine row copied under a new nonce)
// never enter the chain: the sealer marks them rejected and seals the others.
func TestAuditForgedRecordNotSealed(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	chain := testChain(t)
	crashed := MustOpen(t, dsn, withoutSealer())
	want := appendMany(t, "genuine", chain, 1, 4, crashed)
	exec := func(sql string) {
		t.Helper()
		if _, err := crashed.pool.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`INSERT INTO audit_log (at, account_id, mode, actor, action, object, detail, result, request_id, client_addr)
		VALUES (1, '', 0, 'server', 'test.seal', 'forged-none', '', 'ok', '', '')`)
	exec(`INSERT INTO audit_log (at, account_id, mode, actor, action, object, detail, result, request_id, client_addr,
		nonce, entry_mac) VALUES (1, '', 0, 'server', 'test.seal', 'forged-mac', '', 'ok', '', '',
		sha256('n'), sha256('m'))`)
	exec(`INSERT INTO audit_log (at, account_id, mode, actor, action, object, detail, result, request_id, client_addr,
		nonce, entry_mac) SELECT at, account_id, mode, actor, action, object, detail, result, request_id, client_addr,
		sha256('copy'), entry_mac FROM audit_log WHERE object = 'genuine.db0.w0-1'`)
	exec(`UPDATE audit_log SET detail = 'changed' WHERE object = 'genuine.db0.w0-2'`)
	delete(want, "genuine.db0.w0-2")
	_ = crashed.Close()

	next := MustOpen(t, dsn)
	if err := next.SealAudit(t.Context(), chain); err != nil {
		t.Fatal(err)
	}
	checkChain(t, next, chain, want)
	var rejected int
	if err := next.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE rejected AND seq IS NULL`).
		Scan(&rejected); err != nil || rejected != 4 {
		t.Fatalf("%d rows rejected (%v), want 4", rejected, err)
	}
}
