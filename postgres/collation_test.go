package postgres

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
	"github.com/cardvault/cardvault/storetest"
)

// TestByteOrderUnderICU: in a database whose default collation is ICU's
// en-US (which sorts "a" < "ä" < "B" and folds "É" with "é"), ChargeOver
// orders and comparisons stay byte-wise, NULL first ascending, and CONTAINS
// folds ASCII only.
func TestByteOrderUnderICU(t *testing.T) {
	base := BaseURL(t)
	name := "cvt_icu_" + strings.ToLower(cardvault.RandomString(10))
	adminExec(t, base, `CREATE DATABASE `+name+` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
	t.Cleanup(func() { adminExec(t, base, `DROP DATABASE `+name+` WITH (FORCE)`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db := MustOpen(t, u.String())
	v, _ := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	byID := map[int64]string{}
	for _, company := range []string{"é", "B", "", "a", "É", "_x", "ä", "Z"} {
		c := &cardvault.Customer{Description: company}
		if err := v.CreateCustomer(context.Background(), s, c, ""); err != nil {
			t.Fatalf("CreateCustomer: %v", err)
		}
		byID[c.Seq] = company
	}
	for _, tc := range []struct{ where, order, want string }{
		{"", "company:ASC", "(null) B Z _x a É ä é"},
		{"", "company:DESC", "é ä É a _x Z B (null)"},
		{"company:GT:Z", "company:ASC", "_x a É ä é"},
		{"company:LT:a", "company:ASC", "B Z _x"},
		{"company:CONTAINS:É", "", "É"},
		{"company:CONTAINS:b", "", "B"},
		{"company:CONTAINS:", "company:ASC", "B Z _x a É ä é"},
	} {
		v := url.Values{"order": {tc.order}}
		if tc.where != "" {
			v.Set("where", tc.where)
		}
		q, err := query.Parse(v, query.Customer)
		if err != nil {
			t.Fatalf("Parse(%v): %v", v, err)
		}
		cs, err := db.QueryCustomers(t.Context(), s, q)
		if err != nil {
			t.Fatalf("QueryCustomers(%v): %v", v, err)
		}
		var got []string
		for _, c := range cs {
			if name := byID[c.Seq]; name == "" {
				got = append(got, "(null)")
			} else {
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("where %q order %q: %q, want %q", tc.where, tc.order, strings.Join(got, " "), tc.want)
		}
	}
}
