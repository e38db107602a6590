package query

import (
	"fmt"
	"sort"
	"strings"
)

// The detail messages of API.md §3.6. They are the whole catalogue: Parse
// never puts anything else (in particular no client text) into an Error.
const (
	msgMalformed      = "malformed"
	msgNotFilterable  = "field is not filterable"
	msgUnknownOp      = "unknown operator"
	msgOpNotAllowed   = "operator not allowed for field"
	msgInvalidValue   = "invalid value"
	msgNotSortable    = "field is not sortable"
	msgBadDirection   = "invalid direction"
	msgNotNonNegative = "must be a non-negative integer"
	msgValueTooLong   = "value too long"
)

// The detail messages of the bounds (API.md §3.6), each naming its limit.
var (
	msgTooManyConds = fmt.Sprintf("too many conditions (at most %d)", MaxConditions)
	msgTooManyKeys  = fmt.Sprintf("too many keys (at most %d)", MaxOrderKeys)
)

// Error is a query error: Details holds one entry per offending parameter
// ("where", "order", "limit", "offset"), its first problem, worded as in
// API.md §3.6, e.g. {"where": "condition 2: unknown operator"}. The HTTP
// layer returns it as 400 "Missing or invalid parameter." with these details.
type Error struct {
	Details map[string]string
}

// Error lists the details sorted by parameter name. It never includes
// client-supplied text, so it is safe to log.
func (e *Error) Error() string {
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("query: invalid parameters:")
	for _, k := range keys {
		fmt.Fprintf(&b, " %s: %s;", k, e.Details[k])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// details collects the first problem of each parameter.
type details map[string]string

// note records problem for param unless problem is empty.
func (d details) note(param, problem string) {
	if problem != "" {
		d[param] = problem
	}
}

// err returns the collected problems as an *Error, or nil if there are none.
func (d details) err() error {
	if len(d) == 0 {
		return nil
	}
	return &Error{Details: d}
}
