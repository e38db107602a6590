package query

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Op is a where operator. The zero Op is invalid.
type Op uint8

// The operators of the where language.
const (
	Equals    Op = iota + 1 // EQUALS: Int equality, or exact case-sensitive string equality
	NotEquals               // NOTEQUALS: the negation of Equals; never matches NULL
	GT                      // GT: greater than (byte-wise for strings)
	LT                      // LT: less than (byte-wise for strings)
	GTE                     // GTE: greater than or equal (byte-wise for strings)
	LTE                     // LTE: less than or equal (byte-wise for strings)
	// Contains is an ASCII case-insensitive substring match on String fields
	// only; '%' and '_' are ordinary characters, and an empty value matches
	// every non-null value.
	Contains
	IsNull    // IS:NULL: the field is unset
	IsNotNull // ISNOT:NULL: the field is set
)

// opNames holds the wire name of each operator, upper case.
var opNames = [...]string{
	Equals: "EQUALS", NotEquals: "NOTEQUALS", GT: "GT", LT: "LT", GTE: "GTE",
	LTE: "LTE", Contains: "CONTAINS", IsNull: "IS", IsNotNull: "ISNOT",
}

// String returns the operator's wire name ("EQUALS", …; "IS" and "ISNOT"
// for IsNull and IsNotNull).
func (o Op) String() string {
	if o >= Equals && int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Cond is one where condition. Int holds the value for Int fields and Str for
// String fields; neither is set for IsNull and IsNotNull. Str is the client's
// value byte for byte after unescaping: it is valid UTF-8 without NUL bytes,
// possibly empty.
type Cond struct {
	Field Field
	Op    Op
	Int   int64
	Str   string
}

// Value returns the condition's value as a placeholder argument: an int64
// for Int fields, a string for String fields, nil for IsNull and IsNotNull.
func (c Cond) Value() any {
	switch {
	case c.Op == IsNull || c.Op == IsNotNull:
		return nil
	case c.Field.Type == Int:
		return c.Int
	}
	return c.Str
}

// Escape backslash-escapes '\', ',' and ':' in s, so that s can be sent as a
// where value (or field) and arrives unchanged after unescaping.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == ',' || s[i] == ':' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseWhere parses every where value in order (decoding steps 2–6),
// skipping empty ones. It returns the first problem as a detail message,
// numbering conditions from 1 across all values. More than MaxConditions
// conditions are refused before any is parsed.
func parseWhere(values []string, s Schema) ([]Cond, string) {
	total := 0
	for _, v := range values {
		if v != "" {
			total += countParts(v, ',')
		}
	}
	if total > MaxConditions {
		return nil, msgTooManyConds
	}
	var conds []Cond
	n := 0
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, raw := range split(v, ',', -1) {
			n++
			c, problem := parseCond(raw, s)
			if problem != "" {
				return nil, fmt.Sprintf("condition %d: %s", n, problem)
			}
			conds = append(conds, c)
		}
	}
	return conds, ""
}

// parseCond parses one raw (still escaped) condition. When several problems
// apply, the first of malformed, not filterable, unknown operator, operator
// not allowed, invalid value is reported: each check needs the earlier ones
// to have passed to be meaningful.
func parseCond(raw string, s Schema) (Cond, string) {
	parts, ok := splitCond(raw)
	if !ok {
		return Cond{}, msgMalformed
	}
	f, ok := s.Lookup(parts[0])
	if !ok {
		return Cond{}, msgNotFilterable
	}
	op, ok := parseOp(parts[1], parts[2])
	if !ok {
		return Cond{}, msgUnknownOp
	}
	return makeCond(f, op, parts[2])
}

// splitCond splits a condition at its first two unescaped colons and
// unescapes field, operator and value (steps 4 and 5). ok is false for a
// malformed condition: fewer than two colons, an empty field or operator,
// or a trailing lone backslash.
func splitCond(raw string) (parts [3]string, ok bool) {
	raws := split(raw, ':', 3)
	if len(raws) < 3 || raws[0] == "" || raws[1] == "" {
		return parts, false
	}
	for i, r := range raws {
		if parts[i], ok = unescape(r); !ok {
			return parts, false
		}
	}
	return parts, true
}

// countParts returns len(split(s, sep, -1)) without building the parts.
func countParts(s string, sep byte) int {
	n := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			n++
		}
	}
	return n
}

// split cuts s at every sep not escaped by a backslash into at most n parts
// (all parts if n < 0). Escapes are kept; the last part holds the rest.
// Working on bytes is safe for UTF-8: sep and '\' are ASCII and never occur
// inside a multi-byte character.
func split(s string, sep byte, n int) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s) && len(parts) != n-1; i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unescape replaces every "\x" by "x". ok is false if s ends in a lone
// backslash.
func unescape(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				return "", false
			}
		}
		b = append(b, s[i])
	}
	return string(b), true
}

// parseOp recognises an operator, ignoring ASCII case. IS and ISNOT are
// operators only when value is NULL (ASCII case-insensitive).
func parseOp(name, value string) (Op, bool) {
	for op := Equals; op <= IsNotNull; op++ {
		if !equalFoldASCII(name, opNames[op]) {
			continue
		}
		if op == IsNull || op == IsNotNull {
			return op, equalFoldASCII(value, "NULL")
		}
		return op, true
	}
	return 0, false
}

// makeCond checks value against the field's type and builds the condition.
func makeCond(f Field, op Op, value string) (Cond, string) {
	c := Cond{Field: f, Op: op}
	switch {
	case op == IsNull || op == IsNotNull:
		return c, ""
	case f.Type == Int && op == Contains:
		return Cond{}, msgOpNotAllowed
	case f.Type == Int:
		n, ok := parseIntValue(value)
		if !ok {
			return Cond{}, msgInvalidValue
		}
		c.Int = n
	case len(value) > MaxValueBytes:
		return Cond{}, msgValueTooLong
	default:
		if !utf8.ValidString(value) || strings.IndexByte(value, 0) >= 0 {
			return Cond{}, msgInvalidValue
		}
		c.Str = value
	}
	return c, ""
}

// parseIntValue accepts exactly -?[0-9]{1,18}, which always fits an int64.
func parseIntValue(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if len(digits) > 18 || !isDigits(digits) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// equalFoldASCII compares a and b ignoring ASCII case only, so that
// Unicode folds such as 'ſ' → 'S' or 'ı' → 'I' do not make operators.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// lowerASCII lowers an ASCII upper-case letter and leaves other bytes alone.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
