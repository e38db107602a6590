package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

var customerTests = []subtest{
	{"GetByRef", testCustomerGetByRef},
	{"ExternalKeyConflict", testCustomerExternalKey},
	{"UpdateFields", testCustomerUpdateFields},
	{"UpdateDefaultCard", testCustomerUpdateDefault},
	{"UpdateUnknown", testCustomerUpdateUnknown},
	{"Delete", testCustomerDelete},
	{"DeleteByRef", testCustomerDeleteByRef},
	{"List", testCustomerList},
}

// allWindow lists everything, limit items at a time.
func allWindow(limit int) cardvault.ListParams {
	return cardvault.ListParams{Limit: limit, From: time.Unix(0, 0).UTC(), To: Epoch.AddDate(50, 0, 0)}
}

func testCustomerGetByRef(t *testing.T, f *Fixture) {
	c := &cardvault.Customer{ExternalKey: "ext:1", Email: "jane@example.com", Description: "Acme, Inc",
		Metadata: []byte(`{"plan":{"tier":"gold"}}`),
		Contact:  cardvault.Contact{Name: "Jane Doe", FirstName: "Jane", LastName: "Doe", Phone: "555-0100"}}
	noErr(t, "CreateCustomer", f.Vault.CreateCustomer(f.Ctx, f.Test, c, ""))
	MustCustomer(t, f.Vault, f.Test, "") // a neighbour that must not be returned
	if c.Seq <= 0 {
		t.Fatalf("CreateCustomer: Seq = %d, want > 0", c.Seq)
	}
	want := storedCustomer(c)
	for _, tc := range []struct {
		name string
		ref  cardvault.Ref
	}{
		{"ID", cardvault.Ref{ID: c.ID}},
		{"Seq", cardvault.Ref{Seq: c.Seq}},
		{"Token", cardvault.Ref{Token: c.Token}},
		{"ExternalKey", cardvault.Ref{ExternalKey: "ext:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.Customer(f.Ctx, f.Test, tc.ref)
			noErr(t, "Customer", err)
			wantSame(t, "Customer", got, want)
		})
	}
	for _, tc := range []struct {
		name string
		ref  cardvault.Ref
	}{
		{"unknown_ID", cardvault.Ref{ID: "cust_test_0000000000000000000"}},
		{"unknown_Seq", cardvault.Ref{Seq: c.Seq + 1000}},
		{"unknown_Token", cardvault.Ref{Token: "zzzzzzzzzzzz"}},
		{"unknown_ExternalKey", cardvault.Ref{ExternalKey: "ext:2"}},
		{"empty_ref", cardvault.Ref{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.Customer(f.Ctx, f.Test, tc.ref)
			if got != nil {
				t.Errorf("Customer returned %s", got.ID)
			}
			wantNotFound(t, "Customer", err, "customer")
		})
	}
}

func testCustomerExternalKey(t *testing.T, f *Fixture) {
	mk := func(s cardvault.Scope) error {
		return f.Vault.CreateCustomer(f.Ctx, s, &cardvault.Customer{ExternalKey: "ext:1"}, "")
	}
	noErr(t, "CreateCustomer(ext:1)", mk(f.Test))
	err := mk(f.Test)
	wantCode(t, "CreateCustomer(ext:1 again)", err, cardvault.EConflict, "")
	if e := cardvault.AsError(err); e.Field != "external_key" {
		t.Errorf("conflict Field = %q, want \"external_key\"", e.Field)
	}
	noErr(t, "CreateCustomer(ext:1, live mode)", mk(f.Live))
	noErr(t, "CreateCustomer(ext:1, account B)", mk(f.Other))
	// Unset external keys never conflict.
	for range 2 {
		noErr(t, "CreateCustomer(no external key)", f.Vault.CreateCustomer(f.Ctx, f.Test, &cardvault.Customer{}, ""))
	}
}

