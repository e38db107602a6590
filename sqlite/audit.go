package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The audit trail (cardvault.AuditStore). Every write appends its context's
// pending records with appendAudit, last in its transaction (savepoint).
//
// The chain head is read from the table by the first append of each batch
// and then kept by the committer for the rest of the batch (db.head): the
// batch's transaction holds SQLite's write lock from BEGIN IMMEDIATE to its
// commit, so no other process (cardvault account create, keys rotate-master)
// can append meanwhile. A write of the batch that fails is rolled back to its
// savepoint, taking its records with it, so any failure forgets the head
// (runOne); so does every new batch, since another process may have written
// between two batches.

// auditHeadCache is the chain head as the batch in progress left it. Only
// the committer goroutine touches it.
type auditHeadCache struct {
	valid bool
	seq   int64
	mac   []byte
}

// appendAudit appends ctx's pending records in tx, filling empty Objects
// with object.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, object string) error {
	recs, chain := cardvault.PendingAudit(ctx, object)
	if len(recs) == 0 {
		return nil
	}
	seq, mac := db.head.seq, db.head.mac
	if !db.head.valid {
		var err error
		if seq, mac, err = auditHead(ctx, tx); err != nil {
			return err
		}
	}
	db.head.valid = false // until every record is in
	for i := range recs {
		r := &recs[i]
		if err := needTimes("audit "+r.Action, r.At); err != nil {
			return err
		}
		seq++
		r.Seq = seq
		chain.Seal(mac, r)
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, account_id, mode, actor, action, object,
			detail, result, request_id, client_addr, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Seq, ms(r.At), r.AccountID, r.Mode, r.Actor, r.Action, r.Object, r.Detail, r.Result, r.RequestID,
			r.ClientAddr, r.MAC); err != nil {
			return err
		}
		mac = r.MAC
	}
	db.head = auditHeadCache{valid: true, seq: seq, mac: mac}
	return nil
}

// auditHead returns the Seq and MAC of the chain's last record, else of the
// anchor, else 0 and zero bytes.
func auditHead(ctx context.Context, q queryer) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := q.QueryRowContext(ctx, `SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		err = q.QueryRowContext(ctx, `SELECT seq, mac FROM audit_anchor WHERE id = 1`).Scan(&seq, &mac)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, make([]byte, cardvault.AuditMACSize), nil
		}
	}
	return seq, mac, err
}

// AuditKey returns the store's wrapped audit key (ENotFound).
func (db *DB) AuditKey(ctx context.Context) (cardvault.AuditKey, error) {
	var k cardvault.AuditKey
	var created int64
	err := db.rq.QueryRowContext(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM audit_key WHERE id = 1`).
		Scan(&k.Wrapped, &k.Wrap.Scheme, &k.Wrap.KEKVersion, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, cardvault.NotFound("audit_key", "")
	}
	k.CreatedAt = fromMS(created)
	return k, readErr(ctx, err)
}

// AddAuditKey stores the audit key (EConflict when there is one) and appends
// the pending records.
func (db *DB) AddAuditKey(ctx context.Context, k cardvault.AuditKey) error {
	if err := needTimes("AddAuditKey", k.CreatedAt); err != nil {
		return err
	}
	if len(k.Wrapped) == 0 || k.Wrap.Scheme != schemeKEK {
		return cardvault.Internal("sqlite: AddAuditKey: incomplete audit key")
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_key (id, wrapped, scheme, kek_version, created_at)
			VALUES (1, ?, ?, ?, ?)`, k.Wrapped, k.Wrap.Scheme, k.Wrap.KEKVersion, ms(k.CreatedAt))
		if classify(err, "audit_key") != err || isPrimaryKey(err) {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "audit_key", Err: err}
		}
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, "")
	})
}

// AppendAudit appends the context's pending records in a transaction of their own.
func (db *DB) AppendAudit(ctx context.Context) error {
	if recs, _ := cardvault.PendingAudit(ctx, ""); len(recs) == 0 {
		return nil
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.appendAudit(ctx, tx, "")
	})
}

// AuditRecords returns up to f.Limit records matching f, in Seq order.
func (db *DB) AuditRecords(ctx context.Context, f cardvault.AuditFilter) ([]cardvault.AuditRecord, error) {
	if f.Limit < 1 || f.Limit > cardvault.MaxAuditPage {
		return nil, cardvault.Internal("sqlite: AuditRecords: limit %d outside 1…%d", f.Limit, cardvault.MaxAuditPage)
	}
	q, args := `SELECT seq, at, account_id, mode, actor, action, object, detail, result, request_id, client_addr, mac
		FROM audit_log WHERE seq > ?`, []any{f.After}
	if !f.Since.IsZero() {
		q, args = q+` AND at >= ?`, append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		q, args = q+` AND at < ?`, append(args, ms(f.Until))
	}
	rows, err := db.rq.QueryContext(ctx, q+` ORDER BY seq LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, readErr(ctx, err)
	}
	defer rows.Close()
	var out []cardvault.AuditRecord
	for rows.Next() {
		var r cardvault.AuditRecord
		var at int64
		if err := rows.Scan(&r.Seq, &at, &r.AccountID, &r.Mode, &r.Actor, &r.Action, &r.Object, &r.Detail, &r.Result,
			&r.RequestID, &r.ClientAddr, &r.MAC); err != nil {
			return nil, readErr(ctx, err)
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	return out, readErr(ctx, rows.Err())
}

// AuditAnchor returns the chain's anchor (Seq 0 when none).
func (db *DB) AuditAnchor(ctx context.Context) (cardvault.AuditAnchor, error) {
	var a cardvault.AuditAnchor
	var at int64
	err := db.rq.QueryRowContext(ctx, `SELECT seq, mac, at, anchor_mac FROM audit_anchor WHERE id = 1`).
		Scan(&a.Seq, &a.MAC, &at, &a.AnchorMAC)
	if errors.Is(err, sql.ErrNoRows) {
		return cardvault.AuditAnchor{}, nil
	}
	a.At = fromMS(at)
	return a, readErr(ctx, err)
}

// PruneAudit deletes the oldest records before before (at most limit), moves
// the anchor past them and appends the pending records.
func (db *DB) PruneAudit(ctx context.Context, before, at time.Time, limit int) (int, error) {
	if err := needTimes("PruneAudit", before, at); err != nil {
		return 0, err
	}
	recs, chain := cardvault.PendingAudit(ctx, "")
	if chain == nil || len(recs) == 0 {
		return 0, cardvault.Internal("sqlite: PruneAudit: no audit chain on the context")
	}
	if limit < 1 {
		return 0, cardvault.Internal("sqlite: PruneAudit: limit %d", limit)
	}
	var n int
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT seq, at, mac FROM audit_log ORDER BY seq LIMIT ?`, limit)
		if err != nil {
			return err
		}
		var last cardvault.AuditAnchor
		for rows.Next() {
			var seq, recAt int64
			var mac []byte
			if err := rows.Scan(&seq, &recAt, &mac); err != nil {
				rows.Close()
				return err
			}
			if recAt >= ms(before) {
				break
			}
			last.Seq, last.MAC = seq, mac
			n++
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil || n == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= ?`, last.Seq); err != nil {
			return err
		}
		last.At = fromMS(ms(at))
		last.AnchorMAC = chain.SealAnchor(last)
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_anchor (id, seq, mac, at, anchor_mac) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, at = excluded.at,
			anchor_mac = excluded.anchor_mac`, last.Seq, last.MAC, ms(at), last.AnchorMAC); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, strconv.Itoa(n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// isPrimaryKey reports whether err is SQLite's primary-key violation.
func isPrimaryKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
