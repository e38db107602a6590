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
	c, err := cardByRef(ctx, db.rq, s, "", ref)
	return c, readErr(ctx, err)
}

// StoreCard stores c for a customer, or merges it into the customer's most
// recently stored card with the same fingerprint (cardvault.MergeCard).
func (db *DB) StoreCard(ctx context.Context, s cardvault.Scope, customer cardvault.Ref, c *cardvault.Card, m cardvault.CardMerge) (*cardvault.Card, bool, error) {
	if err := needTimes("StoreCard", c.CreatedAt, c.ModifiedAt); err != nil {
		return nil, false, err
	}
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
			old = cardvault.MergeCard(old, c, m)
			if err := needTimes("StoreCard", old.ModifiedAt); err != nil {
				return err
			}
			out = old
			if err := updateCard(ctx, tx, old); err != nil {
				return err
			}
			return db.appendAudit(ctx, tx, old.ID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if c.Seq, err = nextSeq(ctx, tx, s, cardSeq); err != nil {
			return err
		}
		c.CustomerID, c.CustomerSeq, c.Token = cust.ID, cust.Seq, cardvault.NewObjectToken()
		if err := insertCard(ctx, tx, c); err != nil {
			return err
		}
		out, created = c, true
		if cust.DefaultCard == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET default_card = ? WHERE id = ?`, c.ID, cust.ID); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
	return out, created, err
}

// QueryCards returns stored cards matching a ChargeOver query.
func (db *DB) QueryCards(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Card, error) {
	text, args, err := cardsQuery(s, q)
	if err != nil {
		return nil, err
	}
	cards, err := scanCards(db.rq.QueryContext(ctx, text, args...))
	return cards, readErr(ctx, err)
}

// CountCards counts stored cards matching ChargeOver conditions.
func (db *DB) CountCards(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	return db.count(ctx, countCardsQuery, s, conds)
}

// QueryCustomers returns customers matching a ChargeOver query.
func (db *DB) QueryCustomers(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Customer, error) {
	text, args, err := customersQuery(s, q)
	if err != nil {
		return nil, err
	}
	cs, err := scanCustomers(db.rq.QueryContext(ctx, text, args...))
	return cs, readErr(ctx, err)
}

// CountCustomers counts customers matching ChargeOver conditions.
func (db *DB) CountCustomers(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	return db.count(ctx, countCustomersQuery, s, conds)
}

func (db *DB) count(ctx context.Context, render func(cardvault.Scope, []query.Cond) (string, []any, error),
	s cardvault.Scope, conds []query.Cond) (int, error) {
	text, args, err := render(s, conds)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.rq.QueryRowContext(ctx, text, args...).Scan(&n)
	return n, readErr(ctx, err)
}

// The ChargeOver queries of a tenant. Stored cards are those with a seq
// (attached), which lets the partial cards_co_* indexes serve them.
func cardsQuery(s cardvault.Scope, q query.Query) (string, []any, error) {
	page, args, err := renderPage(q, cardColumnOf)
	return `SELECT ` + cardColumns + ` FROM cards WHERE account_id = ? AND mode = ? AND seq IS NOT NULL` + page,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func countCardsQuery(s cardvault.Scope, conds []query.Cond) (string, []any, error) {
	where, args, err := renderWhere(conds, cardColumnOf)
	return `SELECT count(*) FROM cards WHERE account_id = ? AND mode = ? AND seq IS NOT NULL` + where,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func customersQuery(s cardvault.Scope, q query.Query) (string, []any, error) {
	page, args, err := renderPage(q, customerColumnOf)
	return `SELECT ` + customerColumns + ` FROM customers WHERE account_id = ? AND mode = ?` + page,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func countCustomersQuery(s cardvault.Scope, conds []query.Cond) (string, []any, error) {
	where, args, err := renderWhere(conds, customerColumnOf)
	return `SELECT count(*) FROM customers WHERE account_id = ? AND mode = ?` + where,
		append([]any{s.AccountID, s.Mode}, args...), err
}

// UseNonce records a signature nonce; false if it was seen at or after notBefore.
func (db *DB) UseNonce(ctx context.Context, keyHash [32]byte, nonce string, now, notBefore time.Time) (bool, error) {
	if err := needTimes("UseNonce", now, notBefore); err != nil {
		return false, err
	}
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
