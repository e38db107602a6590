package query

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// catalogue matches every detail message Parse may produce, per parameter.
var catalogue = map[string]*regexp.Regexp{
	"where": regexp.MustCompile(`^(condition [1-9][0-9]*: (malformed|field is not filterable|unknown operator|` +
		`operator not allowed for field|value too long|invalid value)|too many conditions \(at most 16\))$`),
	"order":  regexp.MustCompile(`^(key [1-9][0-9]*: (malformed|field is not sortable|invalid direction)|too many keys \(at most 8\))$`),
	"limit":  regexp.MustCompile(`^must be a non-negative integer$`),
	"offset": regexp.MustCompile(`^must be a non-negative integer$`),
}

// checkResult returns "" if (q, err) is a well-formed result of Parse(v, s),
// else a description of what is wrong.
func checkResult(v url.Values, q Query, err error, s Schema) string {
	if err != nil {
		return checkError(err)
	}
	if q.Limit < 1 || q.Limit > MaxLimit || q.Offset < 0 {
		return fmt.Sprintf("limit %d offset %d out of range", q.Limit, q.Offset)
	}
	if len(q.Where) > MaxConditions || len(q.Order) > MaxOrderKeys+1 {
		return fmt.Sprintf("%d conditions, %d order keys: past the bounds", len(q.Where), len(q.Order))
	}
	for i, c := range q.Where {
		if p := checkCond(c, s); p != "" {
			return fmt.Sprintf("cond %d: %s", i+1, p)
		}
	}
	return checkOrder(q.Order, s, !strings.Contains(v.Get("order"), s.ID))
}

// checkError checks err is an *Error whose details all come from the catalogue.
func checkError(err error) string {
	var qe *Error
	if !errors.As(err, &qe) || len(qe.Details) == 0 {
		return fmt.Sprintf("error %#v is not an *Error with details", err)
	}
	for k, msg := range qe.Details {
		if re, ok := catalogue[k]; !ok || !re.MatchString(msg) {
			return fmt.Sprintf("detail %q: %q not in the catalogue", k, msg)
		}
	}
	return ""
}

// checkCond checks a condition's field, operator and value kind.
func checkCond(c Cond, s Schema) string {
	f, ok := s.Lookup(c.Field.Name)
	switch {
	case !ok || f != c.Field:
		return "field not in schema"
	case c.Op < Equals || c.Op > IsNotNull:
		return "bad operator"
	case c.Op == IsNull || c.Op == IsNotNull:
		if c.Int != 0 || c.Str != "" {
			return "null test with a value"
		}
	case f.Type == Int && (c.Op == Contains || c.Str != ""):
		return "int condition with contains or string value"
	case f.Type == String && (c.Int != 0 || !utf8.ValidString(c.Str) || strings.Contains(c.Str, "\x00")):
		return "string condition with int or non-text value"
	case len(c.Str) > MaxValueBytes:
		return "value longer than MaxValueBytes"
	}
	return ""
}

// checkOrder checks the keys are distinct schema fields including the id,
// which must be last and ascending if the client cannot have named it.
func checkOrder(keys []OrderKey, s Schema, idAppended bool) string {
	if len(keys) == 0 {
		return "empty order"
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if f, ok := s.Lookup(k.Field.Name); !ok || f != k.Field || seen[f.Name] {
			return "order key not in schema or repeated"
		}
		seen[k.Field.Name] = true
	}
	last := keys[len(keys)-1]
	if !seen[s.ID] || idAppended && (last.Field.Name != s.ID || last.Desc) {
		return "order lacks the id tie-breaker"
	}
	return ""
}

// fuzzSeeds returns raw query strings built from the test tables.
func fuzzSeeds() []string {
	var seeds []string
	for _, tt := range wireTests {
		seeds = append(seeds, tt.raw)
	}
	for _, tt := range pageTests {
		seeds = append(seeds, tt.raw)
	}
	for _, tt := range whereTests {
		seeds = append(seeds, url.Values{"where": tt.where}.Encode())
	}
	for _, tt := range orderTests {
		seeds = append(seeds, url.Values{"order": tt.order}.Encode())
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		for _, s := range []Schema{CreditCard, Customer} {
			q, err := Parse(v, s)
			if p := checkResult(v, q, err, s); p != "" {
				t.Fatalf("Parse(%q): %s", raw, p)
			}
			checkCountAgrees(t, v, s, q, err)
		}
	})
}

// checkCountAgrees checks ParseCount reads where exactly as Parse does.
func checkCountAgrees(t *testing.T, v url.Values, s Schema, q Query, err error) {
	conds, cerr := ParseCount(v, s)
	var qe *Error
	parseWhere := ""
	if errors.As(err, &qe) {
		parseWhere = qe.Details["where"]
	}
	switch {
	case cerr != nil && !isDetail(cerr, "where", parseWhere):
		t.Fatalf("ParseCount error %v, Parse where detail %q", cerr, parseWhere)
	case cerr == nil && parseWhere != "":
		t.Fatalf("ParseCount accepted, Parse where detail %q", parseWhere)
	case err == nil && !reflect.DeepEqual(conds, q.Where):
		t.Fatalf("ParseCount %#v, Parse %#v", conds, q.Where)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("external_key", "EQUALS", `ext:1`)
	f.Add(`a\`, `,`, `\\:,`)
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := []string{a, b, c}
		for _, sep := range []byte{',', ':'} {
			joined := Escape(a) + string(sep) + Escape(b) + string(sep) + Escape(c)
			if got := unescapeAll(t, split(joined, sep, -1)); !reflect.DeepEqual(got, in) {
				t.Fatalf("split(%q, %q) round trip = %q, want %q", joined, sep, got, in)
			}
		}
		cond := Escape(a) + ":" + Escape(b) + ":" + Escape(c) + ":" + Escape(c)
		parts, ok := splitCond(cond)
		if want := [3]string{a, b, c + ":" + c}; ok != (a != "" && b != "") || ok && parts != want {
			t.Fatalf("splitCond(%q) = %q, %v; want %q", cond, parts, ok, want)
		}
		for _, sep := range []byte{',', ':'} {
			if n, parts := countParts(a, sep), split(a, sep, -1); n != len(parts) {
				t.Fatalf("countParts(%q, %q) = %d, split gives %d parts", a, sep, n, len(parts))
			}
			if got := strings.Join(split(a, sep, -1), string(sep)); got != a {
				t.Fatalf("split(%q, %q) lost text: %q", a, sep, got)
			}
			if parts := split(a, sep, 3); len(parts) > 3 || strings.Join(parts, string(sep)) != a {
				t.Fatalf("split(%q, %q, 3) = %q", a, sep, parts)
			}
		}
	})
}

// unescapeAll unescapes every part, failing on a trailing backslash.
func unescapeAll(t *testing.T, parts []string) []string {
	t.Helper()
	out := make([]string, len(parts))
	for i, p := range parts {
		u, ok := unescape(p)
		if !ok {
			t.Fatalf("unescape(%q) failed", p)
		}
		out[i] = u
	}
	return out
}
