package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/iin"
)

const cardColumns = `id, account_id, mode, coalesce(customer_id, ''), coalesce(customer_seq, 0), coalesce(seq, 0),
	coalesce(token, ''), coalesce(external_key, ''), bin, brand, last4, fingerprint, pan_sealed, key_version,
	name, exp_month, exp_year, street1, street2, city, state, postal_code, country, phone, bank, financing,
	cvv_checked, write_ip, created_at, modified_at`

type scanner interface{ Scan(dest ...any) error }

func scanCard(row scanner) (*cardvault.Card, error) {
	var c cardvault.Card
	var brand string
	var created, modified int64
	a := &c.Address
	err := row.Scan(&c.ID, &c.AccountID, &c.Mode, &c.CustomerID, &c.CustomerSeq, &c.Seq, &c.Token, &c.ExternalKey,
		&c.BIN, &brand, &c.LastDigits, &c.Fingerprint, &c.Sealed, &c.KeyVersion, &c.Name, &c.ExpMonth, &c.ExpYear,
		&a.Street1, &a.Street2, &a.City, &a.State, &a.PostalCode, &a.Country, &a.Phone, &c.Bank, &c.Financing,
		&c.CVVChecked, &c.WriteIP, &created, &modified)
	if err != nil {
		return nil, err
	}
	c.Brand = iin.BrandFromCode(brand)
	c.CreatedAt, c.ModifiedAt = fromMS(created), fromMS(modified)
	return &c, nil
}

func scanCards(rows *sql.Rows, err error) ([]*cardvault.Card, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cardvault.Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func insertCard(ctx context.Context, tx *sql.Tx, c *cardvault.Card) error {
	a := c.Address
	_, err := tx.ExecContext(ctx, `INSERT INTO cards (id, account_id, mode, customer_id, customer_seq, seq, token,
		external_key, bin, brand, last4, fingerprint, pan_sealed, key_version, name, exp_month, exp_year,
		street1, street2, city, state, postal_code, country, phone, bank, financing, cvv_checked, write_ip,
		created_at, modified_at) VALUES (`+placeholders(30)+`)`,
		c.ID, c.AccountID, c.Mode, nullable(c.CustomerID), nullInt(c.CustomerSeq), nullInt(c.Seq), nullable(c.Token),
		nullable(c.ExternalKey), c.BIN, c.Brand.Code(), c.LastDigits, c.Fingerprint, c.Sealed, c.KeyVersion,
		c.Name, c.ExpMonth, c.ExpYear, a.Street1, a.Street2, a.City, a.State, a.PostalCode, a.Country, a.Phone,
		c.Bank, c.Financing, c.CVVChecked, c.WriteIP, ms(c.CreatedAt), ms(c.ModifiedAt))
	return classify(err, "external_key")
}

// updateCard writes every mutable field of a stored card.
func updateCard(ctx context.Context, tx *sql.Tx, c *cardvault.Card) error {
	a := c.Address
	_, err := tx.ExecContext(ctx, `UPDATE cards SET external_key = ?, name = ?, exp_month = ?, exp_year = ?,
		street1 = ?, street2 = ?, city = ?, state = ?, postal_code = ?, country = ?, phone = ?, cvv_checked = ?,
		modified_at = ? WHERE id = ?`,
		nullable(c.ExternalKey), c.Name, c.ExpMonth, c.ExpYear, a.Street1, a.Street2, a.City, a.State,
		a.PostalCode, a.Country, a.Phone, c.CVVChecked, ms(c.ModifiedAt), c.ID)
	return classify(err, "external_key")
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// storedCard returns a stored card of a customer in scope.
func storedCard(ctx context.Context, q queryer, s cardvault.Scope, customerID, cardID string) (*cardvault.Card, error) {
	c, err := scanCard(q.QueryRowContext(ctx, `SELECT `+cardColumns+` FROM cards
		WHERE id = ? AND account_id = ? AND mode = ? AND customer_id = ?`, cardID, s.AccountID, s.Mode, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.NotFound("card", cardID)
	}
	return c, err
}

// Card returns a stored card of a customer (ENotFound: customer or card).
func (db *DB) Card(ctx context.Context, s cardvault.Scope, customerID, cardID string) (*cardvault.Card, error) {
	if _, err := customerByRef(ctx, db.rq, s, cardvault.Ref{ID: customerID}); err != nil {
		return nil, readErr(ctx, err)
	}
	c, err := storedCard(ctx, db.rq, s, customerID, cardID)
	return c, readErr(ctx, err)
}

// UpdateCard applies u to a stored card with cardvault.ApplyCardUpdate and
// writes the result.
func (db *DB) UpdateCard(ctx context.Context, s cardvault.Scope, customerID, cardID string, u cardvault.CardUpdate) (*cardvault.Card, error) {
	var out *cardvault.Card
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: customerID}); err != nil {
			return err
		}
		c, err := storedCard(ctx, tx, s, customerID, cardID)
		if err != nil {
			return err
		}
		if c, err = cardvault.ApplyCardUpdate(c, u); err != nil {
			return err
		}
		if err := needTimes("UpdateCard", c.ModifiedAt); err != nil {
			return err
		}
		out = c
		if err := updateCard(ctx, tx, c); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCard destroys a stored card and promotes a new default card if needed.
func (db *DB) DeleteCard(ctx context.Context, s cardvault.Scope, customerID string, ref cardvault.Ref) (*cardvault.Card, error) {
	var c *cardvault.Card
	err := db.destroy(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if customerID != "" {
			if _, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: customerID}); err != nil {
				return err
			}
		}
		var err error
		if c, err = cardByRef(ctx, tx, s, customerID, ref); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cards WHERE id = ?`, c.ID); err != nil {
			return err
		}
		if err := promoteDefault(ctx, tx, c.CustomerID, c.ID); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
	return c, err
}

// cardByRef finds a stored card by any of its identities.
func cardByRef(ctx context.Context, q queryer, s cardvault.Scope, customerID string, ref cardvault.Ref) (*cardvault.Card, error) {
	where, arg, id := refCondition(ref, "id")
	query := `SELECT ` + cardColumns + ` FROM cards WHERE ` + where + ` AND account_id = ? AND mode = ? AND customer_id IS NOT NULL`
	args := []any{arg, s.AccountID, s.Mode}
	if customerID != "" {
		query += ` AND customer_id = ?`
		args = append(args, customerID)
	}
	c, err := scanCard(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.NotFound("card", id)
	}
	return c, err
}

// refCondition returns the WHERE term, its argument and a printable id for a Ref.
func refCondition(ref cardvault.Ref, idColumn string) (string, any, string) {
	switch {
	case ref.Seq != 0:
		return "seq = ?", ref.Seq, ""
	case ref.Token != "":
		return "token = ?", ref.Token, ""
	case ref.ExternalKey != "":
		return "external_key = ?", ref.ExternalKey, ""
	}
	return idColumn + " = ?", ref.ID, ref.ID
}

// promoteDefault makes the most recently stored remaining card the default if
// the removed card was the default.
func promoteDefault(ctx context.Context, tx *sql.Tx, customerID, removed string) error {
	_, err := tx.ExecContext(ctx, `UPDATE customers SET default_card = coalesce(
		(SELECT id FROM cards WHERE customer_id = ?1 ORDER BY seq DESC LIMIT 1), '')
		WHERE id = ?1 AND default_card = ?2`, customerID, removed)
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
