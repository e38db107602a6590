package param

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type formCase struct {
	name string
	in   string
	want Params
	err  error
}

var formCases = []formCase{
	{name: "empty body", in: "", want: Params{}},
	{name: "flat", in: "email=a@b.co&description=x", want: Params{"email": "a@b.co", "description": "x"}},
	{name: "one level", in: "card[number]=4242424242424242&card[name]=Somchai",
		want: Params{"card": Params{"number": "4242424242424242", "name": "Somchai"}}},
	{name: "two levels", in: "metadata[plan][tier]=gold",
		want: Params{"metadata": Params{"plan": Params{"tier": "gold"}}}},
	{name: "three levels", in: "a[b][c][d]=1&a[b][x]=2",
		want: Params{"a": Params{"b": Params{"c": Params{"d": "1"}, "x": "2"}}}},
	{name: "array", in: "a[]=x&a[]=y", want: Params{"a": []any{"x", "y"}}},
	{name: "nested array", in: "m[tags][]=x&m[tags][]=", want: Params{"m": Params{"tags": []any{"x", ""}}}},
	{name: "numeric index is an object key", in: "a[0]=x&a[1]=y", want: Params{"a": Params{"0": "x", "1": "y"}}},
	{name: "repeated scalar last wins", in: "a=1&a=2&a=3", want: Params{"a": "3"}},
	{name: "repeated nested last wins", in: "c[n]=1&c[n]=2", want: Params{"c": Params{"n": "2"}}},
	{name: "scalar then object", in: "card=x&card[number]=1", want: Params{"card": Params{"number": "1"}}},
	{name: "object then scalar", in: "card[number]=1&card=x", want: Params{"card": "x"}},
	{name: "object then scalar then object", in: "c[a]=1&c=x&c[b]=2", want: Params{"c": Params{"b": "2"}}},
	{name: "array then scalar", in: "a[]=1&a=2", want: Params{"a": "2"}},
	{name: "scalar then array", in: "a=2&a[]=1", want: Params{"a": []any{"1"}}},
	{name: "object then array", in: "a[b]=1&a[]=2", want: Params{"a": []any{"2"}}},
	{name: "array then object", in: "a[]=1&a[b]=2", want: Params{"a": Params{"b": "2"}}},
	{name: "nested scalar then deeper", in: "a[b]=1&a[b][c]=2", want: Params{"a": Params{"b": Params{"c": "2"}}}},
	{name: "unclosed bracket literal", in: "card[number=1", want: Params{"card[number": "1"}},
	{name: "reversed brackets literal", in: "card]x[=1", want: Params{"card]x[": "1"}},
	{name: "no name literal", in: "[a]=1", want: Params{"[a]": "1"}},
	{name: "trailing junk literal", in: "a[b]c=1", want: Params{"a[b]c": "1"}},
	{name: "bracket inside group literal", in: "a[b[c]]=1", want: Params{"a[b[c]]": "1"}},
	{name: "empty group not last literal", in: "a[][b]=1", want: Params{"a[][b]": "1"}},
	{name: "double append literal", in: "a[][]=1", want: Params{"a[][]": "1"}},
	{name: "close only literal", in: "a]=1", want: Params{"a]": "1"}},
	{name: "plus is space", in: "card[name]=Somchai+Prasert", want: Params{"card": Params{"name": "Somchai Prasert"}}},
	{name: "percent decoding", in: "a=%41%62%20%2B%26%3D", want: Params{"a": "Ab +&="}},
	{name: "encoded brackets", in: "card%5Bnumber%5D=1", want: Params{"card": Params{"number": "1"}}},
	{name: "utf8", in: "n=%E0%B8%AA", want: Params{"n": "ส"}},
	{name: "equals in value", in: "a=b=c", want: Params{"a": "b=c"}},
	{name: "semicolon is literal", in: "a=1;b=2", want: Params{"a": "1;b=2"}},
	{name: "double ampersand", in: "a=1&&b=2&", want: Params{"a": "1", "b": "2"}},
	{name: "only ampersands", in: "&&&", want: Params{}},
	{name: "key without equals", in: "a&b=1", want: Params{"a": "", "b": "1"}},
	{name: "empty value", in: "a=", want: Params{"a": ""}},
	{name: "empty key skipped", in: "=x&b=1", want: Params{"b": "1"}},
	{name: "space in key", in: "card[+name]=x", want: Params{"card": Params{" name": "x"}}},
	{name: "invalid escape in value", in: "a=%zz", err: ErrMalformed},
	{name: "truncated escape", in: "a=%4", err: ErrMalformed},
	{name: "invalid escape in key", in: "a%=1", err: ErrMalformed},
	{name: "invalid escape late", in: "a=1&b=2&c=%", err: ErrMalformed},
	{name: "max depth", in: "a" + strings.Repeat("[x]", MaxDepth-1) + "=1", want: deepParams(MaxDepth)},
	{name: "too deep", in: "a" + strings.Repeat("[x]", MaxDepth) + "=1", err: ErrMalformed},
	{name: "too deep by array", in: "a" + strings.Repeat("[x]", MaxDepth-1) + "[]=1", err: ErrMalformed},
	{name: "very deep", in: "a" + strings.Repeat("[x]", 2000) + "=1", err: ErrMalformed},
	{name: "invalid utf-8 kept", in: "n=%FF%00&%C3=1", want: Params{"n": "\xff\x00", "\xc3": "1"}},
	{name: "max nodes", in: strings.Repeat("a[]=x&", MaxNodes-2), want: Params{"a": xs(MaxNodes - 2)}},
	{name: "too many nodes", in: strings.Repeat("a[]=x&", MaxNodes-1), err: ErrTooMany},
	{name: "objects count", in: "a" + strings.Repeat("[x]", MaxDepth-1) + "=1&" + strings.Repeat("b=1&", MaxNodes-MaxDepth),
		err: ErrTooMany},
	{name: "replaced values count", in: strings.Repeat("a=1&", MaxNodes), err: ErrTooMany},
	{name: "max bytes", in: "a=" + strings.Repeat("x", MaxBytes-2), want: Params{"a": strings.Repeat("x", MaxBytes-2)}},
	{name: "too many bytes", in: "a=" + strings.Repeat("x", MaxBytes-1), err: ErrTooLarge},
	{name: "very deep but malformed literal", in: "a" + strings.Repeat("[x]", 40) + "[=1",
		want: Params{"a" + strings.Repeat("[x]", 40) + "[": "1"}},
}