func testCustomerUpdateFields(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	want := storedCustomer(c)
	for _, tc := range []struct {
		name string
		u    cardvault.CustomerUpdate
		edit func(*cardvault.Customer)
	}{
		{"email", cardvault.CustomerUpdate{Email: ptr("new@example.com")},
			func(c *cardvault.Customer) { c.Email = "new@example.com" }},
		{"description", cardvault.CustomerUpdate{Description: ptr("Somchai (id: 30)")},
			func(c *cardvault.Customer) { c.Description = "Somchai (id: 30)" }},
		{"metadata_replaces", cardvault.CustomerUpdate{Metadata: []byte(`{"plan":"gold"}`)},
			func(c *cardvault.Customer) { c.Metadata = []byte(`{"plan":"gold"}`) }},
		{"nothing", cardvault.CustomerUpdate{}, func(*cardvault.Customer) {}},
		{"metadata_cleared", cardvault.CustomerUpdate{Metadata: []byte(`{}`)},
			func(c *cardvault.Customer) { c.Metadata = []byte(`{}`) }},
		{"all_at_once", cardvault.CustomerUpdate{Email: ptr("a@example.com"), Description: ptr("b"), Metadata: []byte(`{"c":1}`)},
			func(c *cardvault.Customer) {
				c.Email, c.Description, c.Metadata = "a@example.com", "b", []byte(`{"c":1}`)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.u.Now = f.Clock.Advance(time.Minute)
			noErr(t, "UpdateCustomer", f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, tc.u))
			tc.edit(want)
			want.ModifiedAt = ms(tc.u.Now)
			wantSame(t, "Customer after UpdateCustomer", MustGetCustomer(t, f.Store, f.Test, c.ID), want)
		})
	}
}

func testCustomerUpdateDefault(t *testing.T, f *Fixture) {
	t1, t2 := MustToken(t, f.Vault, f.Test, Visa), MustToken(t, f.Vault, f.Test, MasterCard)
	c := MustCustomer(t, f.Vault, f.Test, t1.ID)
	MustAttach(t, f.Vault, f.Test, c.ID, t2.ID)
	other := MustToken(t, f.Vault, f.Test, Amex)
	MustCustomer(t, f.Vault, f.Test, other.ID)
	unattached := MustToken(t, f.Vault, f.Test, JCB)
	liveTok := MustToken(t, f.Vault, f.Live, Visa)
	MustCustomer(t, f.Vault, f.Live, liveTok.ID)

	now := f.Clock.Advance(time.Minute)
	noErr(t, "UpdateCustomer(default = own second card)",
		f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{DefaultCard: ptr(t2.Card.ID), Now: now}))
	before := MustGetCustomer(t, f.Store, f.Test, c.ID)
	if before.DefaultCard != t2.Card.ID {
		t.Fatalf("DefaultCard = %q, want %q", before.DefaultCard, t2.Card.ID)
	}
	for _, tc := range []struct{ name, card string }{
		{"other_customers_card", other.Card.ID},
		{"unattached_token_card", unattached.Card.ID},
		{"live_card", liveTok.Card.ID},
		{"unknown_card", "card_test_0000000000000000000"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := cardvault.CustomerUpdate{Email: ptr("changed@example.com"), DefaultCard: ptr(tc.card), Now: f.Clock.Advance(time.Minute)}
			err := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, u)
			wantNotFound(t, "UpdateCustomer(default_card)", err, "card")
			wantSame(t, "customer after a failed UpdateCustomer", MustGetCustomer(t, f.Store, f.Test, c.ID), before)
		})
	}
}

func testCustomerUpdateUnknown(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	for _, tc := range []struct {
		name string
		s    cardvault.Scope
		id   string
	}{
		{"unknown_id", f.Test, "cust_test_0000000000000000000"},
		{"live_mode", f.Live, c.ID},
		{"other_account", f.Other, c.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Store.UpdateCustomer(f.Ctx, tc.s, tc.id, cardvault.CustomerUpdate{Email: ptr("x@example.com"), Now: f.Clock.Now()})
			wantNotFound(t, "UpdateCustomer", err, "customer")
		})
	}
	if got := MustGetCustomer(t, f.Store, f.Test, c.ID); got.Email != c.Email {
		t.Errorf("Email = %q after updates in other scopes, want %q", got.Email, c.Email)
	}
}

