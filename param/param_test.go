package param

import (
	"encoding/json"
	"reflect"
	"testing"
)

// kinds holds one value of every kind a tree can contain, keyed by a descriptive name.
// The key "nokey" is deliberately missing.
var kinds = Params{
	"string":      "abc",
	"digits":      "12",
	"zeros":       "007",
	"pan":         "4242424242424242",
	"spaced":      " 12",
	"empty":       "",
	"null":        nil,
	"int":         json.Number("12"),
	"integral":    json.Number("12.0"),
	"exponent":    json.Number("1.2e1"),
	"negative":    json.Number("-3"),
	"fraction":    json.Number("1.5"),
	"huge":        json.Number("123456789012345678901234567890"),
	"bignum":      json.Number("4242424242424242"),
	"true":        true,
	"false":       false,
	"object":      Params{"a": "b"},
	"emptyobject": Params{},
	"array":       []any{"x"},
	"emptyarray":  []any{},
}

func TestString(t *testing.T) {
	tests := []struct {
		key    string
		want   string
		status Status
	}{
		{"nokey", "", Absent},
		{"null", "", Absent},
		{"empty", "", Absent},
		{"string", "abc", Valid},
		{"spaced", " 12", Valid},
		{"pan", "4242424242424242", Valid},
		{"int", "12", Valid},
		{"integral", "12.0", Valid},
		{"exponent", "1.2e1", Valid},
		{"negative", "-3", Valid},
		{"fraction", "1.5", Valid},
		{"huge", "123456789012345678901234567890", Valid},
		{"bignum", "4242424242424242", Valid},
		{"true", "", Invalid},
		{"false", "", Invalid},
		{"object", "", Invalid},
		{"emptyobject", "", Invalid},
		{"array", "", Invalid},
		{"emptyarray", "", Invalid},
	}
	for _, tc := range tests {
		got, st := kinds.String(tc.key)
		if got != tc.want || st != tc.status {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tc.key, got, st, tc.want, tc.status)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		key    string
		want   int64
		status Status
	}{
		{"nokey", 0, Absent},
		{"null", 0, Absent},
		{"empty", 0, Absent},
		{"digits", 12, Valid},
		{"zeros", 7, Valid},
		{"pan", 4242424242424242, Valid},
		{"string", 0, Invalid},
		{"spaced", 0, Invalid},
		{"int", 12, Valid},
		{"integral", 12, Valid},
		{"exponent", 12, Valid},
		{"negative", -3, Valid},
		{"bignum", 4242424242424242, Valid},
		{"fraction", 0, Invalid},
		{"huge", 0, Invalid},
		{"true", 0, Invalid},
		{"false", 0, Invalid},
		{"object", 0, Invalid},
		{"emptyobject", 0, Invalid},
		{"array", 0, Invalid},
		{"emptyarray", 0, Invalid},
	}
	for _, tc := range tests {
		got, st := kinds.Int(tc.key)
		if got != tc.want || st != tc.status {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tc.key, got, st, tc.want, tc.status)
		}
	}
}

func TestIntStrings(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		status Status
	}{
		{"0", 0, Valid},
		{"000", 0, Valid},
		{"9223372036854775807", 9223372036854775807, Valid},
		{"09223372036854775807", 9223372036854775807, Valid},
		{"9223372036854775808", 0, Invalid},
		{"99999999999999999999999", 0, Invalid},
		{"-1", 0, Invalid},
		{"+1", 0, Invalid},
		{"12 ", 0, Invalid},
		{"1.0", 0, Invalid},
		{"1e1", 0, Invalid},
		{"1_000", 0, Invalid},
		{"0x10", 0, Invalid},
		{"١٢", 0, Invalid},
		{"１２", 0, Invalid},
	}
	for _, tc := range tests {
		got, st := Params{"k": tc.in}.Int("k")
		if got != tc.want || st != tc.status {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", tc.in, got, st, tc.want, tc.status)
		}
	}
}

