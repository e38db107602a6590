package param

import (
	"encoding/json"
	"errors"
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