func testCustomerDelete(t *testing.T, f *Fixture) {
	t1, t2 := MustToken(t, f.Vault, f.Test, Visa), MustToken(t, f.Vault, f.Test, MasterCard)
	c := MustCustomer(t, f.Vault, f.Test, t1.ID)
	c2 := MustAttach(t, f.Vault, f.Test, c.ID, t2.ID)
	keepTok := MustToken(t, f.Vault, f.Test, Amex)
	keep := MustCustomer(t, f.Vault, f.Test, keepTok.ID)
	before := MustGetCustomer(t, f.Store, f.Test, c.ID)

	got, err := f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
	noErr(t, "DeleteCustomer", err)
	wantSame(t, "DeleteCustomer result", got, before)

	_, err = f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
	wantNotFound(t, "Customer(deleted)", err, "customer")
	_, err = f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{Seq: c.Seq})
	wantNotFound(t, "Customer(deleted, by Seq)", err, "customer")
	for _, tok := range []*cardvault.Token{t1, t2} {
		_, err = f.Store.Card(f.Ctx, f.Test, c.ID, tok.Card.ID)
		wantNotFound(t, "Card(card of a deleted customer)", err, "")
		_, err = f.Store.Token(f.Ctx, f.Test, tok.ID)
		wantNotFound(t, "Token(token whose card was deleted with its customer)", err, "token")
	}
	// The card itself is gone, not only hidden behind its customer.
	_, err = f.Store.DeleteCard(f.Ctx, f.Test, "", cardvault.Ref{Seq: c2.Seq})
	wantNotFound(t, "DeleteCard(\"\", Seq of a deleted customer's card)", err, "card")
	_, err = f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
	wantNotFound(t, "DeleteCustomer(again)", err, "customer")
	_, _, err = f.Store.ListCards(f.Ctx, f.Test, c.ID, allWindow(100))
	wantNotFound(t, "ListCards(deleted customer)", err, "customer")

	list, total, err := f.Store.ListCustomers(f.Ctx, f.Test, allWindow(100))
	noErr(t, "ListCustomers", err)
	wantIDs(t, "ListCustomers after DeleteCustomer", customerIDs(list), []string{keep.ID})
	if total != 1 {
		t.Errorf("ListCustomers total = %d, want 1", total)
	}
	wantCardsOf(t, f, keep.ID, keepTok.Card.ID)
}

func testCustomerDeleteByRef(t *testing.T, f *Fixture) {
	mk := func() *cardvault.Customer {
		c := &cardvault.Customer{ExternalKey: "k" + cardvault.RandomString(8)}
		noErr(t, "CreateCustomer", f.Vault.CreateCustomer(f.Ctx, f.Test, c, MustToken(t, f.Vault, f.Test, Visa).ID))
		return c
	}
	for _, tc := range []struct {
		name string
		ref  func(*cardvault.Customer) cardvault.Ref
	}{
		{"Seq", func(c *cardvault.Customer) cardvault.Ref { return cardvault.Ref{Seq: c.Seq} }},
		{"Token", func(c *cardvault.Customer) cardvault.Ref { return cardvault.Ref{Token: c.Token} }},
		{"ExternalKey", func(c *cardvault.Customer) cardvault.Ref { return cardvault.Ref{ExternalKey: c.ExternalKey} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mk()
			got, err := f.Store.DeleteCustomer(f.Ctx, f.Test, tc.ref(c))
			noErr(t, "DeleteCustomer", err)
			if got.ID != c.ID {
				t.Errorf("DeleteCustomer returned %s, want %s", got.ID, c.ID)
			}
			_, err = f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
			wantNotFound(t, "Customer(deleted)", err, "customer")
			_, err = f.Store.DeleteCustomer(f.Ctx, f.Test, tc.ref(c))
			wantNotFound(t, "DeleteCustomer(again)", err, "customer")
		})
	}
}

