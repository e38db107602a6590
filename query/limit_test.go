package query

import (
	"net/url"
	"strings"
	"testing"
)

// conds returns n copies of cond joined by commas: one where value.
func conds(n int, cond string) string {
	return strings.TrimSuffix(strings.Repeat(cond+",", n), ",")
}

// TestBounds: each bound accepts its limit and refuses one past it, in Parse
// and ParseCount, for both resources, with the bound's detail.
func TestBounds(t *testing.T) {
	long := strings.Repeat("x", MaxValueBytes)
	tooMany := map[string]string{"where": "too many conditions (at most 16)"}
	tests := []struct {
		name    string
		v       url.Values
		wantErr map[string]string // nil: accepted
	}{
		{"conditions at the bound", url.Values{"where": {conds(MaxConditions, "token:CONTAINS:a")}}, nil},
		{"conditions one past", url.Values{"where": {conds(MaxConditions+1, "token:CONTAINS:a")}}, tooMany},
		{"conditions far past", url.Values{"where": {conds(1000, "token:CONTAINS:a")}}, tooMany},
		{"conditions across parameters at the bound", url.Values{"where": {
			conds(MaxConditions-3, "token:CONTAINS:a"), "", conds(3, "external_key:ISNOT:NULL")}}, nil},
		{"conditions across parameters one past", url.Values{"where": {
			conds(MaxConditions-3, "token:CONTAINS:a"), "", conds(4, "external_key:ISNOT:NULL")}}, tooMany},
		{"one condition per parameter one past", url.Values{"where": strings.Split(
			conds(MaxConditions+1, "token:EQUALS:a"), ",")}, tooMany},
		{"too many refused before a bad condition is read", url.Values{"where": {
			"bad," + conds(MaxConditions, "token:EQUALS:a")}}, tooMany},
		{"escaped commas are not separators", url.Values{"where": {
			"token:EQUALS:" + strings.Repeat(`\,`, 100)}}, nil},
		{"value at the bound", url.Values{"where": {"token:CONTAINS:" + long}}, nil},
		{"value one past", url.Values{"where": {"token:CONTAINS:" + long + "y"}},
			map[string]string{"where": "condition 1: value too long"}},
		{"value at the bound after unescaping", url.Values{"where": {
			"token:GT:" + strings.Repeat(`\:`, MaxValueBytes)}}, nil},
		{"value one past after unescaping", url.Values{"where": {
			"token:EQUALS:a," + "token:LT:" + strings.Repeat(`\,`, MaxValueBytes+1)}},
			map[string]string{"where": "condition 2: value too long"}},
	}
	for _, tt := range tests {
		for _, s := range []Schema{CreditCard, Customer} {
			raw := tt.v.Encode()
			q, err := Parse(tt.v, s)
			_, cerr := ParseCount(tt.v, s)
			if tt.wantErr == nil {
				if err != nil || cerr != nil {
					t.Errorf("%s (%s): Parse error %v, ParseCount error %v; want both accepted", tt.name, s.ID, err, cerr)
				}
				continue
			}
			checkDetails(t, raw, q, err, tt.wantErr)
			checkDetails(t, raw, Query{}, cerr, tt.wantErr)
		}
	}
}

// TestOrderBound: MaxOrderKeys keys (repeats count) are accepted, one more is
// refused before any key is read; _count ignores order entirely.
func TestOrderBound(t *testing.T) {
	keys := func(n int) string { return conds(n, "token:DESC") }
	tooMany := map[string]string{"order": "too many keys (at most 8)"}
	for _, s := range []Schema{CreditCard, Customer} {
		q, err := Parse(url.Values{"order": {keys(MaxOrderKeys)}}, s)
		if err != nil || len(q.Order) != 2 || q.Order[0].Field.Name != "token" || !q.Order[0].Desc {
			t.Errorf("%s: %d keys: %v, %v; want token DESC then the id", s.ID, MaxOrderKeys, q.Order, err)
		}
		for _, order := range []string{keys(MaxOrderKeys + 1), "nosuchfield," + keys(MaxOrderKeys), strings.Repeat(",", 1000)} {
			v := url.Values{"order": {order}}
			q, err := Parse(v, s)
			checkDetails(t, v.Encode(), q, err, tooMany)
			if _, err := ParseCount(v, s); err != nil {
				t.Errorf("%s: ParseCount with a long order: %v", s.ID, err)
			}
		}
	}
}
