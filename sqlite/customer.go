package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
)

const customerColumns = `seq, id, account_id, mode, token, coalesce(external_key, ''), email, description, metadata,
	default_card, contact_name, contact_first, contact_last, contact_phone, created_at, modified_at`

func scanCustomer(row scanner) (*cardvault.Customer, error) {
	var c cardvault.Customer
	var meta string
	var created, modified int64
	k := &c.Contact
	err := row.Scan(&c.Seq, &c.ID, &c.AccountID, &c.Mode, &c.Token, &c.ExternalKey, &c.Email, &c.Description, &meta,
		&c.DefaultCard, &k.Name, &k.FirstName, &k.LastName, &k.Phone, &created, &modified)
	if err != nil {
		return nil, err
	}
	c.Metadata = []byte(meta)
	c.CreatedAt, c.ModifiedAt = fromMS(created), fromMS(modified)
	return &c, nil
}

func scanCustomers(rows *sql.Rows, err error) ([]*cardvault.Customer, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*cardvault.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// customerByText is the query of a customer by one identity column.
func customerByText(where string) string {
	return `SELECT ` + customerColumns + ` FROM customers WHERE ` + where + ` AND account_id = ? AND mode = ?`
}

func customerByRef(ctx context.Context, q queryer, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	where, arg, id := refCondition(ref, "id")
	c, err := scanCustomer(q.QueryRowContext(ctx, customerByText(where), arg, s.AccountID, s.Mode))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cardvault.NotFound("customer", id)
	}
	return c, err
}

// Customer returns a customer by reference (ENotFound).
func (db *DB) Customer(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	c, err := customerByRef(ctx, db.rq, s, ref)
	return c, readErr(ctx, err)
}

// CreateCustomer stores a customer and attaches a token first if att is set.
func (db *DB) CreateCustomer(ctx context.Context, c *cardvault.Customer, att *cardvault.Attach) error {
	if err := needTimes("CreateCustomer", append(attachTimes(att), c.CreatedAt, c.ModifiedAt)...); err != nil {
		return err
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx, cardvault.Scope{AccountID: c.AccountID, Mode: c.Mode}, customerSeq)
		if err != nil {
			return err
		}
		c.Seq = seq
		k := c.Contact
		_, err = tx.ExecContext(ctx, `INSERT INTO customers (seq, id, account_id, mode, token, external_key, email,
			description, metadata, default_card, contact_name, contact_first, contact_last, contact_phone,
			created_at, modified_at) VALUES (`+placeholders(16)+`)`,
			c.Seq, c.ID, c.AccountID, c.Mode, c.Token, nullable(c.ExternalKey), c.Email, c.Description,
			string(c.Metadata), c.DefaultCard, k.Name, k.FirstName, k.LastName, k.Phone, ms(c.CreatedAt), ms(c.ModifiedAt))
		if err != nil {
			return classify(err, "external_key")
		}
		if att != nil {
			if _, err := attachToken(ctx, tx, c, att); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
}

// UpdateCustomer applies u to a customer atomically.
func (db *DB) UpdateCustomer(ctx context.Context, s cardvault.Scope, id string, u cardvault.CustomerUpdate) error {
	if err := needTimes("UpdateCustomer", append(attachTimes(u.Attach), u.Now)...); err != nil {
		return err
	}
	return db.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: id})
		if err != nil {
			return err
		}
		if u.Attach != nil {
			if _, err := attachToken(ctx, tx, c, u.Attach); err != nil {
				return err
			}
		}
		if u.DefaultCard != nil {
			if _, err := storedCard(ctx, tx, s, c.ID, *u.DefaultCard); err != nil {
				return err
			}
			c.DefaultCard = *u.DefaultCard
		}
		if u.Email != nil {
			c.Email = *u.Email
		}
		if u.Description != nil {
			c.Description = *u.Description
		}
		if u.Metadata != nil {
			c.Metadata = u.Metadata
		}
		if _, err = tx.ExecContext(ctx, `UPDATE customers SET email = ?, description = ?, metadata = ?, default_card = ?,
			modified_at = ? WHERE id = ?`, c.Email, c.Description, string(c.Metadata), c.DefaultCard, ms(u.Now), c.ID); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
}

// attachTimes returns the clock readings in att: none when att is nil.
func attachTimes(att *cardvault.Attach) []time.Time {
	if att == nil {
		return nil
	}
	return []time.Time{att.ExpiredBefore}
}

// DeleteCustomer destroys a customer and its cards and returns it as it was.
func (db *DB) DeleteCustomer(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	var c *cardvault.Customer
	err := db.destroy(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if c, err = customerByRef(ctx, tx, s, ref); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cards WHERE customer_id = ?`, c.ID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ?`, c.ID); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, c.ID)
	})
	return c, err
}

// The Omise customer list of a tenant: a window of creation times, in order.
func countCustomersWindowQuery(s cardvault.Scope, p cardvault.ListParams) (string, []any) {
	lo, hi := window(p)
	return `SELECT count(*) FROM customers WHERE account_id = ? AND mode = ? AND created_at BETWEEN ? AND ?`,
		[]any{s.AccountID, s.Mode, lo, hi}
}

func listCustomersQuery(s cardvault.Scope, p cardvault.ListParams) (string, []any) {
	lo, hi := window(p)
	return `SELECT ` + customerColumns + ` FROM customers WHERE account_id = ? AND mode = ?
		AND created_at BETWEEN ? AND ? ORDER BY created_at ` + dir(p) + `, seq ` + dir(p) + ` LIMIT ? OFFSET ?`,
		[]any{s.AccountID, s.Mode, lo, hi, p.Limit, p.Offset}
}