func testCustomerList(t *testing.T, f *Fixture) {
	// c0 at Epoch; c1 one second later; c2 and c3 at the same instant within
	// c1's second; c4 two seconds after c1. Other scopes must not show up.
	offsets := []time.Duration{0, time.Second, time.Second + 100*time.Millisecond, time.Second + 100*time.Millisecond, 3 * time.Second}
	cs := make([]*cardvault.Customer, len(offsets))
	for i, d := range offsets {
		f.Clock.Set(Epoch.Add(d))
		cs[i] = MustCustomer(t, f.Vault, f.Test, "")
		if i == 1 {
			MustCustomer(t, f.Vault, f.Live, "")
			MustCustomer(t, f.Vault, f.Other, "")
		}
	}
	at := func(i int) time.Time { return cs[i].CreatedAt }
	far := Epoch.AddDate(1, 0, 0)
	for _, tc := range []struct {
		name  string
		p     cardvault.ListParams
		want  []int
		total int
	}{
		{"all", allWindow(100), []int{0, 1, 2, 3, 4}, 5},
		{"reverse", rev(allWindow(100)), []int{4, 3, 2, 1, 0}, 5},
		{"limit", allWindow(2), []int{0, 1}, 5},
		{"limit_offset", page(allWindow(2), 1), []int{1, 2}, 5},
		{"limit_offset_tie", page(allWindow(1), 3), []int{3}, 5},
		{"reverse_limit_offset", page(rev(allWindow(2)), 1), []int{3, 2}, 5},
		{"offset_past_end", page(allWindow(10), 5), nil, 5},
		{"from_to", window(at(1), at(3), 100), []int{1, 2, 3}, 3},
		{"from_to_whole_second", window(at(1).Truncate(time.Second), at(1).Truncate(time.Second), 100), []int{1, 2, 3}, 3},
		{"from_sub_second", window(at(1).Add(300*time.Millisecond), far, 100), []int{1, 2, 3, 4}, 4},
		{"from_last", window(at(4), far, 100), []int{4}, 1},
		{"to_first", window(time.Unix(0, 0), at(0), 100), []int{0}, 1},
		{"window_reverse_limit", rev(window(at(1), at(4), 1)), []int{4}, 4},
		{"window_offset", page(window(at(1), at(4), 10), 2), []int{3, 4}, 4},
		{"empty_second", window(Epoch.Add(2*time.Second), Epoch.Add(2*time.Second), 100), nil, 0},
		{"from_after_to", window(at(4), at(1), 100), nil, 0},
		{"before_everything", window(time.Unix(0, 0), Epoch.Add(-time.Second), 100), nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := f.Store.ListCustomers(f.Ctx, f.Test, tc.p)
			noErr(t, "ListCustomers", err)
			var want []string
			for _, i := range tc.want {
				want = append(want, cs[i].ID)
			}
			wantIDs(t, "ListCustomers", customerIDs(got), want)
			if total != tc.total {
				t.Errorf("ListCustomers total = %d, want %d", total, tc.total)
			}
		})
	}
	got, _, err := f.Store.ListCustomers(f.Ctx, f.Test, allWindow(1))
	noErr(t, "ListCustomers", err)
	if len(got) == 1 {
		wantSame(t, "listed customer", got[0], storedCustomer(cs[0]))
	}
}

func rev(p cardvault.ListParams) cardvault.ListParams { p.Reverse = true; return p }

func page(p cardvault.ListParams, offset int) cardvault.ListParams { p.Offset = offset; return p }

func window(from, to time.Time, limit int) cardvault.ListParams {
	return cardvault.ListParams{Limit: limit, From: from, To: to}
}
