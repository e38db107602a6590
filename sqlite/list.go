package sqlite

import (
	"context"
	"encoding/json"

	"github.com/cardvault/cardvault"
)

// The Omise lists. Each reads its total and its page in one read
// transaction (snapshot), so that a write committed between the two cannot
// make them disagree.

// ListCustomers returns a page of customers and the count in the window.
func (db *DB) ListCustomers(ctx context.Context, s cardvault.Scope, p cardvault.ListParams) ([]*cardvault.Customer, int, error) {
	var cs []*cardvault.Customer
	var total int
	countText, countArgs := countCustomersWindowQuery(s, p)
	pageText, pageArgs := listCustomersQuery(s, p)
	err := db.snapshot(ctx, []string{countText, pageText}, func(q queryer) error {
		if err := q.QueryRowContext(ctx, countText, countArgs...).Scan(&total); err != nil {
			return err
		}
		var err error
		cs, err = scanCustomers(q.QueryContext(ctx, pageText, pageArgs...))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return cs, total, nil
}

// ListCustomersWithCards returns a page of customers, their count in the
// window, and each one's page cp of cards with its count, in three queries
// of one snapshot: the cards of the whole page come from one query.
func (db *DB) ListCustomersWithCards(ctx context.Context, s cardvault.Scope, p, cp cardvault.ListParams) ([]cardvault.CustomerCards, int, error) {
	var out []cardvault.CustomerCards
	var total int
	countText, countArgs := countCustomersWindowQuery(s, p)
	pageText, pageArgs := listCustomersQuery(s, p)
	cardsText := pageCardsText(cp)
	err := db.snapshot(ctx, []string{countText, pageText, cardsText}, func(q queryer) error {
		if err := q.QueryRowContext(ctx, countText, countArgs...).Scan(&total); err != nil {
			return err
		}
		cs, err := scanCustomers(q.QueryContext(ctx, pageText, pageArgs...))
		if err != nil || len(cs) == 0 {
			return err
		}
		out = make([]cardvault.CustomerCards, len(cs))
		at := make(map[string]*cardvault.CustomerCards, len(cs))
		ids := make([]string, len(cs))
		for i, c := range cs {
			out[i].Customer, ids[i] = c, c.ID
			at[c.ID] = &out[i]
		}
		return pageCards(ctx, q, s, ids, cp, at)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// pageCardsText selects, for a set of customers (a JSON array of ids), the
// cards of page cp of each one's card list, numbered within the customer
// (rn) and counted (n); the first card of every customer is selected in any
// case so that a page past the end still reports the count. The numbering
// reads only the cards_customer index (customer_id, created_at) and the
// rowid; the selected rows are then read by rowid. The customer ids come from
// a scoped query; the scope is checked again on the rows read.
func pageCardsText(cp cardvault.ListParams) string {
	return `SELECT ` + cardColumns + `, w.rn, w.n FROM (
		SELECT rowid AS r, row_number() OVER (PARTITION BY customer_id ORDER BY created_at ` + dir(cp) + `, seq ` + dir(cp) + `) AS rn,
			count(*) OVER (PARTITION BY customer_id) AS n
		FROM cards WHERE customer_id IN (SELECT value FROM json_each(?)) AND created_at BETWEEN ? AND ?) AS w
		CROSS JOIN cards ON cards.rowid = w.r
		WHERE (w.rn = 1 OR (w.rn > ? AND w.rn <= ?)) AND cards.account_id = ? AND cards.mode = ?
		ORDER BY cards.customer_id, w.rn`
}

// pageCards fills in the card page and count of each customer in at.
func pageCards(ctx context.Context, q queryer, s cardvault.Scope, ids []string, cp cardvault.ListParams, at map[string]*cardvault.CustomerCards) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	lo, hi := window(cp)
	rows, err := q.QueryContext(ctx, pageCardsText(cp), string(list), lo, hi, cp.Offset, cp.Offset+cp.Limit, s.AccountID, s.Mode)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rn, n int
		c, err := scanCard(withExtra{rows, []any{&rn, &n}})
		if err != nil {
			return err
		}
		cc := at[c.CustomerID]
		if cc == nil {
			return cardvault.Internal("sqlite: page cards: a card of a customer not on the page")
		}
		cc.Total = n
		if rn > cp.Offset {
			cc.Cards = append(cc.Cards, c)
		}
	}
	return rows.Err()
}

// withExtra scans a row's leading columns as its scanner's caller asks and
// the trailing ones into extra.
type withExtra struct {
	s     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.s.Scan(append(dest, w.extra...)...) }

// ListCards returns a page of a customer's cards and the count in the window.
func (db *DB) ListCards(ctx context.Context, s cardvault.Scope, customerID string, p cardvault.ListParams) ([]*cardvault.Card, int, error) {
	var cards []*cardvault.Card
	var total int
	custText := customerByText("id = ?")
	countText, pageText := countCardsWindowText, listCardsText(p)
	lo, hi := window(p)
	err := db.snapshot(ctx, []string{custText, countText, pageText}, func(q queryer) error {
		if _, err := customerByRef(ctx, q, s, cardvault.Ref{ID: customerID}); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, countText, customerID, lo, hi).Scan(&total); err != nil {
			return err
		}
		var err error
		cards, err = scanCards(q.QueryContext(ctx, pageText, customerID, lo, hi, p.Limit, p.Offset))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return cards, total, nil
}

const countCardsWindowText = `SELECT count(*) FROM cards WHERE customer_id = ? AND created_at BETWEEN ? AND ?`

func listCardsText(p cardvault.ListParams) string {
	return `SELECT ` + cardColumns + ` FROM cards
		WHERE customer_id = ? AND created_at BETWEEN ? AND ? ORDER BY created_at ` + dir(p) + `, seq ` + dir(p) + `
		LIMIT ? OFFSET ?`
}
