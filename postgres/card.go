package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/iin"
	"github.com/jackc/pgx/v5"
)

const cardColumns = `id, account_id, mode, coalesce(customer_id, ''), coalesce(customer_seq, 0), coalesce(seq, 0),
	coalesce(token, ''), coalesce(external_key, ''), bin, brand, last4, fingerprint, pan_sealed, key_version,
	name, exp_month, exp_year, street1, street2, city, state, postal_code, country, phone, bank, financing,
	cvv_checked, write_ip, created_at, modified_at`

// scanCard scans a card row; pre receives the columns selected before the
// card's own.
func scanCard(row pgx.Row, pre ...any) (*cardvault.Card, error) {
	var c cardvault.Card
	var brand string
	var created, modified int64
	a := &c.Address
	err := row.Scan(append(pre, &c.ID, &c.AccountID, &c.Mode, &c.CustomerID, &c.CustomerSeq, &c.Seq, &c.Token, &c.ExternalKey,
		&c.BIN, &brand, &c.LastDigits, &c.Fingerprint, &c.Sealed, &c.KeyVersion, &c.Name, &c.ExpMonth, &c.ExpYear,
		&a.Street1, &a.Street2, &a.City, &a.State, &a.PostalCode, &a.Country, &a.Phone, &c.Bank, &c.Financing,
		&c.CVVChecked, &c.WriteIP, &created, &modified)...)
	if err != nil {
		return nil, err
	}
	c.Brand = iin.BrandFromCode(brand)
	c.CreatedAt, c.ModifiedAt = fromMS(created), fromMS(modified)
	return &c, nil
}

func scanCards(rows pgx.Rows, err error) ([]*cardvault.Card, error) {
	return collect(rows, err, func(r pgx.Row) (*cardvault.Card, error) { return scanCard(r) })
}

func insertCard(ctx context.Context, tx pgx.Tx, c *cardvault.Card) error {
	a := c.Address
	_, err := tx.Exec(ctx, `INSERT INTO cards (id, account_id, mode, customer_id, customer_seq, seq, token,
		external_key, bin, brand, last4, fingerprint, pan_sealed, key_version, name, exp_month, exp_year,
		street1, street2, city, state, postal_code, country, phone, bank, financing, cvv_checked, write_ip,
		created_at, modified_at) VALUES (`+placeholders(1, 30)+`)`,
		c.ID, c.AccountID, c.Mode, nullable(c.CustomerID), nullInt(c.CustomerSeq), nullInt(c.Seq), nullable(c.Token),
		nullable(c.ExternalKey), c.BIN, c.Brand.Code(), c.LastDigits, c.Fingerprint, c.Sealed, c.KeyVersion,
		c.Name, c.ExpMonth, c.ExpYear, a.Street1, a.Street2, a.City, a.State, a.PostalCode, a.Country, a.Phone,
		c.Bank, c.Financing, c.CVVChecked, c.WriteIP, ms(c.CreatedAt), ms(c.ModifiedAt))
	return classify(err, "external_key")
}

// updateCard writes every mutable field of a stored card.
func updateCard(ctx context.Context, tx pgx.Tx, c *cardvault.Card) error {
	a := c.Address
	_, err := tx.Exec(ctx, `UPDATE cards SET external_key = $1, name = $2, exp_month = $3, exp_year = $4,
		street1 = $5, street2 = $6, city = $7, state = $8, postal_code = $9, country = $10, phone = $11, cvv_checked = $12,
		modified_at = $13 WHERE id = $14`,
		nullable(c.ExternalKey), c.Name, c.ExpMonth, c.ExpYear, a.Street1, a.Street2, a.City, a.State,
		a.PostalCode, a.Country, a.Phone, c.CVVChecked, ms(c.ModifiedAt), c.ID)
	return classify(err, "external_key")
}

// storedCard returns a stored card of a customer in scope; lock adds FOR
// UPDATE.
func storedCard(ctx context.Context, q querier, s cardvault.Scope, customerID, cardID string, lock bool) (*cardvault.Card, error) {
	c, err := scanCard(q.QueryRow(ctx, `SELECT `+cardColumns+` FROM cards
		WHERE id = $1 AND account_id = $2 AND mode = $3 AND customer_id = $4`+forUpdate(lock), cardID, s.AccountID, s.Mode, customerID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.NotFound("card", cardID)
	}
	return c, err
}

func forUpdate(lock bool) string {
	if lock {
		return ` FOR UPDATE`
	}
	return ""
}

// Card returns a stored card of a customer (ENotFound: customer or card).
func (db *DB) Card(ctx context.Context, s cardvault.Scope, customerID, cardID string) (*cardvault.Card, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var c *cardvault.Card
	err := db.readTx(ctx, "Card", func(tx pgx.Tx) error {
		if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: customerID}, false); err != nil {
			return err
		}
		var err error
		c, err = storedCard(ctx, tx, s, customerID, cardID, false)
		return err
	})
	return c, err
}

