package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

// CreateToken stores a token, with its expiry, and its card. The expiry is
// stored, not derived from an instance's TTL: every instance judges the
// token by the same instant.
func (db *DB) CreateToken(ctx context.Context, t *cardvault.Token) error {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("CreateToken", t.CreatedAt, t.ExpiresAt, t.Card.CreatedAt, t.Card.ModifiedAt); err != nil {
		return err
	}
	return db.write(ctx, "CreateToken", func(ctx context.Context, tx pgx.Tx) error {
		if err := insertCard(ctx, tx, t.Card); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tokens (id, account_id, mode, card_id, used, created_at, expires_at)
			VALUES ($1, $2, $3, $4, false, $5, $6)`, t.ID, t.AccountID, t.Mode, t.Card.ID, ms(t.CreatedAt), ms(t.ExpiresAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, t.ID)
	})
}

// Token returns a token with its card (ENotFound when unknown, purged or its
// card is gone), in one query.
func (db *DB) Token(ctx context.Context, s cardvault.Scope, id string) (*cardvault.Token, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	t := cardvault.Token{ID: id, AccountID: s.AccountID, Mode: s.Mode}
	var created, expires int64
	row := db.pool.QueryRow(ctx, `SELECT tk.used, tk.token_created, tk.expires_at, `+cardColumns+` FROM cards
		JOIN (SELECT card_id, used, created_at AS token_created, expires_at FROM tokens
			WHERE id = $1 AND account_id = $2 AND mode = $3) tk
		ON cards.id = tk.card_id`, id, s.AccountID, s.Mode)
	c, err := scanCard(row, &t.Used, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.NotFound("token", id)
	}
	if err != nil {
		return nil, db.fail(ctx, "Token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.Card = fromMS(created), fromMS(expires), c
	return &t, nil
}

// lockToken reads a token's row and locks it until the transaction ends:
// of concurrent attaches (on any instance), the first to lock sees the
// token unused, and each later one sees it used.
func lockToken(ctx context.Context, tx pgx.Tx, s cardvault.Scope, id string) (t *cardvault.Token, cardID string, err error) {
	t = &cardvault.Token{ID: id, AccountID: s.AccountID, Mode: s.Mode}
	var card *string
	var created, expires int64
	err = tx.QueryRow(ctx, `SELECT card_id, used, created_at, expires_at FROM tokens WHERE id = $1 AND account_id = $2
		AND mode = $3 FOR UPDATE`, id, s.AccountID, s.Mode).Scan(&card, &t.Used, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", cardvault.NotFound("token", id)
	}
	if err != nil {
		return nil, "", err
	}
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	if card != nil {
		cardID = *card
	}
	return t, cardID, nil
}

// attachToken consumes a token and stores its card under customer c, whose
// row the caller has locked. Check order: unknown → used → expired.
func attachToken(ctx context.Context, tx pgx.Tx, c *cardvault.Customer, att *cardvault.Attach) error {
	s := cardvault.Scope{AccountID: c.AccountID, Mode: c.Mode}
	t, cardID, err := lockToken(ctx, tx, s, att.TokenID)
	if err != nil {
		return err
	}
	switch {
	case t.Used:
		return &cardvault.Error{Code: cardvault.EUsedToken, ID: t.ID}
	case cardID == "" || t.ExpiresAt.Before(att.ExpiredBefore):
		return &cardvault.Error{Code: cardvault.ETokenExpired, ID: t.ID}
	}
	if _, err := tx.Exec(ctx, `UPDATE tokens SET used = true WHERE id = $1`, t.ID); err != nil {
		return err
	}
	seq, err := nextSeq(ctx, tx, s, cardSeq)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE cards SET customer_id = $1, customer_seq = $2, seq = $3, token = $4
		WHERE id = $5 AND customer_id IS NULL`, c.ID, c.Seq, seq, cardvault.NewObjectToken(), cardID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 { // the token's row said the card was there
		return cardvault.Internal("postgres: the card of token %s is missing", t.ID)
	}
	if c.DefaultCard == "" {
		c.DefaultCard = cardID
		_, err = tx.Exec(ctx, `UPDATE customers SET default_card = $1 WHERE id = $2`, cardID, c.ID)
	}
	return err
}

// purgeBatch bounds the rows one write transaction of PurgeTokens changes,
// so that other writes interleave with a large purge.
const purgeBatch = 500

// PurgeTokens destroys the card data of expired unused tokens and forgets
// old tokens, in write transactions of at most purgeBatch rows each. Tokens
// another transaction holds (an attach in progress, another instance's
// janitor) are skipped: two janitors never do the same work twice.
func (db *DB) PurgeTokens(ctx context.Context, expiredBefore, forgetBefore time.Time) (int, error) {
	if err := needTimes("PurgeTokens", expiredBefore, forgetBefore); err != nil {
		return 0, err
	}
	total := 0
	for {
		var seen, n int
		err := db.write(ctx, "PurgeTokens", func(ctx context.Context, tx pgx.Tx) error {
			var err error
			if seen, n, err = purgeExpired(ctx, tx, ms(expiredBefore)); err != nil || n == 0 {
				return err
			}
			return appendAudit(ctx, tx, strconv.Itoa(n))
		})
		if err != nil {
			return total, err
		}
		if total += n; seen < purgeBatch {
			break
		}
	}
	return total, db.forgetTokens(ctx, ms(forgetBefore))
}

// forgetTokens deletes the tokens that expired before a time, purgeBatch per write.
func (db *DB) forgetTokens(ctx context.Context, before int64) error {
	for {
		var n int64
		err := db.write(ctx, "PurgeTokens", func(ctx context.Context, tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, forgetTokensSQL, before, purgeBatch)
			n = tag.RowsAffected()
			return err
		})
		if err != nil || n < purgeBatch {
			return err
		}
	}
}

// The janitor's statements: both find their tokens through an index on
// expires_at (tokens_pending, tokens_expires; TestJanitorUsesIndexes).
const (
	purgeExpiredSQL = `SELECT id, card_id FROM tokens WHERE NOT used AND card_id IS NOT NULL
		AND expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`
	forgetTokensSQL = `DELETE FROM tokens WHERE id IN
		(SELECT id FROM tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
)

// purgeExpired destroys the cards of up to purgeBatch expired unused tokens
// and leaves the tokens as tombstones. It returns how many tokens it found
// and how many cards it destroyed.
func purgeExpired(ctx context.Context, tx pgx.Tx, before int64) (seen, destroyed int, err error) {
	rows, err := tx.Query(ctx, purgeExpiredSQL, before, purgeBatch)
	type pair struct{ token, card string }
	ps, err := collect(rows, err, func(r pgx.Row) (pair, error) {
		var p pair
		err := r.Scan(&p.token, &p.card)
		return p, err
	})
	if err != nil || len(ps) == 0 {
		return 0, 0, err
	}
	tokens, cards := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		tokens[i], cards[i] = p.token, p.card
	}
	tag, err := tx.Exec(ctx, `DELETE FROM cards WHERE customer_id IS NULL AND id = ANY($1)`, cards)
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE tokens SET card_id = NULL WHERE id = ANY($1)`, tokens); err != nil {
		return 0, 0, err
	}
	return len(ps), int(tag.RowsAffected()), nil
}
