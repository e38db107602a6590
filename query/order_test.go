package query

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

// Order key builders for the want columns.
func asc(name string, t Type) OrderKey  { return OrderKey{Field: Field{name, t}} }
func desc(name string, t Type) OrderKey { return OrderKey{Field: Field{name, t}, Desc: true} }

var orderTests = []struct {
	name    string
	schema  Schema
	order   []string
	want    []OrderKey
	wantErr string
}{
	{"absent card", CreditCard, nil, []OrderKey{asc("creditcard_id", Int)}, ""},
	{"absent customer", Customer, nil, []OrderKey{asc("customer_id", Int)}, ""},
	{"empty", CreditCard, []string{""}, []OrderKey{asc("creditcard_id", Int)}, ""},
	{"id desc", CreditCard, []string{"creditcard_id:DESC"}, []OrderKey{desc("creditcard_id", Int)}, ""},
	{"id lower desc", CreditCard, []string{"creditcard_id:desc"}, []OrderKey{desc("creditcard_id", Int)}, ""},
	{"id mixed asc", CreditCard, []string{"creditcard_id:Asc"}, []OrderKey{asc("creditcard_id", Int)}, ""},
	{"default asc", CreditCard, []string{"creditcard_id"}, []OrderKey{asc("creditcard_id", Int)}, ""},
	{"tie breaker", CreditCard, []string{"customer_id:DESC"},
		[]OrderKey{desc("customer_id", Int), asc("creditcard_id", Int)}, ""},
	{"two keys", CreditCard, []string{"customer_id,external_key:DESC"},
		[]OrderKey{asc("customer_id", Int), desc("external_key", String), asc("creditcard_id", Int)}, ""},
	{"duplicate dropped", CreditCard, []string{"customer_id:DESC,customer_id:ASC"},
		[]OrderKey{desc("customer_id", Int), asc("creditcard_id", Int)}, ""},
	{"id not last", CreditCard, []string{"creditcard_id:DESC,customer_id"},
		[]OrderKey{desc("creditcard_id", Int), asc("customer_id", Int)}, ""},
	{"id duplicate", CreditCard, []string{"token,creditcard_id:DESC,creditcard_id"},
		[]OrderKey{asc("token", String), desc("creditcard_id", Int)}, ""},
	{"customer string", Customer, []string{"company:DESC"},
		[]OrderKey{desc("company", String), asc("customer_id", Int)}, ""},
	{"repeated param first wins", CreditCard, []string{"customer_id:DESC", "number"},
		[]OrderKey{desc("customer_id", Int), asc("creditcard_id", Int)}, ""},
	{"repeated param first empty", CreditCard, []string{"", "number"}, []OrderKey{asc("creditcard_id", Int)}, ""},
	{"number", CreditCard, []string{"number"}, nil, "key 1: field is not sortable"},
	{"expdate desc", CreditCard, []string{"expdate:DESC"}, nil, "key 1: field is not sortable"},
	{"field case", CreditCard, []string{"Customer_id"}, nil, "key 1: field is not sortable"},
	{"field space", CreditCard, []string{" customer_id"}, nil, "key 1: field is not sortable"},
	{"no escapes", CreditCard, []string{`customer\_id`}, nil, "key 1: field is not sortable"},
	{"customer field on card", CreditCard, []string{"company"}, nil, "key 1: field is not sortable"},
	{"bad direction", CreditCard, []string{"customer_id:UP"}, nil, "key 1: invalid direction"},
	{"direction space", CreditCard, []string{"customer_id: DESC"}, nil, "key 1: invalid direction"},
	{"direction unicode fold", CreditCard, []string{"customer_id:DEſC"}, nil, "key 1: invalid direction"},
	{"empty direction", CreditCard, []string{"customer_id:"}, nil, "key 1: malformed"},
	{"empty field", CreditCard, []string{":ASC"}, nil, "key 1: malformed"},
	{"two colons", CreditCard, []string{"customer_id:ASC:x"}, nil, "key 1: malformed"},
	{"trailing comma", CreditCard, []string{"customer_id,"}, nil, "key 2: malformed"},
	{"leading comma", CreditCard, []string{",customer_id"}, nil, "key 1: malformed"},
	{"second key bad", CreditCard, []string{"customer_id,number:DESC"}, nil, "key 2: field is not sortable"},
	{"field beats direction", CreditCard, []string{"number:UP"}, nil, "key 1: field is not sortable"},
	{"malformed beats field", CreditCard, []string{"number:ASC:x"}, nil, "key 1: malformed"},
	{"error in later duplicate", CreditCard, []string{"customer_id,customer_id:UP"}, nil, "key 2: invalid direction"},
}

func TestOrder(t *testing.T) {
	for _, tt := range orderTests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(url.Values{"order": tt.order}, tt.schema)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse(order=%q) error %v", tt.order, err)
				}
				if !reflect.DeepEqual(q.Order, tt.want) {
					t.Errorf("Parse(order=%q).Order\n got %v\nwant %v", tt.order, q.Order, tt.want)
				}
				return
			}
			want := map[string]string{"order": tt.wantErr}
			var qe *Error
			if !errors.As(err, &qe) || !reflect.DeepEqual(qe.Details, want) {
				t.Errorf("Parse(order=%q) error %#v, want details %v", tt.order, err, want)
			}
		})
	}
}
