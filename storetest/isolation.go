package storetest

import (
	"testing"

	"github.com/cardvault/cardvault"
)

var isolationTests = []subtest{
	{"OtherScopes", testIsolation},
}

// isoObjects are account A's test-mode objects that other scopes must not see.
type isoObjects struct {
	x        *cardvault.Customer // with an external key and one card
	card     *cardvault.Card
	attached *cardvault.Token // x's card's token
	loose    *cardvault.Token // unused
}

// testIsolation builds objects in account A's test mode and checks that every
// method, in every other scope, behaves as if they did not exist.
func testIsolation(t *testing.T, f *Fixture) {
	var o isoObjects
	o.attached = MustToken(t, f.Vault, f.Test, Visa)
	o.x = &cardvault.Customer{ExternalKey: "ext:iso", Email: "x@example.com"}
	noErr(t, "CreateCustomer", f.Vault.CreateCustomer(f.Ctx, f.Test, o.x, o.attached.ID))
	o.loose = MustToken(t, f.Vault, f.Test, MasterCard)
	o.card = MustCard(t, f.Store, f.Test, o.x.ID, o.attached.Card.ID)
	custBefore := MustGetCustomer(t, f.Store, f.Test, o.x.ID)

	unknown := cardvault.Scope{AccountID: "acct_0000000000000000000", Mode: cardvault.Test}
	for _, sc := range []struct {
		name string
		s    cardvault.Scope
	}{
		{"same_account_live", f.Live},
		{"other_account_test", f.Other},
		{"other_account_live", cardvault.Scope{AccountID: f.B.ID, Mode: cardvault.Live}},
		{"unknown_account", unknown},
	} {
		t.Run(sc.name, func(t *testing.T) {
			isoReads(t, f, sc.s, &o)
			isoWrites(t, f, sc.s, &o)
			if sc.s != unknown {
				isoOwnCustomer(t, f, sc.s, &o)
			}
		})
	}

	wantSame(t, "A's customer after the other scopes' attempts", MustGetCustomer(t, f.Store, f.Test, o.x.ID), custBefore)
	wantSame(t, "A's card after the other scopes' attempts", MustCard(t, f.Store, f.Test, o.x.ID, o.card.ID), o.card)
	tok, err := f.Store.Token(f.Ctx, f.Test, o.loose.ID)
	noErr(t, "Token(loose)", err)
	wantSame(t, "A's unused token after the other scopes' attempts", tok, storedToken(o.loose))
}

// isoReads checks every getter of scope s.
func isoReads(t *testing.T, f *Fixture, s cardvault.Scope, o *isoObjects) {
	t.Helper()
	for _, tok := range []string{o.attached.ID, o.loose.ID} {
		_, err := f.Store.Token(f.Ctx, s, tok)
		wantNotFound(t, "Token", err, "token")
	}
	for _, ref := range customerRefs(o.x) {
		_, err := f.Store.Customer(f.Ctx, s, ref)
		wantNotFound(t, "Customer("+refName(ref)+")", err, "customer")
	}
	list, _, err := f.Store.ListCustomers(f.Ctx, s, allWindow(100))
	noErr(t, "ListCustomers", err)
	for _, c := range list {
		if c.ID == o.x.ID {
			t.Errorf("ListCustomers lists A's test customer")
		}
	}
	_, err = f.Store.Card(f.Ctx, s, o.x.ID, o.card.ID)
	wantNotFound(t, "Card", err, "customer")
	_, _, err = f.Store.ListCards(f.Ctx, s, o.x.ID, allWindow(100))
	wantNotFound(t, "ListCards", err, "customer")
}

// isoWrites checks every mutator of scope s on A's objects.
func isoWrites(t *testing.T, f *Fixture, s cardvault.Scope, o *isoObjects) {
	t.Helper()
	err := f.Store.UpdateCustomer(f.Ctx, s, o.x.ID, cardvault.CustomerUpdate{Email: ptr("stolen@example.com"), Now: f.Clock.Now()})
	wantNotFound(t, "UpdateCustomer", err, "customer")
	_, err = f.Store.UpdateCard(f.Ctx, s, o.x.ID, o.card.ID, cardvault.CardUpdate{Name: "STOLEN", Now: f.Clock.Now()})
	wantNotFound(t, "UpdateCard", err, "customer")
	_, err = f.Store.DeleteCard(f.Ctx, s, o.x.ID, cardvault.Ref{ID: o.card.ID})
	wantNotFound(t, "DeleteCard(customer, ID)", err, "customer")
	for _, ref := range []cardvault.Ref{{ID: o.card.ID}, {Seq: o.card.Seq}, {Token: o.card.Token}, {ID: o.loose.Card.ID}} {
		_, err = f.Store.DeleteCard(f.Ctx, s, "", ref)
		wantNotFound(t, "DeleteCard(\"\", "+refName(ref)+")", err, "card")
	}
	for _, ref := range customerRefs(o.x) {
		_, err = f.Store.DeleteCustomer(f.Ctx, s, ref)
		wantNotFound(t, "DeleteCustomer("+refName(ref)+")", err, "customer")
	}
}

// isoOwnCustomer checks that a customer of scope s cannot reach A's tokens and cards.
func isoOwnCustomer(t *testing.T, f *Fixture, s cardvault.Scope, o *isoObjects) {
	t.Helper()
	own := MustCustomer(t, f.Vault, s, "")
	list, total, err := f.Store.ListCustomers(f.Ctx, s, allWindow(100))
	noErr(t, "ListCustomers", err)
	wantIDs(t, "ListCustomers", customerIDs(list), []string{own.ID})
	if total != 1 {
		t.Errorf("ListCustomers total = %d, want 1", total)
	}
	for _, tok := range []string{o.attached.ID, o.loose.ID} {
		err := f.Store.UpdateCustomer(f.Ctx, s, own.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok), Now: f.Clock.Now()})
		wantNotFound(t, "UpdateCustomer(attach A's token)", err, "token")
		err = f.Vault.CreateCustomer(f.Ctx, s, &cardvault.Customer{}, tok)
		wantNotFound(t, "CreateCustomer(attach A's token)", err, "token")
	}
	err = f.Store.UpdateCustomer(f.Ctx, s, own.ID, cardvault.CustomerUpdate{DefaultCard: ptr(o.card.ID), Now: f.Clock.Now()})
	wantNotFound(t, "UpdateCustomer(default_card = A's card)", err, "card")
	_, err = f.Store.Card(f.Ctx, s, own.ID, o.card.ID)
	wantNotFound(t, "Card(own customer, A's card)", err, "card")
	_, err = f.Store.DeleteCard(f.Ctx, s, own.ID, cardvault.Ref{ID: o.card.ID})
	wantNotFound(t, "DeleteCard(own customer, A's card)", err, "card")
}

func customerRefs(c *cardvault.Customer) []cardvault.Ref {
	return []cardvault.Ref{{ID: c.ID}, {Seq: c.Seq}, {Token: c.Token}, {ExternalKey: c.ExternalKey}}
}

func refName(r cardvault.Ref) string {
	switch {
	case r.Seq != 0:
		return "Seq"
	case r.Token != "":
		return "Token"
	case r.ExternalKey != "":
		return "ExternalKey"
	}
	return "ID"
}
