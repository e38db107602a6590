package sqlite

import (
	"fmt"
	"strings"

	"github.com/cardvault/cardvault/query"
)

// cardColumnOf and customerColumnOf map ChargeOver field names to SQL
// expressions. Unset customer text is stored as ” and exposed as NULL so that
// IS:NULL and the "no operator matches NULL" rule hold.
var (
	cardColumnOf = map[string]string{
		"creditcard_id": "seq", "customer_id": "customer_seq", "external_key": "external_key", "token": "token",
	}
	customerColumnOf = map[string]string{
		"customer_id": "seq", "external_key": "external_key", "token": "token",
		"company": "nullif(description, '')", "superuser_email": "nullif(email, '')",
	}
)

var sqlOps = map[query.Op]string{
	query.Equals: "=", query.NotEquals: "<>", query.GT: ">", query.LT: "<", query.GTE: ">=", query.LTE: "<=",
}

// renderWhere renders conditions as SQL with ? placeholders; user text only
// ever travels as arguments. Fields are whitelisted by package query and mapped
// here; an unmapped field is a programming error and fails closed.
func renderWhere(conds []query.Cond, columns map[string]string) (string, []any, error) {
	var terms []string
	var args []any
	for _, c := range conds {
		col, ok := columns[c.Field.Name]
		if !ok {
			return "", nil, fmt.Errorf("sqlite: no column for field %q", c.Field.Name)
		}
		switch c.Op {
		case query.IsNull:
			terms = append(terms, col+" IS NULL")
		case query.IsNotNull:
			terms = append(terms, col+" IS NOT NULL")
		case query.Contains:
			// lower() is ASCII-only in SQLite without ICU; instr treats % and _ literally.
			terms = append(terms, "instr(lower("+col+"), lower(?)) > 0")
			args = append(args, c.Value())
		default:
			op, ok := sqlOps[c.Op]
			if !ok {
				return "", nil, fmt.Errorf("sqlite: unknown operator %d", c.Op)
			}
			terms = append(terms, col+" "+op+" ?")
			args = append(args, c.Value())
		}
	}
	if len(terms) == 0 {
		return "", nil, nil
	}
	return " AND " + strings.Join(terms, " AND "), args, nil
}

// renderOrder renders ORDER BY keys. SQLite sorts NULL first ascending and
// last descending, which is the contract.
func renderOrder(keys []query.OrderKey, columns map[string]string) (string, error) {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		col, ok := columns[k.Field.Name]
		if !ok {
			return "", fmt.Errorf("sqlite: no column for field %q", k.Field.Name)
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		parts = append(parts, col+dir)
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

// renderPage renders the filter, order and page of a query: the text to
// append after a scoped WHERE, and its arguments.
func renderPage(q query.Query, columns map[string]string) (string, []any, error) {
	where, args, err := renderWhere(q.Where, columns)
	if err != nil {
		return "", nil, err
	}
	order, err := renderOrder(q.Order, columns)
	if err != nil {
		return "", nil, err
	}
	return where + order + " LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset), nil
}
