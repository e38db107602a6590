package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// The audit trail (cardvault.AuditStore). Every write inserts its context's
// pending records with appendAudit, last in its transaction, unsealed: seq
// and mac NULL, numbered only by the internal id (a sequence, which may leave
// gaps), without a lock, so writes of every instance commit side by side. The
// sealer (seal.go) then gives committed records their Seq and MAC, in id
// order, under the audit lock; readers seal first (AuditRecords, PruneAudit).

// auditLock names the advisory lock that serializes sealing the chain (and
// pruning it) across instances.
const auditLock = "cardvault.audit"

// lockAudit takes the audit lock until the transaction ends.
func lockAudit(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1 || current_schema()))`, auditLock)
	return err
}

// appendAudit inserts ctx's pending records in tx, unsealed, filling empty
// Objects with object. The write that commits tx signals the sealer.
func appendAudit(ctx context.Context, tx pgx.Tx, object string) error {
	recs, chain := cardvault.PendingAudit(ctx, object)
	if len(recs) == 0 {
		return nil
	}
	args := make([]any, 0, 12*len(recs))
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (at, account_id, mode, actor, action, object, detail, result,
		request_id, client_addr, nonce, entry_mac) VALUES `)
	for i := range recs {
		r := &recs[i]
		if err := needTimes("audit "+r.Action, r.At); err != nil {
			return err
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + placeholders(len(args)+1, 12) + ")")
		nonce := make([]byte, cardvault.AuditMACSize)
		_, _ = rand.Read(nonce) // never fails (crypto/rand)
		args = append(args, ms(r.At), r.AccountID, r.Mode, r.Actor, r.Action, r.Object, r.Detail, r.Result,
			r.RequestID, r.ClientAddr, nonce, entryMAC(chain, nonce, *r))
	}
	_, err := tx.Exec(ctx, q.String(), args...)
	return err
}

// entryMAC is a record's MAC as its writer inserts it: AuditChain.Seal over
// a random nonce (unique in the table) as the previous MAC, and the record
// with Seq 0, which no sealed record has. Only an instance holding the audit
// key can make one, so a record inserted or changed by anyone else is never
// sealed into the chain.
func entryMAC(chain cardvault.AuditChain, nonce []byte, r cardvault.AuditRecord) []byte {
	r.Seq, r.MAC = 0, nil
	chain.Seal(nonce, &r)
	return r.MAC
}

// auditHead returns the Seq and MAC of the chain's last sealed record, else
// of the anchor, else 0 and zero bytes.
func auditHead(ctx context.Context, q querier) (int64, []byte, error) {
	var seq int64
	var mac []byte
	err := q.QueryRow(ctx, `SELECT seq, mac FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&seq, &mac)
	if errors.Is(err, pgx.ErrNoRows) {
		err = q.QueryRow(ctx, `SELECT seq, mac FROM audit_anchor WHERE id = 1`).Scan(&seq, &mac)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, make([]byte, cardvault.AuditMACSize), nil
		}
	}
	return seq, mac, err
}

// AuditKey returns the store's wrapped audit key (ENotFound).
func (db *DB) AuditKey(ctx context.Context) (cardvault.AuditKey, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var k cardvault.AuditKey
	var created int64
	err := db.pool.QueryRow(ctx, `SELECT wrapped, scheme, kek_version, created_at FROM audit_key WHERE id = 1`).
		Scan(&k.Wrapped, &k.Wrap.Scheme, &k.Wrap.KEKVersion, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, cardvault.NotFound("audit_key", "")
	}
	k.CreatedAt = fromMS(created)
	return k, db.fail(ctx, "AuditKey", err)
}

// AddAuditKey stores the audit key (EConflict when there is one) and appends
// the pending records.
func (db *DB) AddAuditKey(ctx context.Context, k cardvault.AuditKey) error {
	if err := needTimes("AddAuditKey", k.CreatedAt); err != nil {
		return err
	}
	if len(k.Wrapped) == 0 || k.Wrap.Scheme != schemeKEK {
		return cardvault.Internal("postgres: AddAuditKey: incomplete audit key")
	}
	return db.write(ctx, "AddAuditKey", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_key (id, wrapped, scheme, kek_version, created_at)
			VALUES (1, $1, $2, $3, $4)`, k.Wrapped, k.Wrap.Scheme, k.Wrap.KEKVersion, ms(k.CreatedAt)); err != nil {
			return classify(err, "audit_key")
		}
		return appendAudit(ctx, tx, "")
	})
}

// AppendAudit appends the context's pending records in a transaction of their own.
func (db *DB) AppendAudit(ctx context.Context) error {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if recs, _ := cardvault.PendingAudit(ctx, ""); len(recs) == 0 {
		return nil
	}
	return db.write(ctx, "AppendAudit", func(ctx context.Context, tx pgx.Tx) error {
		return appendAudit(ctx, tx, "")
	})
}

