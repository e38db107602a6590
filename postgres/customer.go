package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/jackc/pgx/v5"
)

const customerColumns = `seq, id, account_id, mode, token, coalesce(external_key, ''), email, description, metadata,
	default_card, contact_name, contact_first, contact_last, contact_phone, created_at, modified_at`

func scanCustomer(row pgx.Row) (*cardvault.Customer, error) {
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

func scanCustomers(rows pgx.Rows, err error) ([]*cardvault.Customer, error) {
	return collect(rows, err, scanCustomer)
}

// customerByRef reads a customer; lock adds FOR UPDATE, which every write
// to a customer or its cards takes first (the order that keeps concurrent
// writes from deadlocking: customer, then token, then id slot).
func customerByRef(ctx context.Context, q querier, s cardvault.Scope, ref cardvault.Ref, lock bool) (*cardvault.Customer, error) {
	where, arg, id := refCondition(ref, "id")
	c, err := scanCustomer(q.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers
		WHERE `+where+` AND account_id = $2 AND mode = $3`+forUpdate(lock), arg, s.AccountID, s.Mode))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, cardvault.NotFound("customer", id)
	}
	return c, err
}

// Customer returns a customer by reference (ENotFound).
func (db *DB) Customer(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	c, err := customerByRef(ctx, db.pool, s, ref, false)
	return c, db.fail(ctx, "Customer", err)
}

// CreateCustomer stores a customer and attaches a token first if att is set.
func (db *DB) CreateCustomer(ctx context.Context, c *cardvault.Customer, att *cardvault.Attach) error {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("CreateCustomer", append(attachTimes(att), c.CreatedAt, c.ModifiedAt)...); err != nil {
		return err
	}
	orig := *c // a retried transaction starts from the caller's customer
	return db.write(ctx, "CreateCustomer", func(ctx context.Context, tx pgx.Tx) error {
		*c = orig
		s := cardvault.Scope{AccountID: c.AccountID, Mode: c.Mode}
		if att != nil {
			// The token before the id slot, the order UpdateCustomer takes them in.
			if _, _, err := lockToken(ctx, tx, s, att.TokenID); err != nil && cardvault.ErrorCode(err) != cardvault.ENotFound {
				return err
			}
		}
		seq, err := nextSeq(ctx, tx, s, customerSeq)
		if err != nil {
			return err
		}
		c.Seq = seq
		k := c.Contact
		_, err = tx.Exec(ctx, `INSERT INTO customers (seq, id, account_id, mode, token, external_key, email,
			description, metadata, default_card, contact_name, contact_first, contact_last, contact_phone,
			created_at, modified_at) VALUES (`+placeholders(1, 16)+`)`,
			c.Seq, c.ID, c.AccountID, c.Mode, c.Token, nullable(c.ExternalKey), c.Email, c.Description,
			string(c.Metadata), c.DefaultCard, k.Name, k.FirstName, k.LastName, k.Phone, ms(c.CreatedAt), ms(c.ModifiedAt))
		if err != nil {
			return classify(err, "external_key")
		}
		if att != nil {
			if err := attachToken(ctx, tx, c, att); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, c.ID)
	})
}

// UpdateCustomer applies u to a customer atomically, holding its row.
func (db *DB) UpdateCustomer(ctx context.Context, s cardvault.Scope, id string, u cardvault.CustomerUpdate) error {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	if err := needTimes("UpdateCustomer", append(attachTimes(u.Attach), u.Now)...); err != nil {
		return err
	}
	return db.write(ctx, "UpdateCustomer", func(ctx context.Context, tx pgx.Tx) error {
		c, err := customerByRef(ctx, tx, s, cardvault.Ref{ID: id}, true)
		if err != nil {
			return err
		}
		if u.Attach != nil {
			if err := attachToken(ctx, tx, c, u.Attach); err != nil {
				return err
			}
		}
		if u.DefaultCard != nil {
			if _, err := storedCard(ctx, tx, s, c.ID, *u.DefaultCard, false); err != nil {
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
		if _, err = tx.Exec(ctx, `UPDATE customers SET email = $1, description = $2, metadata = $3, default_card = $4,
			modified_at = $5 WHERE id = $6`, c.Email, c.Description, string(c.Metadata), c.DefaultCard, ms(u.Now), c.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, c.ID)
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
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var c *cardvault.Customer
	err := db.write(ctx, "DeleteCustomer", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if c, err = customerByRef(ctx, tx, s, ref, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cards WHERE customer_id = $1`, c.ID); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM customers WHERE id = $1`, c.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, c.ID)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListCustomers returns a page of customers and the count in the window,
// from one snapshot.
func (db *DB) ListCustomers(ctx context.Context, s cardvault.Scope, p cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var cs []*cardvault.Customer
	var total int
	err := db.readTx(ctx, "ListCustomers", func(tx pgx.Tx) error {
		var err error
		cs, total, err = listCustomers(ctx, tx, s, p)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return cs, total, nil
}

func listCustomers(ctx context.Context, tx pgx.Tx, s cardvault.Scope, p cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	lo, hi := window(p)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM customers WHERE account_id = $1 AND mode = $2
		AND created_at BETWEEN $3 AND $4`, s.AccountID, s.Mode, lo, hi).Scan(&total); err != nil {
		return nil, 0, err
	}
	cs, err := scanCustomers(tx.Query(ctx, `SELECT `+customerColumns+` FROM customers WHERE account_id = $1 AND mode = $2
		AND created_at BETWEEN $3 AND $4 ORDER BY created_at `+dir(p)+`, seq `+dir(p)+` LIMIT $5 OFFSET $6`,
		s.AccountID, s.Mode, lo, hi, p.Limit, p.Offset))
	return cs, total, err
}

