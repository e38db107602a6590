package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
)

// CreateToken stores a token, with its expiry, and its card.
func (db *DB) CreateToken(ctx context.Context, t *cardvault.Token) error {
	if err := needTimes("CreateToken", t.CreatedAt, t.ExpiresAt, t.Card.CreatedAt, t.Card.ModifiedAt); err != nil {
		return err
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := insertCard(ctx, tx, t.Card); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, account_id, mode, card_id, used, created_at, expires_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, t.ID, t.AccountID, t.Mode, t.Card.ID, ms(t.CreatedAt), ms(t.ExpiresAt)); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, t.ID)
	})
}

// Token returns a token with its card (ENotFound when unknown, purged or its card is gone).
func (db *DB) Token(ctx context.Context, s cardvault.Scope, id string) (*cardvault.Token, error) {
	t, err := db.token(ctx, s, id)
	return t, readErr(ctx, err)
}

func (db *DB) token(ctx context.Context, s cardvault.Scope, id string) (*cardvault.Token, error) {
	t, cardID, err := tokenRow(ctx, db.rq, s, id)
	if err != nil {
		return nil, err
	}
	t.Card, err = scanCard(db.rq.QueryRowContext(ctx, `SELECT `+cardColumns+` FROM cards WHERE id = ?`, cardID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.NotFound("token", id)
	}
	return t, err
}

func tokenRow(ctx context.Context, q queryer, s cardvault.Scope, id string) (*cardvault.Token, string, error) {
	t := cardvault.Token{ID: id, AccountID: s.AccountID, Mode: s.Mode}
	var cardID sql.NullString
	var created, expires int64
	err := q.QueryRowContext(ctx, `SELECT card_id, used, created_at, expires_at FROM tokens
		WHERE id = ? AND account_id = ? AND mode = ?`, id, s.AccountID, s.Mode).Scan(&cardID, &t.Used, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", cardvault.NotFound("token", id)
	}
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	return &t, cardID.String, err
}

// attachToken consumes a token and stores its card under customer c. Check
// order: unknown → used → expired.
func attachToken(ctx context.Context, tx *sql.Tx, c *cardvault.Customer, att *cardvault.Attach) (string, error) {
	s := cardvault.Scope{AccountID: c.AccountID, Mode: c.Mode}
	t, cardID, err := tokenRow(ctx, tx, s, att.TokenID)
	if err != nil {
		return "", err
	}
	switch {
	case t.Used:
		return "", &cardvault.Error{Code: cardvault.EUsedToken, ID: t.ID}
	case cardID == "" || t.ExpiresAt.Before(att.ExpiredBefore):
		return "", &cardvault.Error{Code: cardvault.ETokenExpired, ID: t.ID}
	}
	res, err := tx.ExecContext(ctx, `UPDATE tokens SET used = 1 WHERE id = ? AND used = 0`, t.ID)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", &cardvault.Error{Code: cardvault.EUsedToken, ID: t.ID, Err: err}
	}
	seq, err := nextSeq(ctx, tx, s, cardSeq)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cards SET customer_id = ?, customer_seq = ?, seq = ?, token = ?
		WHERE id = ?`, c.ID, c.Seq, seq, cardvault.NewObjectToken(), cardID); err != nil {
		return "", err
	}
	if c.DefaultCard == "" {
		c.DefaultCard = cardID
		_, err = tx.ExecContext(ctx, `UPDATE customers SET default_card = ? WHERE id = ?`, cardID, c.ID)
	}
	return cardID, err
}

// purgeBatch bounds the rows one write transaction of PurgeTokens deletes, so
// that other requests' writes interleave with a large purge.
const purgeBatch = 500

// PurgeTokens destroys the card data of expired unused tokens and forgets old
// tokens, in write transactions of at most purgeBatch rows each. Only a batch
// that destroyed card data scrubs the WAL.
func (db *DB) PurgeTokens(ctx context.Context, expiredBefore, forgetBefore time.Time) (int, error) {
	if err := needTimes("PurgeTokens", expiredBefore, forgetBefore); err != nil {
		return 0, err
	}
	total := 0
	for {
		var seen, n int
		err := db.destroyIf(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			if seen, n, err = purgeExpired(ctx, tx, ms(expiredBefore)); err != nil || n == 0 {
				return err
			}
			return db.appendAudit(ctx, tx, strconv.Itoa(n))
		}, func() bool { return n > 0 })
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
		err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE rowid IN
				(SELECT rowid FROM tokens WHERE expires_at < ? LIMIT ?)`, before, purgeBatch)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil || n < purgeBatch {
			return err
		}
	}
}

// purgeExpired destroys the cards of up to purgeBatch expired unused tokens
// and leaves the tokens as tombstones. It returns how many tokens it found
// and how many cards it destroyed.
func purgeExpired(ctx context.Context, tx *sql.Tx, before int64) (seen, destroyed int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, card_id FROM tokens WHERE used = 0 AND card_id IS NOT NULL
		AND expires_at < ? ORDER BY expires_at LIMIT ?`, before, purgeBatch)
	if err != nil {
		return 0, 0, err
	}
	var tokens, cards []any
	for rows.Next() {
		var tok, card string
		if err := rows.Scan(&tok, &card); err != nil {
			rows.Close()
			return 0, 0, err
		}
		tokens, cards = append(tokens, tok), append(cards, card)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil || len(tokens) == 0 {
		return 0, 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM cards WHERE customer_id IS NULL AND id IN (`+placeholders(len(cards))+`)`, cards...)
	if err != nil {
		return 0, 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE tokens SET card_id = NULL WHERE id IN (`+placeholders(len(tokens))+`)`, tokens...)
	return len(tokens), int(n), err
}