func TestIntNumbers(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		status Status
	}{
		{"0", 0, Valid},
		{"-0", 0, Valid},
		{"0.000", 0, Valid},
		{"0e999999999999999999999", 0, Valid},
		{"12", 12, Valid},
		{"12.0", 12, Valid},
		{"12.000000000000000000000000000", 12, Valid},
		{"1.2e1", 12, Valid},
		{"1.2E+1", 12, Valid},
		{"120e-1", 12, Valid},
		{"1200000e-5", 12, Valid},
		{"-3", -3, Valid},
		{"-3.0e0", -3, Valid},
		{"1e18", 1000000000000000000, Valid},
		{"9223372036854775807", 9223372036854775807, Valid},
		{"-9223372036854775808", -9223372036854775808, Valid},
		{"9.223372036854775807e18", 9223372036854775807, Valid},
		{"9223372036854775808", 0, Invalid},
		{"-9223372036854775809", 0, Invalid},
		{"1e19", 0, Invalid},
		{"1e999999999999999999999", 0, Invalid},
		{"1e-999999999999999999999", 0, Invalid},
		{"1.5", 0, Invalid},
		{"12.5e0", 0, Invalid},
		{"125e-1", 0, Invalid},
		{"1e-1", 0, Invalid},
		{"9007199254740993", 9007199254740993, Valid}, // not representable as float64
		{"9007199254740993.0", 9007199254740993, Valid},
		{"4242424242424242.5", 0, Invalid},
		// Not JSON number syntax (only reachable through hand-built trees).
		{"abc", 0, Invalid},
		{"+1", 0, Invalid},
		{"012", 0, Invalid},
		{"1.", 0, Invalid},
		{".5", 0, Invalid},
		{"1e", 0, Invalid},
		{"1e+", 0, Invalid},
		{"-", 0, Invalid},
		{"1 ", 0, Invalid},
	}
	for _, tc := range tests {
		got, st := Params{"k": json.Number(tc.in)}.Int("k")
		if got != tc.want || st != tc.status {
			t.Errorf("Int(json.Number %q) = %d, %v; want %d, %v", tc.in, got, st, tc.want, tc.status)
		}
	}
}

func TestObject(t *testing.T) {
	for key, v := range kinds {
		got, st := kinds.Object(key)
		want, wantSt := Params(nil), Invalid
		switch key {
		case "null", "empty":
			wantSt = Absent
		case "object", "emptyobject":
			want, wantSt = v.(Params), Valid
		}
		if st != wantSt || !reflect.DeepEqual(got, want) {
			t.Errorf("Object(%q) = %#v, %v; want %#v, %v", key, got, st, want, wantSt)
		}
	}
	if got, st := kinds.Object("nokey"); got != nil || st != Absent {
		t.Errorf("Object(nokey) = %#v, %v; want nil, absent", got, st)
	}
}

func TestHasAndRaw(t *testing.T) {
	for key, v := range kinds {
		absent := key == "null" || key == "empty"
		if got := kinds.Has(key); got == absent {
			t.Errorf("Has(%q) = %v, want %v", key, got, !absent)
		}
		raw, ok := kinds.Raw(key)
		if ok == absent || (ok && !reflect.DeepEqual(raw, v)) || (!ok && raw != nil) {
			t.Errorf("Raw(%q) = %#v, %v", key, raw, ok)
		}
	}
	if kinds.Has("nokey") {
		t.Error("Has(nokey) = true")
	}
	if raw, ok := kinds.Raw("nokey"); ok || raw != nil {
		t.Errorf("Raw(nokey) = %#v, %v", raw, ok)
	}
}

func TestNilParams(t *testing.T) {
	var p Params
	if _, st := p.String("a"); st != Absent {
		t.Errorf("nil String status = %v", st)
	}
	if _, st := p.Int("a"); st != Absent {
		t.Errorf("nil Int status = %v", st)
	}
	if _, st := p.Object("a"); st != Absent || p.Has("a") {
		t.Errorf("nil Object status = %v", st)
	}
}

