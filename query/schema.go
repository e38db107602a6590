package query

import "fmt"

// Type is the kind of value a filterable field holds.
type Type uint8

// The field types. The zero Type is invalid.
const (
	Int    Type = iota + 1 // a signed 64-bit integer; values match -?[0-9]{1,18}
	String                 // text; any value, compared as bytes
)

// String returns "int" or "string".
func (t Type) String() string {
	switch t {
	case Int:
		return "int"
	case String:
		return "string"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Field is one filterable and sortable field of a resource, named as on the
// wire (which is also the name renderers map to a column).
type Field struct {
	Name string
	Type Type
}

// Schema is a resource's whitelist: the fields that may appear in where and
// order (filterable = sortable), and ID, the name of the primary id field.
// ID must name an Int field listed in Fields; it is the default order and the
// tie-breaker appended to every order.
type Schema struct {
	Fields []Field
	ID     string
}

// CreditCard is the schema of /api/v3/creditcard. Card numbers, CVV, masks
// and expiry are deliberately absent: there is no filter on them.
var CreditCard = Schema{
	Fields: []Field{
		{"creditcard_id", Int},
		{"customer_id", Int},
		{"external_key", String},
		{"token", String},
	},
	ID: "creditcard_id",
}

// Customer is the schema of /api/v3/customer.
var Customer = Schema{
	Fields: []Field{
		{"customer_id", Int},
		{"external_key", String},
		{"token", String},
		{"company", String},
		{"superuser_email", String},
	},
	ID: "customer_id",
}

// Lookup returns the field called name; names match exactly (case-sensitive).
func (s Schema) Lookup(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IDField returns the id field. It panics if s.ID does not name an Int field
// of s.Fields: that is a programming error, not a client error.
func (s Schema) IDField() Field {
	f, ok := s.Lookup(s.ID)
	if !ok || f.Type != Int {
		panic("query: schema id " + s.ID + " is not an Int field of the schema")
	}
	return f
}
