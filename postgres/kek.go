package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// schemeKEK is keys.SchemeKEK (the store does not import keys).
const schemeKEK = 2

// KEKs returns the store's KEK version records, oldest first.
func (db *DB) KEKs(ctx context.Context) ([]cardvault.KEK, error) {
	out, err := queryKEKs(ctx, db.pool)
	return out, db.fail(ctx, "KEKs", err)
}

func queryKEKs(ctx context.Context, q querier) ([]cardvault.KEK, error) {
	rows, err := q.Query(ctx, `SELECT version, check_value, wrapped, coalesce(wrapped_by, 0), created_at,
		coalesce(retired_at, 0) FROM kek_versions ORDER BY version`)
	return collect(rows, err, func(r pgx.Row) (cardvault.KEK, error) {
		var k cardvault.KEK
		var created, retired int64
		if err := r.Scan(&k.Version, &k.Check, &k.Wrapped, &k.WrappedBy, &created, &retired); err != nil {
			return k, err
		}
		k.CreatedAt = fromMS(created)
		if retired != 0 {
			k.RetiredAt = fromMS(retired)
		}
		return k, nil
	})
}

// AddKEK stores the record of the next KEK version (EConflict unless it is
// the newest plus one and its check value is new).
func (db *DB) AddKEK(ctx context.Context, k cardvault.KEK) error {
	if err := needTimes("AddKEK", k.CreatedAt); err != nil {
		return err
	}
	if len(k.Check) == 0 || k.Version < 1 || (len(k.Wrapped) == 0) != (k.WrappedBy == 0) {
		return cardvault.Internal("postgres: AddKEK: incomplete record for version %d", k.Version)
	}
	return db.write(ctx, "AddKEK", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, true); err != nil {
			return err
		}
		var newest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM kek_versions`).Scan(&newest); err != nil {
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
		if _, err := tx.Exec(ctx, `INSERT INTO kek_versions (version, check_value, wrapped, wrapped_by, created_at)
			VALUES ($1, $2, $3, $4, $5)`, k.Version, k.Check, k.Wrapped, wrappedBy, ms(k.CreatedAt)); err != nil {
			return classify(err, "check_value")
		}
		return appendAudit(ctx, tx, "")
	})
}

// FinishRotation ends a rotation to KEK version v: refused (EConflict) while
// a key is wrapped otherwise; then v's wrapped copy is deleted and older
// versions are retired. It holds the key-hierarchy lock exclusively, so no
// key is added under an older version meanwhile.
func (db *DB) FinishRotation(ctx context.Context, v int, at time.Time) error {
	if err := needTimes("FinishRotation", at); err != nil {
		return err
	}
	return db.write(ctx, "FinishRotation", func(ctx context.Context, tx pgx.Tx) error {
		if err := lockKeys(ctx, tx, true); err != nil {
			return err
		}
		var left int
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM data_keys WHERE NOT (scheme = $1 AND kek_version = $2)) +
			(SELECT count(*) FROM fingerprint_keys WHERE NOT (scheme = $1 AND kek_version = $2)) +
			(SELECT count(*) FROM api_keys WHERE sealed_secret IS NOT NULL AND NOT (secret_scheme = $1 AND secret_kek_version = $2)) +
			(SELECT count(*) FROM audit_key WHERE NOT (scheme = $1 AND kek_version = $2)) +
			(SELECT count(*) FROM accounts WHERE id NOT IN (SELECT account_id FROM fingerprint_keys))`,
			schemeKEK, v).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "kek_version",
				Err: fmt.Errorf("%d keys are not wrapped under KEK version %d", left, v)}
		}
		var newest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM kek_versions`).Scan(&newest); err != nil {
			return err
		}
		if newest != v {
			return &cardvault.Error{Code: cardvault.EConflict, Field: "kek_version",
				Err: fmt.Errorf("KEK version %d is not the newest (%d)", v, newest)}
		}
		if _, err := tx.Exec(ctx, `UPDATE kek_versions SET wrapped = NULL, wrapped_by = NULL
			WHERE version = $1 AND wrapped IS NOT NULL`, v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE kek_versions SET retired_at = $1 WHERE version < $2 AND retired_at IS NULL`, ms(at), v); err != nil {
			return err
		}
		return appendAudit(ctx, tx, "")
	})
}

// KeyStatus counts keys per KEK version and cards per data key, from one
// snapshot.
func (db *DB) KeyStatus(ctx context.Context) (cardvault.KeyStatus, error) {
	var st cardvault.KeyStatus
	err := db.readTx(ctx, "KeyStatus", func(tx pgx.Tx) error {
		var err error
		st, err = keyStatus(ctx, tx)
		return err
	})
	return st, err
}

func keyStatus(ctx context.Context, q querier) (cardvault.KeyStatus, error) {
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
	type count struct{ kind, v, n int }
	rows, err := q.Query(ctx, `
		SELECT 0, kek_version, count(*) FROM data_keys GROUP BY kek_version
		UNION ALL SELECT 1, kek_version, count(*) FROM fingerprint_keys GROUP BY kek_version
		UNION ALL SELECT 2, secret_kek_version, count(*) FROM api_keys WHERE sealed_secret IS NOT NULL GROUP BY secret_kek_version
		UNION ALL SELECT 3, kek_version, count(*) FROM audit_key GROUP BY kek_version`)
	counts, err := collect(rows, err, func(r pgx.Row) (count, error) {
		var c count
		err := r.Scan(&c.kind, &c.v, &c.n)
		return c, err
	})
	if err != nil {
		return st, err
	}
	for _, c := range counts {
		s := get(c.v)
		switch c.kind {
		case 0:
			s.DataKeys = c.n
		case 1:
			s.FingerprintKeys = c.n
		case 3:
			s.AuditKeys = c.n
		default:
			s.Seals = c.n
		}
	}
	for v := range byVersion {
		st.KEKs = append(st.KEKs, *byVersion[v])
	}
	slices.SortFunc(st.KEKs, func(a, b cardvault.KEKStatus) int { return a.Version - b.Version })
	type cardCount struct {
		id   string
		v, n int
	}
	rows, err = q.Query(ctx, `SELECT account_id, key_version, count(*) FROM cards GROUP BY account_id, key_version`)
	ccs, err := collect(rows, err, func(r pgx.Row) (cardCount, error) {
		var c cardCount
		err := r.Scan(&c.id, &c.v, &c.n)
		return c, err
	})
	if err != nil {
		return st, err
	}
	cards := map[string]int{}
	for _, c := range ccs {
		cards[c.id+"/"+strconv.Itoa(c.v)] = c.n
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
