package postgres

import (
	"fmt"
	"strings"

	"github.com/cardvault/cardvault/query"
)

// cardColumnOf and customerColumnOf map ChargeOver field names to SQL
// expressions. Unset customer text is stored as ” and exposed as NULL so
// that IS:NULL and the "no operator matches NULL" rule hold.
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

// upperASCII and lowerASCII are the arguments of translate() that fold
// ASCII letters only: PostgreSQL's lower() folds other letters too (by the
// database's locale), which the query language does not.
const (
	upperASCII = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerASCII = "abcdefghijklmnopqrstuvwxyz"
)

// renderWhere renders conditions as SQL with placeholders numbered from
// next; user text only ever travels as arguments. String comparisons and
// orders are byte-wise (COLLATE "C"). Fields are whitelisted by package
// query and mapped here; an unmapped field fails closed.
func renderWhere(conds []query.Cond, columns map[string]string, next int) (string, []any, error) {
	var terms []string
	var args []any
	for _, c := range conds {
		col, ok := columns[c.Field.Name]
		if !ok {
			return "", nil, fmt.Errorf("postgres: no column for field %q", c.Field.Name)
		}
		ph := fmt.Sprintf("$%d", next+len(args))
		switch {
		case c.Op == query.IsNull:
			terms = append(terms, col+" IS NULL")
			continue
		case c.Op == query.IsNotNull:
			terms = append(terms, col+" IS NOT NULL")
			continue
		case c.Op == query.Contains:
			// strpos treats % and _ as ordinary characters; an empty value
			// is at position 1 of every text.
			terms = append(terms, "strpos(translate("+col+", '"+upperASCII+"', '"+lowerASCII+"'), "+ph+") > 0")
			args = append(args, foldASCII(c.Str))
			continue
		}
		op, ok := sqlOps[c.Op]
		if !ok {
			return "", nil, fmt.Errorf("postgres: unknown operator %d", c.Op)
		}
		if c.Field.Type == query.String {
			terms = append(terms, col+` COLLATE "C" `+op+" "+ph+"::text")
		} else {
			terms = append(terms, col+" "+op+" "+ph+"::bigint")
		}
		args = append(args, c.Value())
	}
	if len(terms) == 0 {
		return "", nil, nil
	}
	return " AND " + strings.Join(terms, " AND "), args, nil
}

// foldASCII lowers ASCII upper-case letters and leaves every other byte.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// renderOrder renders ORDER BY keys: byte-wise for text, NULL first
// ascending and last descending (docs/API.md §3.6), which is not
// PostgreSQL's default.
func renderOrder(keys []query.OrderKey, columns map[string]string) (string, error) {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		col, ok := columns[k.Field.Name]
		if !ok {
			return "", fmt.Errorf("postgres: no column for field %q", k.Field.Name)
		}
		if k.Field.Type == query.String {
			col += ` COLLATE "C"`
		}
		if k.Desc {
			parts = append(parts, col+" DESC NULLS LAST")
		} else {
			parts = append(parts, col+" ASC NULLS FIRST")
		}
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

// renderPage renders the filter, order and page of a query: the text to
// append after a scoped WHERE, and its arguments, numbered from next.
func renderPage(q query.Query, columns map[string]string, next int) (string, []any, error) {
	where, args, err := renderWhere(q.Where, columns, next)
	if err != nil {
		return "", nil, err
	}
	order, err := renderOrder(q.Order, columns)
	if err != nil {
		return "", nil, err
	}
	n := next + len(args)
	return where + order + fmt.Sprintf(" LIMIT $%d OFFSET $%d", n, n+1), append(args, int64(q.Limit), q.Offset), nil
}