// AuditRecords returns up to f.Limit records matching f, in Seq order.
func (db *DB) AuditRecords(ctx context.Context, f cardvault.AuditFilter) ([]cardvault.AuditRecord, error) {
	if f.Limit < 1 || f.Limit > cardvault.MaxAuditPage {
		return nil, cardvault.Internal("postgres: AuditRecords: limit %d outside 1…%d", f.Limit, cardvault.MaxAuditPage)
	}
	if err := db.sealNow(ctx, "AuditRecords"); err != nil {
		return nil, err
	}
	q, args := `SELECT seq, at, account_id, mode, actor, action, object, detail, result, request_id, client_addr, mac
		FROM audit_log WHERE seq > $1 AND seq IS NOT NULL`, []any{f.After}
	if !f.Since.IsZero() {
		args = append(args, ms(f.Since))
		q += ` AND at >= $` + strconv.Itoa(len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, ms(f.Until))
		q += ` AND at < $` + strconv.Itoa(len(args))
	}
	args = append(args, f.Limit)
	rows, err := db.pool.Query(ctx, q+` ORDER BY seq LIMIT $`+strconv.Itoa(len(args)), args...)
	out, err := collect(rows, err, func(r pgx.Row) (cardvault.AuditRecord, error) {
		var a cardvault.AuditRecord
		var at int64
		err := r.Scan(&a.Seq, &at, &a.AccountID, &a.Mode, &a.Actor, &a.Action, &a.Object, &a.Detail, &a.Result,
			&a.RequestID, &a.ClientAddr, &a.MAC)
		a.At = fromMS(at)
		return a, err
	})
	return out, db.fail(ctx, "AuditRecords", err)
}

// AuditAnchor returns the chain's anchor (Seq 0 when none).
func (db *DB) AuditAnchor(ctx context.Context) (cardvault.AuditAnchor, error) {
	var a cardvault.AuditAnchor
	var at int64
	err := db.pool.QueryRow(ctx, `SELECT seq, mac, at, anchor_mac FROM audit_anchor WHERE id = 1`).
		Scan(&a.Seq, &a.MAC, &at, &a.AnchorMAC)
	if errors.Is(err, pgx.ErrNoRows) {
		return cardvault.AuditAnchor{}, nil
	}
	a.At = fromMS(at)
	return a, db.fail(ctx, "AuditAnchor", err)
}

// PruneAudit seals the chain, then deletes its oldest records before before
// (at most limit), moves the anchor past them and appends the pending
// records (unsealed, as every write does), holding the audit lock so that no
// sealer extends the chain meanwhile.
func (db *DB) PruneAudit(ctx context.Context, before, at time.Time, limit int) (int, error) {
	if err := needTimes("PruneAudit", before, at); err != nil {
		return 0, err
	}
	recs, chain := cardvault.PendingAudit(ctx, "")
	if chain == nil || len(recs) == 0 {
		return 0, cardvault.Internal("postgres: PruneAudit: no audit chain on the context")
	}
	if limit < 1 {
		return 0, cardvault.Internal("postgres: PruneAudit: limit %d", limit)
	}
	db.noteChain(chain)
	if err := db.sealNow(ctx, "PruneAudit"); err != nil {
		return 0, err
	}
	var n int
	err := db.write(ctx, "PruneAudit", func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		if err := lockAudit(ctx, tx); err != nil {
			return err
		}
		type rec struct {
			seq, at int64
			mac     []byte
		}
		rows, err := tx.Query(ctx, `SELECT seq, at, mac FROM audit_log WHERE seq IS NOT NULL ORDER BY seq LIMIT $1`, limit)
		oldest, err := collect(rows, err, func(r pgx.Row) (rec, error) {
			var x rec
			err := r.Scan(&x.seq, &x.at, &x.mac)
			return x, err
		})
		if err != nil {
			return err
		}
		var last cardvault.AuditAnchor
		for _, x := range oldest {
			if x.at >= ms(before) {
				break
			}
			last.Seq, last.MAC = x.seq, x.mac
			n++
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq <= $1`, last.Seq); err != nil {
			return err
		}
		last.At = fromMS(ms(at))
		last.AnchorMAC = chain.SealAnchor(last)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_anchor (id, seq, mac, at, anchor_mac) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, at = excluded.at,
			anchor_mac = excluded.anchor_mac`, last.Seq, last.MAC, ms(at), last.AnchorMAC); err != nil {
			return err
		}
		return appendAudit(ctx, tx, strconv.Itoa(n))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