// ListCustomersWithCards is ListCustomers with, for each customer of the
// page, the page cp of its cards and their number in cp's window: three
// queries of one snapshot, whatever the page size.
func (db *DB) ListCustomersWithCards(ctx context.Context, s cardvault.Scope, p, cp cardvault.ListParams) ([]cardvault.CustomerCards, int, error) {
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	var out []cardvault.CustomerCards
	var total int
	err := db.readTx(ctx, "ListCustomersWithCards", func(tx pgx.Tx) error {
		out = nil
		cs, n, err := listCustomers(ctx, tx, s, p)
		if err != nil || len(cs) == 0 {
			total = n
			return err
		}
		total = n
		out = make([]cardvault.CustomerCards, len(cs))
		ids := make([]string, len(cs))
		at := make(map[string]*cardvault.CustomerCards, len(cs))
		for i, c := range cs {
			out[i].Customer, ids[i] = c, c.ID
			at[c.ID] = &out[i]
		}
		return pageCards(ctx, tx, s, ids, cp, at)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// pageCards fills in the card page cp and the card count of each customer
// in at (ids), in one query: the cards are numbered (rn) and counted (n)
// within their customer, and the first card of each is selected in any case
// so that a page past the end still reports the count.
func pageCards(ctx context.Context, tx pgx.Tx, s cardvault.Scope, ids []string, cp cardvault.ListParams,
	at map[string]*cardvault.CustomerCards) error {
	lo, hi := window(cp)
	rows, err := tx.Query(ctx, `SELECT rn, n, `+cardColumns+` FROM (
		SELECT *, row_number() OVER (PARTITION BY customer_id ORDER BY created_at `+dir(cp)+`, seq `+dir(cp)+`) AS rn,
			count(*) OVER (PARTITION BY customer_id) AS n
		FROM cards WHERE customer_id = ANY($1) AND account_id = $2 AND mode = $3 AND created_at BETWEEN $4 AND $5) page
		WHERE rn = 1 OR (rn > $6 AND rn <= $7) ORDER BY customer_id, rn`,
		ids, s.AccountID, s.Mode, lo, hi, int64(cp.Offset), int64(cp.Offset)+int64(cp.Limit))
	_, err = collect(rows, err, func(r pgx.Row) (struct{}, error) {
		var rn, n int
		c, err := scanCard(r, &rn, &n)
		if err != nil {
			return struct{}{}, err
		}
		cc := at[c.CustomerID]
		if cc == nil {
			return struct{}{}, cardvault.Internal("postgres: page cards: a card of a customer not on the page")
		}
		cc.Total = n
		if rn > cp.Offset {
			cc.Cards = append(cc.Cards, c)
		}
		return struct{}{}, nil
	})
	return err
}
