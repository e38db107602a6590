package param

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

type jsonCase struct {
	name string
	in   string
	want Params
	err  error
}

var jsonCases = []jsonCase{
	{name: "empty object", in: "{}", want: Params{}},
	{name: "whitespace around", in: " \n\t{\"a\":\"b\"}\r\n ", want: Params{"a": "b"}},
	{name: "scalars", in: `{"s":"x","t":true,"f":false,"n":null,"e":""}`,
		want: Params{"s": "x", "t": true, "f": false, "n": nil, "e": ""}},
	{name: "nested", in: `{"card":{"number":"4242424242424242","expiration_month":12}}`,
		want: Params{"card": Params{"number": "4242424242424242", "expiration_month": json.Number("12")}}},
	{name: "nested three", in: `{"metadata":{"plan":{"tier":{"x":"gold"}}}}`,
		want: Params{"metadata": Params{"plan": Params{"tier": Params{"x": "gold"}}}}},
	{name: "arrays", in: `{"a":[1,"x",{"b":null},[true]],"e":[]}`,
		want: Params{"a": []any{json.Number("1"), "x", Params{"b": nil}, []any{true}}, "e": []any{}}},
	{name: "big number exact", in: `{"number":4242424242424242}`, want: Params{"number": json.Number("4242424242424242")}},
	{name: "19 digit number", in: `{"n":6447032400000000001}`, want: Params{"n": json.Number("6447032400000000001")}},
	{name: "19 digit string", in: `{"n":"6447032400000000001"}`, want: Params{"n": "6447032400000000001"}},
	{name: "huge number", in: `{"n":123456789012345678901234567890}`,
		want: Params{"n": json.Number("123456789012345678901234567890")}},
	{name: "decimal kept literal", in: `{"m":12.0,"e":1.2e1,"x":-0.5E+3}`,
		want: Params{"m": json.Number("12.0"), "e": json.Number("1.2e1"), "x": json.Number("-0.5E+3")}},
	{name: "duplicate keys last wins", in: `{"a":1,"a":"two"}`, want: Params{"a": "two"}},
	{name: "unicode escapes", in: `{"n":"\u0e2a\n"}`, want: Params{"n": "ส\n"}},
	{name: "brackets in string do not nest", in: `{"a":"[[[[{{{{"}`, want: Params{"a": "[[[[{{{{"}},
	{name: "escaped quote in string", in: `{"a":"\"{[","b":{}}`, want: Params{"a": `"{[`, "b": Params{}}},
	{name: "bracket keys stay flat", in: `{"card[number]":"1"}`, want: Params{"card[number]": "1"}},
	{name: "max depth", in: strings.Repeat(`{"x":`, MaxDepth-1) + "{}" + strings.Repeat("}", MaxDepth-1),
		want: deepJSON(MaxDepth)},
	{name: "too deep", in: strings.Repeat(`{"x":`, MaxDepth) + "{}" + strings.Repeat("}", MaxDepth), err: ErrNotJSON},
	{name: "too deep arrays", in: `{"x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + "}", err: ErrNotJSON},
	{name: "very deep", in: `{"x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "}", err: ErrNotJSON},
	{name: "empty body", in: "", err: ErrNotJSON},
	{name: "only whitespace", in: "  \n", err: ErrNotJSON},
	{name: "top-level array", in: `[{"a":1}]`, err: ErrNotJSON},
	{name: "top-level string", in: `"a"`, err: ErrNotJSON},
	{name: "top-level number", in: `12`, err: ErrNotJSON},
	{name: "top-level null", in: `null`, err: ErrNotJSON},
	{name: "trailing garbage", in: `{"a":1}x`, err: ErrNotJSON},
	{name: "two objects", in: `{}{}`, err: ErrNotJSON},
	{name: "truncated", in: `{"a":`, err: ErrNotJSON},
	{name: "single quotes", in: `{'a':1}`, err: ErrNotJSON},
	{name: "trailing comma", in: `{"a":1,}`, err: ErrNotJSON},
	{name: "leading zero", in: `{"a":012}`, err: ErrNotJSON},
	{name: "form body", in: `card[number]=1`, err: ErrNotJSON},
	{name: "bom", in: "\ufeff{}", err: ErrNotJSON},
	{name: "invalid utf-8 kept", in: "{\"n\":\"a\xffb\",\"\xc3\":1}", want: Params{"n": "a\xffb", "\xc3": json.Number("1")}},
	{name: "escaped nul kept", in: `{"n":"a\u0000b"}`, want: Params{"n": "a\x00b"}},
	{name: "surrogate pair", in: `{"n":"\ud83d\ude00"}`, want: Params{"n": "😀"}},
	{name: "lone high surrogate is wtf-8", in: `{"n":"\ud800x"}`, want: Params{"n": "\xed\xa0\x80x"}},
	{name: "lone low surrogate is wtf-8", in: `{"n":"\udfff"}`, want: Params{"n": "\xed\xbf\xbf"}},
	{name: "high surrogate then escape", in: `{"n":"\ud800\u0041"}`, want: Params{"n": "\xed\xa0\x80A"}},
	{name: "two high surrogates", in: `{"n":"\ud800\ud800"}`, want: Params{"n": "\xed\xa0\x80\xed\xa0\x80"}},
	{name: "escapes", in: `{"n":"\"\\\/\b\f\n\r\t\u00e9\u0E2A"}`, want: Params{"n": "\"\\/\b\f\n\r\té\u0e2a"}},
	{name: "max nodes", in: `{"a":[` + strings.Repeat("0,", MaxNodes-3) + `0]}`, want: Params{"a": zeros(MaxNodes - 2)}},
	{name: "too many nodes", in: `{"a":[` + strings.Repeat("0,", MaxNodes-2) + `0]}`, err: ErrTooMany},
	{name: "too many keys", in: `{"a":{` + manyKeys(MaxNodes) + `}}`, err: ErrTooMany},
	{name: "max bytes", in: `{"a":"` + strings.Repeat("x", MaxBytes-8) + `"}`, want: Params{"a": strings.Repeat("x", MaxBytes-8)}},
	{name: "too many bytes", in: `{"a":"` + strings.Repeat("x", MaxBytes-7) + `"}`, err: ErrTooLarge},
}

// zeros is an array of n JSON zeros.
func zeros(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = json.Number("0")
	}
	return a
}

// manyKeys is n members "0":0,"1":0,… of a JSON object.
func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":0`, i)
	}
	return b.String()
}

// deepJSON builds {"x":{"x":…{}}} with the given depth.
func deepJSON(depth int) Params {
	p := Params{}
	for i := 1; i < depth; i++ {
		p = Params{"x": p}
	}
	return p
}

func TestParseJSON(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tc.in))
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseJSON error = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if got != nil {
					t.Errorf("ParseJSON = %#v with error, want nil", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseJSON\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseJSONErrorText(t *testing.T) {
	_, err := ParseJSON([]byte(`{"number":"4242424242424242",}`))
	if err == nil || err.Error() != "request body is not valid JSON" {
		t.Errorf("error = %v, want the fixed Omise text", err)
	}
}