// ListCards returns a page of a customer's cards and the count in the
// window, from one snapshot.
func (db *DB) ListCards(ctx context.Context, s cardvault.Scope, customerID string, p cardvault.ListParams) ([]*cardvault.Card, int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var cards []*cardvault.Card
	var total int
	err := db.readTx(ctx, "ListCards", func(tx pgx.Tx) error {
		if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: customerID}, false); err != nil {
			return err
		}
		lo, hi := window(p)
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM cards WHERE customer_id = $1 AND created_at BETWEEN $2 AND $3`,
			customerID, lo, hi).Scan(&total); err != nil {
			return err
		}
		var err error
		cards, err = scanCards(tx.Query(ctx, `SELECT `+cardColumns+` FROM cards
			WHERE customer_id = $1 AND created_at BETWEEN $2 AND $3 ORDER BY created_at `+dir(p)+`, seq `+dir(p)+`
			LIMIT $4 OFFSET $5`, customerID, lo, hi, p.Limit, p.Offset))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return cards, total, nil
}

// UpdateCard applies u to a stored card, holding the customer's row.
func (db *DB) UpdateCard(ctx context.Context, s cardvault.Scope, customerID, cardID string, u cardvault.CardUpdate) (*cardvault.Card, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("UpdateCard", u.Now); err != nil {
		return nil, err
	}
	var out *cardvault.Card
	err := db.write(ctx, "UpdateCard", func(ctx context.Context, tx pgx.Tx) error {
		out = nil
		if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: customerID}, true); err != nil {
			return err
		}
		c, err := storedCard(ctx, tx, s, customerID, cardID, true)
		if err != nil {
			return err
		}
		if c, err = cardvault.ApplyCardUpdate(c, u); err != nil {
			return err
		}
		if err := updateCard(ctx, tx, c); err != nil {
			return err
		}
		out = c
		return appendAudit(ctx, tx, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCard destroys a stored card and promotes a new default card if
// needed. The card's customer is locked before the card is read again and
// deleted, as every write to a customer's cards locks it first.
func (db *DB) DeleteCard(ctx context.Context, s cardvault.Scope, customerID string, ref cardvault.Ref) (*cardvault.Card, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var c *cardvault.Card
	err := db.write(ctx, "DeleteCard", func(ctx context.Context, tx pgx.Tx) error {
		c = nil
		owner := customerID
		if owner != "" {
			if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: owner}, true); err != nil {
				return err
			}
		} else {
			found, err := cardByRef(ctx, tx, s, "", ref)
			if err != nil {
				return err
			}
			owner = found.CustomerID
			if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: owner}, true); err != nil {
				return cardvault.NotFound("card", ref.ID) // deleted meanwhile, with its cards
			}
		}
		found, err := cardByRef(ctx, tx, s, owner, ref)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cards WHERE id = $1`, found.ID); err != nil {
			return err
		}
		c = found
		if err := promoteDefault(ctx, tx, found.CustomerID, found.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, found.ID)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// cardByRef finds a stored card by any of its identities.
func cardByRef(ctx context.Context, q querier, s cardvault.Scope, customerID string, ref cardvault.Ref) (*cardvault.Card, error) {
	where, arg, id := refCondition(ref, "id")
	sql := `SELECT ` + cardColumns + ` FROM cards WHERE ` + where + ` AND account_id = $2 AND mode = $3 AND customer_id IS NOT NULL`
	args := []any{arg, s.AccountID, s.Mode}
	if customerID != "" {
		sql += ` AND customer_id = $4`
		args = append(args, customerID)
	}
	c, err := scanCard(q.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.NotFound("card", id)
	}
	return c, err
}

// refCondition returns the WHERE term (on $1), its argument and a printable
// id for a Ref.
func refCondition(ref cardvault.Ref, idColumn string) (string, any, string) {
	switch {
	case ref.Seq != 0:
		return "seq = $1", ref.Seq, ""
	case ref.Token != "":
		return "token = $1", ref.Token, ""
	case ref.ExternalKey != "":
		return "external_key = $1", ref.ExternalKey, ""
	}
	return idColumn + " = $1", ref.ID, ref.ID
}

// promoteDefault makes the most recently stored remaining card the default if
// the removed card was the default.
func promoteDefault(ctx context.Context, tx pgx.Tx, customerID, removed string) error {
	_, err := tx.Exec(ctx, `UPDATE customers SET default_card = coalesce(
		(SELECT id FROM cards WHERE customer_id = $1 ORDER BY seq DESC LIMIT 1), '')
		WHERE id = $1 AND default_card = $2`, customerID, removed)
	return err
}

// window returns the created_at bounds in milliseconds for a list window at second resolution.
func window(p cardvault.ListParams) (int64, int64) {
	return p.From.Truncate(time.Second).UnixMilli(), p.To.Truncate(time.Second).UnixMilli() + 999
}

func dir(p cardvault.ListParams) string {
	if p.Reverse {
		return "DESC"
	}
	return "ASC"
}
