package postgres

import (
	"context"
	"crypto/hmac"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sealing the audit chain. A write inserts its records unsealed (seq and mac
// NULL) and commits without waiting for any other instance. The sealer then
// takes the audit lock (a transaction-level advisory lock, so one instance
// seals at a time), reads the chain head, gives the committed unsealed
// records Seq = head + 1, + 2, … in id order and their MACs
// (cardvault.AuditChain.Seal), and commits: one transaction, one disk flush,
// for a whole batch of writes. Records that committed out of id order are
// sealed in the order a pass finds them: the chain's order is Seq's.
//
// It runs after each local write that appended (a non-blocking, coalescing
// signal), every sealTick for the records of other instances and of
// instances that stopped before sealing theirs, and synchronously before
// every read of the chain (AuditRecords, PruneAudit), so readers see a
// sealed chain. It needs the audit key's chain: the store keeps the last one
// a write's context carried (every write with records carries one), or one
// given to SealAudit. An instance that has seen none seals nothing.

// sealBatch is how many records one sealing transaction seals at most.
const sealBatch = 1000

// sealTick is how often the sealer looks for records it was not signalled
// about (other instances' writes, an instance that stopped before sealing).
const sealTick = 100 * time.Millisecond

// sealer is the background sealing of one DB.
type sealer struct {
	chain  atomic.Pointer[cardvault.AuditChain] // the last chain a write carried
	kick   chan struct{}                        // capacity 1: a pending signal
	cancel context.CancelFunc                   // ends the loop's current pass
	done   chan struct{}                        // closed when the loop has returned
	off    bool                                 // tests: no loop, no signal, no pass at Close
	once   sync.Once
	failed atomic.Bool // the last background pass failed (logged once until one succeeds)
}

// startSealer starts the sealer's loop (unless a test turned it off).
func (db *DB) startSealer() {
	s := &db.seal
	s.kick = make(chan struct{}, 1)
	s.done = make(chan struct{})
	if s.off {
		close(s.done)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go db.sealLoop(ctx)
}

// stopSealer ends the loop and, unless the database is known to be down,
// seals what this instance's writes left (bounded by opTimeout).
func (db *DB) stopSealer() {
	s := &db.seal
	s.once.Do(func() {
		if s.off || s.cancel == nil {
			return
		}
		s.cancel()
		<-s.done
		if db.down.Load() || s.chain.Load() == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), db.opTimeout)
		defer cancel()
		if err := db.sealAudit(ctx, true); err != nil {
			db.log.Warn("postgres: audit records left unsealed at close; the next instance seals them", "err", errText(err))
		}
	})
}

// noteChain keeps chain as the one to seal with.
func (db *DB) noteChain(chain cardvault.AuditChain) {
	if chain == nil {
		return
	}
	if p := db.seal.chain.Load(); p == nil || *p != chain {
		db.seal.chain.Store(&chain)
	}
}

// wrote tells the sealer that a write whose context is ctx committed.
func (db *DB) wrote(ctx context.Context) {
	_, chain := cardvault.PendingAudit(ctx, "")
	if chain == nil || db.seal.off {
		return
	}
	db.noteChain(chain)
	select {
	case db.seal.kick <- struct{}{}:
	default: // a pass is already due: it will find these records too
	}
}

// sealLoop seals on each signal and tick until ctx ends.
func (db *DB) sealLoop(ctx context.Context) {
	defer close(db.seal.done)
	t := time.NewTicker(sealTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.seal.kick:
		case <-t.C:
			if db.seal.chain.Load() == nil || !db.unsealed(ctx) {
				continue
			}
		}
		pctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := db.sealAudit(pctx, false)
		cancel()
		switch {
		case err == nil:
			db.seal.failed.Store(false)
		case ctx.Err() != nil:
			return
		case !db.seal.failed.Swap(true):
			db.log.Warn("postgres: sealing the audit chain failed; retrying every tick", "err", errText(err))
		}
	}
}

