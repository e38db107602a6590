package query

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// injectionCorpus holds hostile values: SQL metacharacters, comment
// markers, placeholders, control and non-UTF-8 bytes, huge and unbalanced
// escape runs.
var injectionCorpus = []string{
	"'", `"`, "' OR '1'='1", `"; DROP TABLE cards; --`, "1; DELETE FROM customers",
	"--", "/*", "*/", "/* comment */", ";", "`", "' UNION SELECT number FROM cards --",
	"%", "_", "%_%", `\%`, "$1", "?", ":name", "@p1", "NULL", "null", `\N`,
	"\x00", "a\x00b", "\xff\xfe", "\xc0\xaf", "é", "😀", "\u202e", "\ufeff", "\r\n", "\t",
	`\`, `\\\`, `a\`, `\,`, `\:`, ":", ",", "::", ",,", `\\,\\`,
	strings.Repeat("A", 10<<10),
	strings.Repeat(`\`, 10001),
	strings.Repeat(",", 1000),
	strings.Repeat(":", 1000),
	strings.Repeat("é😀'", 3000),
}

func TestInjectionCorpus(t *testing.T) {
	for i, val := range injectionCorpus {
		for _, op := range []string{"EQUALS", "CONTAINS", "GT"} {
			checkPreserved(t, i, op, val)
		}
		checkNoPanic(t, url.Values{"where": {"external_key:EQUALS:" + val}})
		checkNoPanic(t, url.Values{"where": {val + ":EQUALS:1"}, "order": {val}})
		checkNoPanic(t, url.Values{"where": {"customer_id:" + val + ":1"}, "limit": {val}, "offset": {val}})
		checkIntRejected(t, i, val)
	}
}

// checkPreserved sends val escaped as a string value: a value longer than
// MaxValueBytes is too long; valid UTF-8 without NUL must come back
// byte-exact; anything else must be an invalid value.
func checkPreserved(t *testing.T, i int, op, val string) {
	t.Helper()
	conds, err := ParseCount(url.Values{"where": {"token:" + op + ":" + Escape(val)}}, CreditCard)
	text := utf8.ValidString(val) && !strings.Contains(val, "\x00")
	switch {
	case len(val) > MaxValueBytes:
		if !isDetail(err, "where", "condition 1: value too long") {
			t.Errorf("corpus %d %s: %d-byte value gave %v", i, op, len(val), err)
		}
	case text && (err != nil || len(conds) != 1 || conds[0].Str != val):
		t.Errorf("corpus %d %s: value not preserved (err %v)", i, op, err)
	case !text && !isDetail(err, "where", "condition 1: invalid value"):
		t.Errorf("corpus %d %s: non-text value gave %v", i, op, err)
	}
}

// checkIntRejected sends val as an Int value: the corpus holds no integer.
func checkIntRejected(t *testing.T, i int, val string) {
	t.Helper()
	_, err := ParseCount(url.Values{"where": {"customer_id:EQUALS:" + Escape(val)}}, CreditCard)
	if !isDetail(err, "where", "condition 1: invalid value") {
		t.Errorf("corpus %d as int: %v", i, err)
	}
}

// checkNoPanic parses v for both schemas: the result is a valid Query or an
// *Error (Parse panicking fails the test by itself).
func checkNoPanic(t *testing.T, v url.Values) {
	t.Helper()
	for _, s := range []Schema{CreditCard, Customer} {
		q, err := Parse(v, s)
		if problem := checkResult(v, q, err, s); problem != "" {
			t.Errorf("Parse: %s", problem)
		}
	}
}

// isDetail reports whether err is an *Error whose only detail is key: msg.
func isDetail(err error, key, msg string) bool {
	var qe *Error
	return errors.As(err, &qe) && len(qe.Details) == 1 && qe.Details[key] == msg
}
