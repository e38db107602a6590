package query

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

// Condition builders for the want columns.
func intC(name string, op Op, n int64) Cond {
	return Cond{Field: Field{name, Int}, Op: op, Int: n}
}

func strC(name string, op Op, s string) Cond {
	return Cond{Field: Field{name, String}, Op: op, Str: s}
}

func nullC(name string, t Type, op Op) Cond {
	return Cond{Field: Field{name, t}, Op: op}
}

// whereTest is one case of the where language: the decoded where values
// (after step 1), the schema, and either the conditions or the where detail.
type whereTest struct {
	name    string
	schema  Schema
	where   []string
	want    []Cond
	wantErr string
}

var whereTests = []whereTest{
	// Every operator on an Int field.
	{"int equals", CreditCard, []string{"customer_id:EQUALS:42"}, []Cond{intC("customer_id", Equals, 42)}, ""},
	{"int notequals", CreditCard, []string{"customer_id:NOTEQUALS:42"}, []Cond{intC("customer_id", NotEquals, 42)}, ""},
	{"int gt", CreditCard, []string{"creditcard_id:GT:17"}, []Cond{intC("creditcard_id", GT, 17)}, ""},
	{"int lt", CreditCard, []string{"creditcard_id:LT:17"}, []Cond{intC("creditcard_id", LT, 17)}, ""},
	{"int gte", CreditCard, []string{"creditcard_id:GTE:17"}, []Cond{intC("creditcard_id", GTE, 17)}, ""},
	{"int lte", CreditCard, []string{"creditcard_id:LTE:17"}, []Cond{intC("creditcard_id", LTE, 17)}, ""},
	{"int is null", CreditCard, []string{"customer_id:IS:NULL"}, []Cond{nullC("customer_id", Int, IsNull)}, ""},
	{"int isnot null", CreditCard, []string{"customer_id:ISNOT:NULL"}, []Cond{nullC("customer_id", Int, IsNotNull)}, ""},
	{"int contains", CreditCard, []string{"customer_id:CONTAINS:4"}, nil, "condition 1: operator not allowed for field"},
	// Every operator on a String field.
	{"str equals", CreditCard, []string{"external_key:EQUALS:crm-1"}, []Cond{strC("external_key", Equals, "crm-1")}, ""},
	{"str notequals", CreditCard, []string{"token:NOTEQUALS:abc"}, []Cond{strC("token", NotEquals, "abc")}, ""},
	{"str gt", CreditCard, []string{"token:GT:m"}, []Cond{strC("token", GT, "m")}, ""},
	{"str lt", CreditCard, []string{"token:LT:m"}, []Cond{strC("token", LT, "m")}, ""},
	{"str gte", CreditCard, []string{"token:GTE:m"}, []Cond{strC("token", GTE, "m")}, ""},
	{"str lte", CreditCard, []string{"token:LTE:m"}, []Cond{strC("token", LTE, "m")}, ""},
	{"str contains", Customer, []string{"company:CONTAINS:acme"}, []Cond{strC("company", Contains, "acme")}, ""},
	{"str is null", CreditCard, []string{"external_key:IS:NULL"}, []Cond{nullC("external_key", String, IsNull)}, ""},
	{"str isnot null", Customer, []string{"superuser_email:ISNOT:NULL"}, []Cond{nullC("superuser_email", String, IsNotNull)}, ""},
	// Operators and NULL are ASCII case-insensitive.
	{"lower equals", CreditCard, []string{"customer_id:equals:42"}, []Cond{intC("customer_id", Equals, 42)}, ""},
	{"mixed contains", Customer, []string{"company:CoNtAiNs:x"}, []Cond{strC("company", Contains, "x")}, ""},
	{"lower is null", CreditCard, []string{"token:iS:nUlL"}, []Cond{nullC("token", String, IsNull)}, ""},
	{"lower isnot null", CreditCard, []string{"external_key:isnot:null"}, []Cond{nullC("external_key", String, IsNotNull)}, ""},
	{"unicode fold long s", CreditCard, []string{"external_key:CONTAINſ:x"}, nil, "condition 1: unknown operator"},
	{"unicode fold dotless i", CreditCard, []string{"external_key:ıs:NULL"}, nil, "condition 1: unknown operator"},
	{"unicode fold in null", CreditCard, []string{"external_key:IS:nuſſ"}, nil, "condition 1: unknown operator"},
	// IS / ISNOT need NULL.
	{"is foo", CreditCard, []string{"external_key:IS:foo"}, nil, "condition 1: unknown operator"},
	{"isnot empty", CreditCard, []string{"customer_id:ISNOT:"}, nil, "condition 1: unknown operator"},
	{"is zero", CreditCard, []string{"customer_id:IS:0"}, nil, "condition 1: unknown operator"},
	{"is null space", CreditCard, []string{"customer_id:IS:NULL "}, nil, "condition 1: unknown operator"},
	{"is escaped null", CreditCard, []string{`customer_id:IS:N\ULL`}, []Cond{nullC("customer_id", Int, IsNull)}, ""},
	{"like", CreditCard, []string{"customer_id:LIKE:42"}, nil, "condition 1: unknown operator"},
	{"operator with space", CreditCard, []string{"customer_id: EQUALS:42"}, nil, "condition 1: unknown operator"},
	// Escapes.
	{"escaped colon", CreditCard, []string{`external_key:EQUALS:ext\:1`}, []Cond{strC("external_key", Equals, "ext:1")}, ""},
	{"escaped comma", CreditCard, []string{`external_key:EQUALS:a\,b`}, []Cond{strC("external_key", Equals, "a,b")}, ""},
	{"escaped backslash", CreditCard, []string{`external_key:EQUALS:a\\b`}, []Cond{strC("external_key", Equals, `a\b`)}, ""},
	{"escaped other", CreditCard, []string{`external_key:EQUALS:\x\y\%`}, []Cond{strC("external_key", Equals, "xy%")}, ""},
	{"escaped backslash at end", CreditCard, []string{`external_key:EQUALS:a\\`}, []Cond{strC("external_key", Equals, `a\`)}, ""},
	{"escaped backslash then comma", CreditCard, []string{`external_key:EQUALS:a\\,token:EQUALS:t`},
		[]Cond{strC("external_key", Equals, `a\`), strC("token", Equals, "t")}, ""},
	{"escaped field and operator", CreditCard, []string{`external\_key:EQ\UALS:x`}, []Cond{strC("external_key", Equals, "x")}, ""},
	{"escaped colon in field", CreditCard, []string{`external_key\:EQUALS:x:y`}, nil, "condition 1: field is not filterable"},
	{"escaped unicode", CreditCard, []string{`external_key:EQUALS:\é`}, []Cond{strC("external_key", Equals, "é")}, ""},
	// Malformed conditions.
	{"trailing backslash", CreditCard, []string{`external_key:EQUALS:abc\`}, nil, "condition 1: malformed"},
	{"only backslash value", CreditCard, []string{`external_key:EQUALS:\`}, nil, "condition 1: malformed"},
	{"trailing backslash second", CreditCard, []string{`token:EQUALS:t,external_key:EQUALS:x\`}, nil, "condition 2: malformed"},
	{"trailing comma", CreditCard, []string{"customer_id:EQUALS:1,"}, nil, "condition 2: malformed"},
	{"leading comma", CreditCard, []string{",customer_id:EQUALS:1"}, nil, "condition 1: malformed"},
	{"only commas", CreditCard, []string{",,"}, nil, "condition 1: malformed"},
	{"one colon", CreditCard, []string{"customer_id:EQUALS"}, nil, "condition 1: malformed"},
	{"no colon", CreditCard, []string{"customer_id"}, nil, "condition 1: malformed"},
	{"escaped colons only", CreditCard, []string{`customer_id\:EQUALS\:1`}, nil, "condition 1: malformed"},
	{"empty field", CreditCard, []string{":EQUALS:1"}, nil, "condition 1: malformed"},
	{"empty operator", CreditCard, []string{"customer_id::1"}, nil, "condition 1: malformed"},
	{"malformed beats not filterable", CreditCard, []string{`number:EQUALS:4\`}, nil, "condition 1: malformed"},
	// Extra colons belong to the value; empty values.
	{"extra colons", CreditCard, []string{"external_key:EQUALS:a:b"}, []Cond{strC("external_key", Equals, "a:b")}, ""},
	{"value only colons", CreditCard, []string{"external_key:EQUALS::"}, []Cond{strC("external_key", Equals, ":")}, ""},
	{"empty string value", CreditCard, []string{"external_key:EQUALS:"}, []Cond{strC("external_key", Equals, "")}, ""},
	{"empty contains", Customer, []string{"company:CONTAINS:"}, []Cond{strC("company", Contains, "")}, ""},
	{"sql chars kept", Customer, []string{"company:CONTAINS:100%_'--"}, []Cond{strC("company", Contains, "100%_'--")}, ""},
	{"unicode value", Customer, []string{"company:CONTAINS:Café ☕"}, []Cond{strC("company", Contains, "Café ☕")}, ""},
	{"invalid utf8 value", CreditCard, []string{"external_key:EQUALS:\xff"}, nil, "condition 1: invalid value"},
	{"nul in value", CreditCard, []string{"external_key:EQUALS:a\x00b"}, nil, "condition 1: invalid value"},
	// Int values.
	{"negative", CreditCard, []string{"customer_id:GT:-5"}, []Cond{intC("customer_id", GT, -5)}, ""},
	{"minus zero", CreditCard, []string{"customer_id:EQUALS:-0"}, []Cond{intC("customer_id", Equals, 0)}, ""},
	{"leading zeros", CreditCard, []string{"customer_id:EQUALS:007"}, []Cond{intC("customer_id", Equals, 7)}, ""},
	{"18 digits", CreditCard, []string{"customer_id:LT:999999999999999999"}, []Cond{intC("customer_id", LT, 999999999999999999)}, ""},
	{"-18 digits", CreditCard, []string{"customer_id:GT:-999999999999999999"}, []Cond{intC("customer_id", GT, -999999999999999999)}, ""},
	{"19 digits", CreditCard, []string{"customer_id:EQUALS:1000000000000000000"}, nil, "condition 1: invalid value"},
	{"int empty", CreditCard, []string{"customer_id:EQUALS:"}, nil, "condition 1: invalid value"},
	{"int injection", CreditCard, []string{"customer_id:EQUALS:1 OR 1=1"}, nil, "condition 1: invalid value"},
	{"int plus", CreditCard, []string{"customer_id:EQUALS:+5"}, nil, "condition 1: invalid value"},
	{"int double minus", CreditCard, []string{"customer_id:EQUALS:--5"}, nil, "condition 1: invalid value"},
	{"int minus only", CreditCard, []string{"customer_id:EQUALS:-"}, nil, "condition 1: invalid value"},
	{"int decimal", CreditCard, []string{"customer_id:EQUALS:1.5"}, nil, "condition 1: invalid value"},
	{"int space", CreditCard, []string{"customer_id:EQUALS: 1"}, nil, "condition 1: invalid value"},
	{"int hex", CreditCard, []string{"customer_id:EQUALS:0x10"}, nil, "condition 1: invalid value"},
	{"int arabic digit", CreditCard, []string{"customer_id:EQUALS:٣"}, nil, "condition 1: invalid value"},
	// Field whitelist (exact names).
	{"number", CreditCard, []string{"number:EQUALS:4111111111111111"}, nil, "condition 1: field is not filterable"},
	{"cvv", CreditCard, []string{"cvv:EQUALS:123"}, nil, "condition 1: field is not filterable"},
	{"mask_number", CreditCard, []string{"mask_number:EQUALS:x1111"}, nil, "condition 1: field is not filterable"},
	{"expdate", CreditCard, []string{"expdate:EQUALS:2030-05-01"}, nil, "condition 1: field is not filterable"},
	{"field case", CreditCard, []string{"Customer_id:EQUALS:1"}, nil, "condition 1: field is not filterable"},
	{"field space", CreditCard, []string{"customer_id :EQUALS:1"}, nil, "condition 1: field is not filterable"},
	{"customer field on card", CreditCard, []string{"company:EQUALS:x"}, nil, "condition 1: field is not filterable"},
	{"card field on customer", Customer, []string{"creditcard_id:EQUALS:1"}, nil, "condition 1: field is not filterable"},
	// Precedence inside one condition.
	{"field beats operator", CreditCard, []string{"number:LIKE:x"}, nil, "condition 1: field is not filterable"},
	{"operator beats value", CreditCard, []string{"customer_id:LIKE:abc"}, nil, "condition 1: unknown operator"},
	{"not allowed beats value", CreditCard, []string{"customer_id:CONTAINS:abc"}, nil, "condition 1: operator not allowed for field"},
	{"invalid value", CreditCard, []string{"customer_id:EQUALS:abc"}, nil, "condition 1: invalid value"},
	// Several where values.
	{"two params", CreditCard, []string{"customer_id:EQUALS:42", "external_key:EQUALS:x"},
		[]Cond{intC("customer_id", Equals, 42), strC("external_key", Equals, "x")}, ""},
	{"numbering across params", CreditCard, []string{"customer_id:EQUALS:1,token:EQUALS:t", "customer_id:LIKE:1"}, nil, "condition 3: unknown operator"},
	{"empty param skipped", CreditCard, []string{"customer_id:EQUALS:1", "", "bad"}, nil, "condition 2: malformed"},
	{"empty params only", CreditCard, []string{"", ""}, nil, ""},
	{"empty then condition", CreditCard, []string{"", "token:EQUALS:t"}, []Cond{strC("token", Equals, "t")}, ""},
	{"first problem wins", CreditCard, []string{"nope:EQUALS:1,customer_id:LIKE:1"}, nil, "condition 1: field is not filterable"},
	{"absent", CreditCard, nil, nil, ""},
}

func TestWhere(t *testing.T) {
	for _, tt := range whereTests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"where": tt.where}
			q, err := Parse(v, tt.schema)
			checkWhere(t, "Parse", q.Where, err, tt)
			conds, err := ParseCount(v, tt.schema)
			checkWhere(t, "ParseCount", conds, err, tt)
		})
	}
}

// checkWhere compares one parse result with the case's want columns.
func checkWhere(t *testing.T, fn string, got []Cond, err error, tt whereTest) {
	t.Helper()
	if tt.wantErr == "" {
		if err != nil {
			t.Fatalf("%s(%q) error %v, want nil", fn, tt.where, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s(%q).Where\n got %#v\nwant %#v", fn, tt.where, got, tt.want)
		}
		return
	}
	want := map[string]string{"where": tt.wantErr}
	var qe *Error
	if !errors.As(err, &qe) || !reflect.DeepEqual(qe.Details, want) {
		t.Errorf("%s(%q) error %#v, want details %v", fn, tt.where, err, want)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		sep  byte
		n    int
		want []string
	}{
		{"", ',', -1, []string{""}},
		{"a,b", ',', -1, []string{"a", "b"}},
		{`a\,b,c`, ',', -1, []string{`a\,b`, "c"}},
		{`a\\,b`, ',', -1, []string{`a\\`, "b"}},
		{`a,`, ',', -1, []string{"a", ""}},
		{`a\`, ',', -1, []string{`a\`}},
		{"f:o:v:w", ':', 3, []string{"f", "o", "v:w"}},
		{`f\:o:v`, ':', 3, []string{`f\:o`, "v"}},
		{"f", ':', 3, []string{"f"}},
	}
	for _, tt := range tests {
		if got := split(tt.in, tt.sep, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("split(%q, %q, %d) = %q, want %q", tt.in, tt.sep, tt.n, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"plain", "plain", true},
		{`\:\,\\\x`, `:,\x`, true},
		{`a\`, "", false},
		{`a\\\`, "", false},
		{`\\`, `\`, true},
	}
	for _, tt := range tests {
		got, ok := unescape(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("unescape(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEscape(t *testing.T) {
	if got, want := Escape(`a:b,c\d`), `a\:b\,c\\d`; got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
	v := url.Values{"where": {"external_key:EQUALS:" + Escape(`x:\,y`)}}
	conds, err := ParseCount(v, CreditCard)
	if err != nil || len(conds) != 1 || conds[0].Str != `x:\,y` {
		t.Errorf("escaped value round trip: %#v, %v", conds, err)
	}
}

func TestOpString(t *testing.T) {
	want := []string{"Op(0)", "EQUALS", "NOTEQUALS", "GT", "LT", "GTE", "LTE", "CONTAINS", "IS", "ISNOT", "Op(10)"}
	for i, w := range want {
		if got := Op(i).String(); got != w {
			t.Errorf("Op(%d).String() = %q, want %q", i, got, w)
		}
	}
	if Int.String() != "int" || String.String() != "string" || Type(0).String() != "Type(0)" {
		t.Errorf("Type.String: %q %q %q", Int, String, Type(0))
	}
}

func TestCondValue(t *testing.T) {
	tests := []struct {
		c    Cond
		want any
	}{
		{intC("customer_id", Equals, 42), int64(42)},
		{intC("customer_id", Equals, 0), int64(0)},
		{strC("token", Contains, ""), ""},
		{strC("token", LT, "m"), "m"},
		{nullC("token", String, IsNull), nil},
		{nullC("customer_id", Int, IsNotNull), nil},
	}
	for _, tt := range tests {
		if got := tt.c.Value(); got != tt.want {
			t.Errorf("%v.Value() = %#v, want %#v", tt.c, got, tt.want)
		}
	}
}

func TestSchemaIDFieldPanics(t *testing.T) {
	bad := []Schema{
		{Fields: CreditCard.Fields, ID: "nope"},
		{Fields: CreditCard.Fields, ID: "token"},
		{},
	}
	for _, s := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Parse with schema id %q did not panic", s.ID)
				}
			}()
			_, _ = Parse(url.Values{"order": {"nope"}}, s)
		}()
	}
	if f := Customer.IDField(); f != (Field{"customer_id", Int}) {
		t.Errorf("Customer.IDField() = %v", f)
	}
	if f := CreditCard.IDField(); f != (Field{"creditcard_id", Int}) {
		t.Errorf("CreditCard.IDField() = %v", f)
	}
}
