package query

import (
	"net/url"
	"strconv"
)

// Limits of the limit parameter.
const (
	DefaultLimit = 10  // limit when absent, empty or 0
	MaxLimit     = 500 // larger limits, of any size, are clamped to this
)

// Bounds on what a client may ask a store to evaluate. Every condition is a
// term of the SQL a store runs, so without them a query string within the
// header limit could build an expression tree the database refuses (a 500)
// or a scan that costs every tenant.
const (
	// MaxConditions is the most where conditions of one request, counted
	// across all its where parameters.
	MaxConditions = 16
	// MaxOrderKeys is the most keys of an order parameter, counted as given
	// (a repeated field counts each time).
	MaxOrderKeys = 8
	// MaxValueBytes is the longest where value, in bytes after unescaping:
	// four times the longest text a field holds (255 characters), so every
	// value that can match fits.
	MaxValueBytes = 1024
)

// Query is a parsed, validated list request.
type Query struct {
	// Where holds the conditions of every where parameter, in order,
	// AND-combined. Empty means no filter.
	Where []Cond
	// Order is never empty: the client's keys (default: the schema id
	// ascending) followed by the id ascending as tie-breaker unless the id
	// already is a key.
	Order []OrderKey
	// Limit is the page size, 1..MaxLimit.
	Limit int
	// Offset is the number of rows to skip, 0..2^63-1.
	Offset int64
}

// Parse reads a list request from already-decoded url.Values (the HTTP layer
// does the one form decoding of step 1) for the resource described by s:
// every where parameter (in order, empty ones skipped, AND-combined,
// conditions numbered from 1 across all of them), and the first occurrence
// of order, limit and offset. Other parameters are ignored.
//
// On any problem it returns a zero Query and an *Error with one detail per
// offending parameter: its first problem. More than MaxConditions conditions
// (across all where parameters) or MaxOrderKeys order keys are refused as a
// whole, before any of them is read. Within one where condition the first
// applicable of malformed, field is not filterable, unknown operator,
// operator not allowed for field, value too long (over MaxValueBytes),
// invalid value is reported; within one order key, malformed, field is not
// sortable, invalid direction.
//
// String values may be empty but must be valid UTF-8 without NUL bytes
// (otherwise invalid value), so that every store can bind them. An order
// field named twice keeps its first key; later ones are dropped.
//
// Parse panics if s.ID is not an Int field of s (a programming error).
func Parse(v url.Values, s Schema) (Query, error) {
	id := s.IDField()
	var q Query
	d := details{}
	var problem string
	q.Where, problem = parseWhere(v["where"], s)
	d.note("where", problem)
	q.Order, problem = parseOrder(v.Get("order"), s, id)
	d.note("order", problem)
	q.Limit, problem = parseLimit(v.Get("limit"))
	d.note("limit", problem)
	q.Offset, problem = parseOffset(v.Get("offset"))
	d.note("offset", problem)
	if err := d.err(); err != nil {
		return Query{}, err
	}
	return q, nil
}

// ParseCount is Parse for _count: it reads only the where parameters;
// order, limit and offset are ignored even if invalid. Errors are as Parse's.
func ParseCount(v url.Values, s Schema) ([]Cond, error) {
	conds, problem := parseWhere(v["where"], s)
	if problem != "" {
		return nil, &Error{Details: map[string]string{"where": problem}}
	}
	return conds, nil
}

// parseLimit accepts [0-9]+ of any length: empty or 0 gives DefaultLimit,
// anything above MaxLimit gives MaxLimit.
func parseLimit(s string) (int, string) {
	if s == "" {
		return DefaultLimit, ""
	}
	if !isDigits(s) {
		return 0, msgNotNonNegative
	}
	n, err := strconv.ParseUint(s, 10, 64) // digits only: err means too big
	switch {
	case err != nil || n > MaxLimit:
		return MaxLimit, ""
	case n == 0:
		return DefaultLimit, ""
	}
	return int(n), ""
}

// parseOffset accepts [0-9]+ up to 2^63-1; empty gives 0.
func parseOffset(s string) (int64, string) {
	if s == "" {
		return 0, ""
	}
	if !isDigits(s) {
		return 0, msgNotNonNegative
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, msgNotNonNegative
	}
	return n, ""
}
