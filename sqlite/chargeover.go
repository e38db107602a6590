package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// CardByRef returns a stored card by any identity (ENotFound).
func (db *DB) CardByRef(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Card, error) {
	return cardByRef(ctx, db.rq, s, "", ref)
}

// StoreCard stores c for a customer, or merges it into the customer's most
// recently stored card with the same fingerprint.
func (db *DB) StoreCard(ctx context.Context, s cardvault.Scope, customer cardvault.Ref, c *cardvault.Card, merge func(*cardvault.Card)) (*cardvault.Card, bool, error) {
	var out *cardvault.Card
	var created bool
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cust, err := customerByRef(ctx, tx, s, customer)
		if err != nil {
			return err
		}
		old, err := scanCard(tx.QueryRowContext(ctx, `SELECT `+cardColumns+` FROM cards
			WHERE customer_id = ? AND fingerprint = ? ORDER BY seq DESC LIMIT 1`, cust.ID, c.Fingerprint))
		if err == nil {
			merge(old)
			out = old
			return updateCard(ctx, tx, old)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if c.Seq, err = nextSeq(ctx, tx, "card"); err != nil {
			return err
		}
		c.CustomerID, c.CustomerSeq, c.Token = cust.ID, cust.Seq, cardvault.NewObjectToken()
		if err := insertCard(ctx, tx, c); err != nil {
			return err
		}
		out, created = c, true
		if cust.DefaultCard != "" {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE customers SET default_card = ? WHERE id = ?`, c.ID, cust.ID)
		return err
	})
	return out, created, err
}

// QueryCards returns stored cards matching a ChargeOver query.
func (db *DB) QueryCards(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Card, error) {
	page, args, err := renderPage(q, cardColumnOf)
	if err != nil {
		return nil, err
	}
	return scanCards(db.rq.QueryContext(ctx, `SELECT `+cardColumns+` FROM cards
		WHERE account_id = ? AND mode = ? AND customer_id IS NOT NULL`+page, append([]any{s.AccountID, s.Mode}, args...)...))
}

// CountCards counts stored cards matching ChargeOver conditions.
func (db *DB) CountCards(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	where, args, err := renderWhere(conds, cardColumnOf)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.rq.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE account_id = ? AND mode = ?
		AND customer_id IS NOT NULL`+where, append([]any{s.AccountID, s.Mode}, args...)...).Scan(&n)
	return n, err
}

// QueryCustomers returns customers matching a ChargeOver query.
func (db *DB) QueryCustomers(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Customer, error) {
	page, args, err := renderPage(q, customerColumnOf)
	if err != nil {
		return nil, err
	}
	return scanCustomers(db.rq.QueryContext(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE account_id = ? AND mode = ?`+page, append([]any{s.AccountID, s.Mode}, args...)...))
}

// CountCustomers counts customers matching ChargeOver conditions.
func (db *DB) CountCustomers(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	where, args, err := renderWhere(conds, customerColumnOf)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.rq.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE account_id = ? AND mode = ?`+where,
		append([]any{s.AccountID, s.Mode}, args...)...).Scan(&n)
	return n, err
}

// UseNonce records a signature nonce; false if it was seen at or after notBefore.
func (db *DB) UseNonce(ctx context.Context, keyHash [32]byte, nonce string, now, notBefore time.Time) (bool, error) {
	var fresh bool
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM nonces WHERE public_key_hash = ? AND seen_at < ?`,
			keyHash[:], ms(notBefore)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO nonces (public_key_hash, nonce, seen_at) VALUES (?, ?, ?)
			ON CONFLICT (public_key_hash, nonce) DO NOTHING`, keyHash[:], nonce, ms(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	return fresh, err
}
