package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
)

// KEKs returns the store's KEK version records, oldest first.
func (db *DB) KEKs(ctx context.Context) ([]cardvault.KEK, error) {
	out, err := queryKEKs(ctx, db.rq)
	return out, readErr(ctx, err)
}

func queryKEKs(ctx context.Context, q queryer) ([]cardvault.KEK, error) {
	rows, err := q.QueryContext(ctx, `SELECT version, check_value, wrapped, coalesce(wrapped_by, 0), created_at,
		coalesce(retired_at, 0) FROM kek_versions ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cardvault.KEK
	for rows.Next() {
		var k cardvault.KEK
		var created, retired int64
		if err := rows.Scan(&k.Version, &k.Check, &k.Wrapped, &k.WrappedBy, &created, &retired); err != nil {
			return nil, err
		}
		k.CreatedAt = fromMS(created)
		if retired != 0 {
			k.RetiredAt = fromMS(retired)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddKEK stores the record of the next KEK version (EConflict unless it is
// the newest plus one and its check value is new).
func (db *DB) AddKEK(ctx context.Context, k cardvault.KEK) error {
	if err := needTimes("AddKEK", k.CreatedAt); err != nil {
		return err
	}
	if len(k.Check) == 0 || k.Version < 1 || (len(k.Wrapped) == 0) != (k.WrappedBy == 0) {
		return cardvault.Internal("sqlite: AddKEK: incomplete record for version %d", k.Version)
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var newest int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM kek_versions`).Scan(&newest); err != nil {
			return err
		}
		if k.Version != newest+1 {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "kek_version",
				Err: fmt.Errorf("KEK version %d is not the next one (the newest is %d)", k.Version, newest)}
		}
		var wrappedBy any
		if k.WrappedBy != 0 {
			wrappedBy = k.WrappedBy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kek_versions (version, check_value, wrapped, wrapped_by, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.Version, k.Check, k.Wrapped, wrappedBy, ms(k.CreatedAt)); err != nil {
			return classify(err, "check_value")
		}
		return db.appendAudit(ctx, tx, "")
	})
}

// FinishRotation ends a rotation to KEK version v: refused (EConflict) while
// a key is wrapped otherwise; then v's wrapped copy is deleted, and scrubbed
// from the WAL, and older versions are retired.
func (db *DB) FinishRotation(ctx context.Context, v int, at time.Time) error {
	if err := needTimes("FinishRotation", at); err != nil {
		return err
	}
	var cleared bool
	return db.destroyIf(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cleared = false
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM data_keys WHERE NOT (scheme = ? AND kek_version = ?)) +
			(SELECT count(*) FROM fingerprint_keys WHERE NOT (scheme = ? AND kek_version = ?)) +
			(SELECT count(*) FROM api_keys WHERE sealed_secret IS NOT NULL AND NOT (secret_scheme = ? AND secret_kek_version = ?)) +
			(SELECT count(*) FROM audit_key WHERE NOT (scheme = ? AND kek_version = ?)) +
			(SELECT count(*) FROM accounts WHERE id NOT IN (SELECT account_id FROM fingerprint_keys))`,
			schemeKEK, v, schemeKEK, v, schemeKEK, v, schemeKEK, v).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "kek_version",
				Err: fmt.Errorf("%d keys are not wrapped under KEK version %d", left, v)}
		}
		var newest int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM kek_versions`).Scan(&newest); err != nil {
			return err
		}
		if newest != v {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "kek_version",
				Err: fmt.Errorf("KEK version %d is not the newest (%d)", v, newest)}
		}
		res, err := tx.ExecContext(ctx, `UPDATE kek_versions SET wrapped = NULL, wrapped_by = NULL
			WHERE version = ? AND wrapped IS NOT NULL`, v)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		cleared = n > 0
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE kek_versions SET retired_at = ? WHERE version < ? AND retired_at IS NULL`, ms(at), v); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, "")
	}, func() bool { return cleared })
}

// schemeKEK is keys.SchemeKEK (the store does not import keys).
const schemeKEK = 2

// KeyStatus counts keys per KEK version and cards per data key.
func (db *DB) KeyStatus(ctx context.Context) (cardvault.KeyStatus, error) {
	st, err := keyStatus(ctx, db.rq)
	return st, readErr(ctx, err)
}

func keyStatus(ctx context.Context, q queryer) (cardvault.KeyStatus, error) {
	var st cardvault.KeyStatus
	keks, err := queryKEKs(ctx, q)
	if err != nil {
		return st, err
	}
	byVersion := map[int]*cardvault.KEKStatus{}
	get := func(v int) *cardvault.KEKStatus {
		if s := byVersion[v]; s != nil {
			return s
		}
		byVersion[v] = &cardvault.KEKStatus{Version: v}
		return byVersion[v]
	}
	for i := range keks {
		get(keks[i].Version).Rec = &keks[i]
	}
	rows, err := q.QueryContext(ctx, `
		SELECT 0, kek_version, count(*) FROM data_keys GROUP BY kek_version
		UNION ALL SELECT 1, kek_version, count(*) FROM fingerprint_keys GROUP BY kek_version
		UNION ALL SELECT 2, secret_kek_version, count(*) FROM api_keys WHERE sealed_secret IS NOT NULL GROUP BY secret_kek_version
		UNION ALL SELECT 3, kek_version, count(*) FROM audit_key GROUP BY kek_version`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var kind, v, n int
		if err := rows.Scan(&kind, &v, &n); err != nil {
			rows.Close()
			return st, err
		}
		s := get(v)
		switch kind {
		case 0:
			s.DataKeys = n
		case 1:
			s.FingerprintKeys = n
		case 3:
			s.AuditKeys = n
		default:
			s.Seals = n
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return st, err
	}
	for v := range byVersion {
		st.KEKs = append(st.KEKs, *byVersion[v])
	}
	slices.SortFunc(st.KEKs, func(a, b cardvault.KEKStatus) int { return a.Version - b.Version })
	// One pass over the cards, not one per data key.
	cards := map[string]int{}
	rows, err = q.QueryContext(ctx, `SELECT account_id, key_version, count(*) FROM cards GROUP BY account_id, key_version`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var id string
		var v, n int
		if err := rows.Scan(&id, &v, &n); err != nil {
			rows.Close()
			return st, err
		}
		cards[id+"/"+strconv.Itoa(v)] = n
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return st, err
	}
	dks, err := queryDataKeys(ctx, q, `SELECT `+dataKeyColumns+` FROM data_keys ORDER BY account_id, version`)
	if err != nil {
		return st, err
	}
	for _, dk := range dks {
		if n := len(st.Accounts); n == 0 || st.Accounts[n-1].AccountID != dk.AccountID {
			st.Accounts = append(st.Accounts, cardvault.AccountKeyStatus{AccountID: dk.AccountID})
		}
		a := &st.Accounts[len(st.Accounts)-1]
		a.DataKeys = append(a.DataKeys, cardvault.DataKeyStatus{Version: dk.Version, CreatedAt: dk.CreatedAt,
			Cards: cards[dk.AccountID+"/"+strconv.Itoa(dk.Version)]})
	}
	return st, nil
}
