package param

import (
	"strconv"
	"strings"
)

// digitsInt reads a string made only of ASCII digits (leading zeros allowed) as an int64.
// Signs, spaces, dots and non-ASCII digits make it fail, as does overflow.
func digitsInt(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// decimal is an exact decimal value: (-1)^neg × digits × 10^exp.
type decimal struct {
	neg    bool
	digits string // significant digits without leading or trailing zeros; "" means zero
	exp    int64
}

// expCap bounds the exponent read from the text. Any larger magnitude already decides the
// outcome (overflow or fraction), and capping keeps arithmetic on exp far from int64 limits.
const expCap = 1 << 40

// numberInt reads a JSON number literal as an int64 if its value is integral and in range.
// It works on the decimal text (never float64), so 1.2e1 is 12 and a 19-digit value is exact.
func numberInt(lit string) (int64, bool) {
	d, ok := parseDecimal(lit)
	if !ok {
		return 0, false
	}
	if d.digits == "" {
		return 0, true
	}
	// digits has no trailing zero, so a negative exponent always leaves a fraction; more than
	// 19 integer digits is beyond ±9223372036854775807.
	if d.exp < 0 || int64(len(d.digits))+d.exp > 19 {
		return 0, false
	}
	s := d.digits + strings.Repeat("0", int(d.exp))
	if d.neg {
		s = "-" + s
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseDecimal parses the JSON number grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// into a normalized decimal.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	rest := s
	if strings.HasPrefix(rest, "-") {
		d.neg, rest = true, rest[1:]
	}
	intPart, rest := leadingDigits(rest)
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return d, false
	}
	var frac string
	if strings.HasPrefix(rest, ".") {
		if frac, rest = leadingDigits(rest[1:]); frac == "" {
			return d, false
		}
	}
	exp, rest, ok := parseExponent(rest)
	if !ok || rest != "" {
		return d, false
	}
	all := strings.TrimLeft(intPart+frac, "0")
	d.digits = strings.TrimRight(all, "0")
	d.exp = exp - int64(len(frac)) + int64(len(all)-len(d.digits))
	return d, true
}

// parseExponent reads an optional [eE][+-]?[0-9]+ suffix, capping its magnitude at expCap.
func parseExponent(s string) (exp int64, rest string, ok bool) {
	if s == "" || (s[0] != 'e' && s[0] != 'E') {
		return 0, s, true
	}
	s = s[1:]
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	digits, rest := leadingDigits(s)
	if digits == "" {
		return 0, rest, false
	}
	for i := 0; i < len(digits) && exp < expCap; i++ {
		exp = exp*10 + int64(digits[i]-'0')
	}
	exp = min(exp, expCap)
	if neg {
		exp = -exp
	}
	return exp, rest, true
}

// leadingDigits splits s after its leading run of ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