func TestNestedAccess(t *testing.T) {
	p, err := ParseJSON([]byte(`{"card":{"number":4242424242424242,"expiration_month":"07"}}`))
	if err != nil {
		t.Fatal(err)
	}
	card, st := p.Object("card")
	if st != Valid {
		t.Fatalf("Object(card) status = %v", st)
	}
	if n, st := card.String("number"); n != "4242424242424242" || st != Valid {
		t.Errorf("number = %q, %v", n, st)
	}
	if m, st := card.Int("expiration_month"); m != 7 || st != Valid {
		t.Errorf("expiration_month = %d, %v", m, st)
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name        string
		query, body Params
		want        Params
	}{
		{"both nil", nil, nil, Params{}},
		{"body only", nil, Params{"limit": "5"}, Params{"limit": "5"}},
		{"query only", Params{"limit": "5"}, nil, Params{"limit": "5"}},
		{"query wins", Params{"limit": "5"}, Params{"limit": json.Number("7"), "offset": "1"},
			Params{"limit": "5", "offset": "1"}},
		{"empty query value still wins", Params{"limit": ""}, Params{"limit": "7"}, Params{"limit": ""}},
		{"objects replaced not merged", Params{"m": Params{"a": "1"}}, Params{"m": Params{"b": "2"}},
			Params{"m": Params{"a": "1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Merge(tc.query, tc.body)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Merge\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestMergeLeavesInputs(t *testing.T) {
	q, b := Params{"a": "q"}, Params{"a": "b", "c": "b"}
	out := Merge(q, b)
	out["d"] = "x"
	if !reflect.DeepEqual(q, Params{"a": "q"}) || !reflect.DeepEqual(b, Params{"a": "b", "c": "b"}) {
		t.Errorf("inputs changed: q=%#v b=%#v", q, b)
	}
}

func TestToJSONValue(t *testing.T) {
	p, err := ParseJSON([]byte(`{"m":{"answer":42,"f":1.50,"ok":true,"n":null,"l":[{"x":"y"}],"s":"t"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := ToJSONValue(p["m"])
	want := map[string]any{"answer": json.Number("42"), "f": json.Number("1.50"), "ok": true, "n": nil,
		"l": []any{map[string]any{"x": "y"}}, "s": "t"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ToJSONValue\n got %#v\nwant %#v", got, want)
	}
	out, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if wantJSON := `{"answer":42,"f":1.50,"l":[{"x":"y"}],"n":null,"ok":true,"s":"t"}`; string(out) != wantJSON {
		t.Errorf("marshal = %s, want %s", out, wantJSON)
	}
	got.(map[string]any)["l"].([]any)[0].(map[string]any)["x"] = "changed"
	if p["m"].(Params)["l"].([]any)[0].(Params)["x"] != "y" {
		t.Error("ToJSONValue did not copy deeply")
	}
}

func TestToJSONValueForm(t *testing.T) {
	p, err := ParseForm("metadata[plan][tier]=gold&metadata[n]=42&metadata[tags][]=a")
	if err != nil {
		t.Fatal(err)
	}
	got := ToJSONValue(p["metadata"])
	want := map[string]any{"plan": map[string]any{"tier": "gold"}, "n": "42", "tags": []any{"a"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ToJSONValue\n got %#v\nwant %#v", got, want)
	}
	for _, scalar := range []any{"s", json.Number("1"), true, nil} {
		if got := ToJSONValue(scalar); got != scalar {
			t.Errorf("ToJSONValue(%#v) = %#v", scalar, got)
		}
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{Absent: "absent", Valid: "valid", Invalid: "invalid", 9: "unknown"} {
		if got := st.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", st, got, want)
		}
	}
}
