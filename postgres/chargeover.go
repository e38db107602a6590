package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
	"github.com/jackc/pgx/v5"
)

// CardByRef returns a stored card by any identity (ENotFound).
func (db *DB) CardByRef(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Card, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	c, err := cardByRef(ctx, db.pool, s, "", ref)
	return c, db.fail(ctx, "CardByRef", err)
}

// StoreCard stores c for a customer, or merges it into the customer's most
// recently stored card with the same fingerprint, holding the customer's
// row: two requests storing one number for one customer at once (on any
// instances) make one card.
func (db *DB) StoreCard(ctx context.Context, s cardvault.Scope, customer cardvault.Ref, c *cardvault.Card, m cardvault.CardMerge) (*cardvault.Card, bool, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("StoreCard", c.CreatedAt, c.ModifiedAt); err != nil {
		return nil, false, err
	}
	orig := *c // a retried transaction starts from the caller's card
	var out *cardvault.Card
	var created bool
	err := db.write(ctx, "StoreCard", func(ctx context.Context, tx pgx.Tx) error {
		*c, out, created = orig, nil, false
		cust, err := customerByRef(ctx, tx, s, customer, true)
		if err != nil {
			return err
		}
		old, err := scanCard(tx.QueryRow(ctx, `SELECT `+cardColumns+` FROM cards
			WHERE customer_id = $1 AND fingerprint = $2 ORDER BY seq DESC LIMIT 1`, cust.ID, c.Fingerprint))
		if err == nil {
			merged := cardvault.MergeCard(old, c, m)
			if err := updateCard(ctx, tx, merged); err != nil {
				return err
			}
			out = merged
			return appendAudit(ctx, tx, merged.ID)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
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
			if _, err := tx.Exec(ctx, `UPDATE customers SET default_card = $1 WHERE id = $2`, c.ID, cust.ID); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, c.ID)
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// QueryCards returns stored cards matching a ChargeOver query.
func (db *DB) QueryCards(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Card, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	text, args, err := cardsQuery(s, q)
	if err != nil {
		return nil, cardvault.Internal("%w", err)
	}
	cards, err := scanCards(db.pool.Query(ctx, text, args...))
	return cards, db.fail(ctx, "QueryCards", err)
}

// CountCards counts stored cards matching ChargeOver conditions.
func (db *DB) CountCards(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	return db.count(ctx, "CountCards", countCardsQuery, s, conds)
}

// QueryCustomers returns customers matching a ChargeOver query.
func (db *DB) QueryCustomers(ctx context.Context, s cardvault.Scope, q query.Query) ([]*cardvault.Customer, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	text, args, err := customersQuery(s, q)
	if err != nil {
		return nil, cardvault.Internal("%w", err)
	}
	cs, err := scanCustomers(db.pool.Query(ctx, text, args...))
	return cs, db.fail(ctx, "QueryCustomers", err)
}

// CountCustomers counts customers matching ChargeOver conditions.
func (db *DB) CountCustomers(ctx context.Context, s cardvault.Scope, conds []query.Cond) (int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	return db.count(ctx, "CountCustomers", countCustomersQuery, s, conds)
}

func (db *DB) count(ctx context.Context, op string, render func(cardvault.Scope, []query.Cond) (string, []any, error),
	s cardvault.Scope, conds []query.Cond) (int, error) {
	text, args, err := render(s, conds)
	if err != nil {
		return 0, cardvault.Internal("%w", err)
	}
	var n int
	err = db.pool.QueryRow(ctx, text, args...).Scan(&n)
	return n, db.fail(ctx, op, err)
}

// The ChargeOver queries of a tenant ($1, $2 the scope). Stored cards are
// those with a seq (attached), which lets the partial cards_co_* indexes
// serve them.
func cardsQuery(s cardvault.Scope, q query.Query) (string, []any, error) {
	page, args, err := renderPage(q, cardColumnOf, 3)
	return `SELECT ` + cardColumns + ` FROM cards WHERE account_id = $1 AND mode = $2 AND seq IS NOT NULL` + page,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func countCardsQuery(s cardvault.Scope, conds []query.Cond) (string, []any, error) {
	where, args, err := renderWhere(conds, cardColumnOf, 3)
	return `SELECT count(*) FROM cards WHERE account_id = $1 AND mode = $2 AND seq IS NOT NULL` + where,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func customersQuery(s cardvault.Scope, q query.Query) (string, []any, error) {
	page, args, err := renderPage(q, customerColumnOf, 3)
	return `SELECT ` + customerColumns + ` FROM customers WHERE account_id = $1 AND mode = $2` + page,
		append([]any{s.AccountID, s.Mode}, args...), err
}

func countCustomersQuery(s cardvault.Scope, conds []query.Cond) (string, []any, error) {
	where, args, err := renderWhere(conds, customerColumnOf, 3)
	return `SELECT count(*) FROM customers WHERE account_id = $1 AND mode = $2` + where,
		append([]any{s.AccountID, s.Mode}, args...), err
}

// UseNonce records a signature nonce; false if it was seen at or after
// notBefore. The insert of a nonce another instance is recording at the same
// moment waits for that instance's commit and then inserts nothing.
func (db *DB) UseNonce(ctx context.Context, keyHash [32]byte, nonce string, now, notBefore time.Time) (bool, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("UseNonce", now, notBefore); err != nil {
		return false, err
	}
	var fresh bool
	err := db.write(ctx, "UseNonce", func(ctx context.Context, tx pgx.Tx) error {
		fresh = false
		if _, err := tx.Exec(ctx, `DELETE FROM nonces WHERE public_key_hash = $1 AND seen_at < $2`,
			keyHash[:], ms(notBefore)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO nonces (public_key_hash, nonce, seen_at) VALUES ($1, $2, $3)
			ON CONFLICT (public_key_hash, nonce) DO NOTHING`, keyHash[:], nonce, ms(now))
		fresh = tag.RowsAffected() == 1
		return err
	})
	return fresh, err
}