// unsealed reports whether the table holds an unsealed record (false when it
// cannot tell: the next tick asks again).
func (db *DB) unsealed(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, db.opTimeout)
	defer cancel()
	var found bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq IS NULL)`).Scan(&found)
	return err == nil && found
}

// SealAudit seals every committed unsealed record with chain (the store's
// audit key; `audit verify` gives it, so that it checks the records of
// writes whose instance stopped before sealing them) and keeps chain for
// later passes.
func (db *DB) SealAudit(ctx context.Context, chain cardvault.AuditChain) error {
	db.noteChain(chain)
	return db.sealNow(ctx, "SealAudit")
}

// sealNow seals synchronously, waiting for a pass of another instance to
// end, so that what a reader then reads is sealed up to the records
// committed before it asked. Without a chain it seals nothing.
func (db *DB) sealNow(ctx context.Context, op string) error {
	return db.fail(ctx, op, db.sealAudit(ctx, true))
}

// sealAudit seals in batches until none is left. With wait false it gives
// up when another pass holds the audit lock (that pass, or the next tick,
// seals what is left).
func (db *DB) sealAudit(ctx context.Context, wait bool) error {
	p := db.seal.chain.Load()
	if p == nil {
		return nil
	}
	for {
		n, err := db.sealOnce(ctx, *p, wait)
		if err != nil || n < sealBatch {
			return err
		}
	}
}

// sealOnce seals up to sealBatch records in one transaction and returns how
// many it sealed.
func (db *DB) sealOnce(ctx context.Context, chain cardvault.AuditChain, wait bool) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if wait {
			if err := lockAudit(ctx, tx); err != nil {
				return err
			}
		} else {
			var got bool
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1 || current_schema()))`,
				auditLock).Scan(&got); err != nil || !got {
				return err
			}
		}
		// READ COMMITTED: each statement from here sees every commit made
		// before it, the last sealing pass's included.
		seq, mac, err := auditHead(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, at, account_id, mode, actor, action, object, detail, result,
			request_id, client_addr, nonce, entry_mac FROM audit_log WHERE seq IS NULL AND NOT rejected
			ORDER BY id LIMIT $1`, sealBatch)
		recs, err := collect(rows, err, func(r pgx.Row) (idRecord, error) {
			var x idRecord
			var at int64
			err := r.Scan(&x.id, &at, &x.AccountID, &x.Mode, &x.Actor, &x.Action, &x.Object, &x.Detail,
				&x.Result, &x.RequestID, &x.ClientAddr, &x.nonce, &x.entryMAC)
			x.At = fromMS(at)
			return x, err
		})
		if err != nil || len(recs) == 0 {
			return err
		}
		var ids, seqs, rejected []int64
		var macs [][]byte
		for i := range recs {
			r := &recs[i].AuditRecord
			if len(recs[i].nonce) != cardvault.AuditMACSize ||
				!hmac.Equal(entryMAC(chain, recs[i].nonce, *r), recs[i].entryMAC) {
				rejected = append(rejected, recs[i].id)
				continue
			}
			seq++
			r.Seq = seq
			chain.Seal(mac, r)
			mac = r.MAC
			ids, seqs, macs = append(ids, recs[i].id), append(seqs, r.Seq), append(macs, r.MAC)
		}
		if len(rejected) > 0 {
			db.log.Error("postgres: audit records whose entry MAC does not verify (inserted or changed by "+
				"someone without the audit key) are left out of the chain, marked rejected", "ids", rejected)
			if _, err := tx.Exec(ctx, `UPDATE audit_log SET rejected = true WHERE id = ANY($1) AND seq IS NULL`,
				rejected); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE audit_log a SET seq = u.seq, mac = u.mac
			FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(id, seq, mac)
			WHERE a.id = u.id AND a.seq IS NULL AND NOT a.rejected`, ids, seqs, macs)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != int64(len(ids)) {
			return errSealRace
		}
		n = len(recs)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// errSealRace is a sealing pass that found a record it read unsealed sealed
// by another: the audit lock did not serialize them. It rolls back.
var errSealRace = errors.New("audit records sealed by two passes at once")

// idRecord is an unsealed record with its internal id and its writer's
// entry MAC.
type idRecord struct {
	id              int64
	nonce, entryMAC []byte
	cardvault.AuditRecord
}

// errText is err's text for a log line, naming no host, port or driver
// text.
func errText(err error) string {
	var de *cardvault.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &de):
		return de.Error()
	case errors.Is(err, errSealRace):
		return err.Error()
	case errors.As(err, &pe):
		return "SQLSTATE " + pe.Code
	case connectionLost(err):
		return ErrUnavailable.Error()
	}
	return "sealing failed"
}
