package param

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkTree fails t unless every value in v is an allowed kind and no object or array sits
// deeper than MaxDepth (v itself is at depth). fromForm restricts leaves to strings, as a
// form cannot express anything else.
func checkTree(t *testing.T, v any, depth int, fromForm bool) {
	t.Helper()
	switch x := v.(type) {
	case Params:
		if depth > MaxDepth {
			t.Fatalf("tree deeper than %d", MaxDepth)
		}
		for _, c := range x {
			checkTree(t, c, depth+1, fromForm)
		}
	case []any:
		if depth > MaxDepth {
			t.Fatalf("tree deeper than %d", MaxDepth)
		}
		for _, c := range x {
			checkTree(t, c, depth+1, fromForm)
		}
	case string:
	case json.Number, bool, nil:
		if fromForm {
			t.Fatalf("form produced %T", v)
		}
	default:
		t.Fatalf("leaf of type %T", v)
	}
}

func FuzzParseForm(f *testing.F) {
	for _, tc := range formCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseForm(in)
		compareFlat(t, in, p, err)
		if err != nil {
			if (err != ErrMalformed && err != ErrTooMany && err != ErrTooLarge) || p != nil {
				t.Fatalf("ParseForm = %v, %v", p, err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil tree without error")
		}
		checkTree(t, p, 1, true)
	})
}

// compareFlat checks ParseForm against net/url, which rejects ";" and does not nest: both
// must reject the same encodings, and on keys without "[" both must give the same values.
func compareFlat(t *testing.T, in string, p Params, err error) {
	t.Helper()
	if strings.Contains(in, ";") || err == ErrTooMany || err == ErrTooLarge {
		return // net/url has no such limits
	}
	vals, uerr := url.ParseQuery(in)
	nested := false
	for k := range vals {
		nested = nested || strings.Contains(k, "[")
	}
	switch {
	case uerr != nil && err == nil:
		t.Fatalf("ParseForm(%q) accepted an encoding net/url rejects: %v", in, uerr)
	case uerr == nil && err != nil && !nested:
		t.Fatalf("ParseForm(%q) = %v on a flat query net/url accepts", in, err)
	case err != nil || nested:
		return
	}
	want := Params{}
	for k, v := range vals {
		if k != "" {
			want[k] = v[len(v)-1]
		}
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("ParseForm(%q)\n got %#v\nwant %#v", in, p, want)
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("{\"a\":\"\xff\",\"b\":\"\\ud800\",\"c\":\"\\u0000\"}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseJSON(in)
		isObject := json.Valid(in) && firstNonSpace(in) == '{'
		if err != nil {
			if (err != ErrNotJSON && err != ErrTooMany && err != ErrTooLarge) || p != nil {
				t.Fatalf("ParseJSON = %v, %v", p, err)
			}
			if err == ErrNotJSON && isObject && jsonDepth(in) <= MaxDepth {
				t.Fatalf("valid object rejected: %q", in)
			}
			return
		}
		if !isObject {
			t.Fatalf("accepted input that is not one JSON object: %q", in)
		}
		checkTree(t, p, 1, false)
		if !validText(p) {
			return // encoding/json would have replaced what ParseJSON keeps
		}
		// On valid text the tree is exactly what encoding/json builds.
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if got := ToJSONValue(p); !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseJSON(%q)\n got %#v\nwant %#v", in, got, want)
		}
		// Re-encoding the tree and parsing it again gives the same tree.
		out, err := json.Marshal(ToJSONValue(p))
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := ParseJSON(out)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip of %q: %v\n got %#v\nwant %#v", in, err, again, p)
		}
	})
}

// validText reports whether every key and string in the tree is valid UTF-8.
func validText(v any) bool {
	switch x := v.(type) {
	case Params:
		for k, c := range x {
			if !utf8.ValidString(k) || !validText(c) {
				return false
			}
		}
	case []any:
		for _, c := range x {
			if !validText(c) {
				return false
			}
		}
	case string:
		return utf8.ValidString(x)
	}
	return true
}

// jsonDepth returns the deepest nesting of objects and arrays in b, which must be valid JSON:
// the reference the decoder's depth limit is checked against.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func TestJSONDepth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{}`, 1},
		{`{"a":[]}`, 2},
		{`{"a":"\\"}`, 1},
		{`{"a":"\\\"{"}`, 1},
		{`{"a":[{}],"b":{}}`, 3},
		{`{"{[":"]}"}`, 1},
	}
	for _, tc := range tests {
		if got := jsonDepth([]byte(tc.in)); got != tc.want {
			t.Errorf("jsonDepth(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func FuzzInt(f *testing.F) {
	for _, s := range []string{"0", "12", "007", "-1", " 12", "1.0", "abc", "١٢", "9223372036854775807",
		"9223372036854775808", "12.0", "1.2e1", "1.5", "-9223372036854775808", "1e-3", "120e-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkStringInt(t, s)
		checkNumberInt(t, s)
	})
}

// checkStringInt checks Int on a string value against the digits it holds.
func checkStringInt(t *testing.T, s string) {
	n, st := Params{"k": s}.Int("k")
	if s == "" {
		if st != Absent {
			t.Fatalf("Int(\"\") status = %v", st)
		}
		return
	}
	allDigits := strings.Trim(s, "0123456789") == ""
	trimmed := strings.TrimLeft(s, "0")
	if st != Valid {
		if allDigits && len(trimmed) <= 18 {
			t.Fatalf("Int(%q) = %v, want valid", s, st)
		}
		return
	}
	if !allDigits {
		t.Fatalf("Int(%q) valid for a non-digit string", s)
	}
	if got := strconv.FormatInt(n, 10); got != trimmed && !(n == 0 && trimmed == "") {
		t.Fatalf("Int(%q) = %d, does not round-trip", s, n)
	}
}

// checkNumberInt checks Int on a json.Number against exact rational arithmetic.
func checkNumberInt(t *testing.T, s string) {
	n, st := Params{"k": json.Number(s)}.Int("k")
	if s == "" {
		return
	}
	var probe any
	isNumber := json.Unmarshal([]byte(s), &probe) == nil && strings.Trim(s, "-+.eE0123456789") == "" &&
		s[0] != ' ' && s[len(s)-1] != ' '
	if !isNumber {
		if st != Invalid {
			t.Fatalf("Int(json.Number %q) = %v for non-number syntax", s, st)
		}
		return
	}
	if hugeExponent(s) {
		return // big.Rat would take too long; covered by the table tests
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("big.Rat cannot parse %q", s)
	}
	want := r.IsInt() && r.Num().IsInt64()
	if (st == Valid) != want || (want && n != r.Num().Int64()) {
		t.Fatalf("Int(json.Number %q) = %d, %v; exact value %s", s, n, st, r.RatString())
	}
}

// hugeExponent reports whether s has an exponent of more than three digits.
func hugeExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return false
	}
	return len(strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0")) > 3
}