// xs is an array of n "x" strings.
func xs(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = "x"
	}
	return a
}

// deepParams builds {"a":{"x":{"x":…"1"}}} with the given depth.
func deepParams(depth int) Params {
	var v any = "1"
	for i := 1; i < depth; i++ {
		v = Params{"x": v}
	}
	return Params{"a": v}
}

func TestParseForm(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseForm(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseForm error = %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if got != nil {
					t.Errorf("ParseForm = %#v with error, want nil", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseForm\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	got, err := ParseQuery("limit=10&order=reverse_chronological&from=2024-01-02T03%3A04%3A05.123Z")
	if err != nil {
		t.Fatal(err)
	}
	want := Params{"limit": "10", "order": "reverse_chronological", "from": "2024-01-02T03:04:05.123Z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseQuery\n got %#v\nwant %#v", got, want)
	}
	if _, err := ParseQuery("a=%"); err != ErrMalformed {
		t.Errorf("ParseQuery(bad) error = %v, want ErrMalformed", err)
	}
}

func TestParseFormErrorHidesInput(t *testing.T) {
	_, err := ParseForm("card[number]=4242424242424242&x=%G1")
	if err == nil || strings.Contains(err.Error(), "4242") || strings.Contains(err.Error(), "%G1") {
		t.Errorf("error %q must be a fixed sentinel", err)
	}
}
