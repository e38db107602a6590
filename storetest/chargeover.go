package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// The ChargeOver store methods (API.md §1.4, §3.2, §3.4–§3.6): StoreCard's
// upsert, CardByRef, the where/order/limit/offset queries and the nonce cache.
var chargeoverTests = []subtest{
	{"StoreCardNew", testStoreCardNew},
	{"StoreCardCustomerRefs", testStoreCardCustomerRefs},
	{"StoreCardUpsert", testStoreCardUpsert},
	{"StoreCardUpsertMostRecent", testStoreCardUpsertMostRecent},
	{"StoreCardOtherCustomer", testStoreCardOtherCustomer},
	{"StoreCardUnknownCustomer", testStoreCardUnknownCustomer},
	{"StoreCardExternalKey", testStoreCardExternalKey},
	{"StoreCardConcurrentSameNumber", testStoreCardConcurrentSame},
	{"StoreCardConcurrentFirstCards", testStoreCardConcurrentFirst},
	{"StoreCardConcurrentExternalKey", testStoreCardConcurrentExternalKey},
	{"CardByRef", testCardByRef},
	{"CardByRefNotFound", testCardByRefNotFound},
	{"QueryCustomers", testQueryCustomers},
	{"QueryCards", testQueryCards},
	{"QueryScopes", testQueryScopes},
	{"QueryModel", testQueryModel},
	{"QueryNumericLookingStrings", testQueryNumericStrings},
	{"QueryAfterDelete", testQueryAfterDelete},
	{"UseNonce", testUseNonce},
	{"UseNonceConcurrent", testUseNonceConcurrent},
}

// coCard is card data for pan as the ChargeOver POST makes it: sealed,
// unattached, no name required, with an optional external key.
type coCard struct {
	pan, name, ext string
	addr           cardvault.Address
	month, year    int64 // 0: 12/2035
}

// mustNewCard validates and seals d in scope s at the vault's current time.
func mustNewCard(t testing.TB, f *Fixture, s cardvault.Scope, d coCard) *cardvault.Card {
	t.Helper()
	cvv := "123"
	if d.pan == Amex {
		cvv = "1234"
	}
	in := CardInput(d.pan, cvv)
	in.Name, in.NameRequired = d.name, false
	if d.month != 0 {
		in.Month, in.Year = cardvault.IntInput{N: d.month, Given: true}, cardvault.IntInput{N: d.year, Given: true}
	}
	c, err := f.Vault.NewCard(f.Ctx, s, in, d.name, d.addr, "198.51.100.4")
	if err != nil {
		t.Fatalf("NewCard(%d-digit card): %v", len(d.pan), err)
	}
	c.ExternalKey = d.ext
	return c
}

// mustStoreNew stores d as a new card of customer ref and returns the result.
func mustStoreNew(t testing.TB, f *Fixture, s cardvault.Scope, ref cardvault.Ref, d coCard) *cardvault.Card {
	t.Helper()
	got, created, err := f.Store.StoreCard(f.Ctx, s, ref, mustNewCard(t, f, s, d), cardvault.CardMerge{})
	noErr(t, "StoreCard("+refName(ref)+")", err)
	if !created {
		t.Errorf("StoreCard(%s): created = false, want true", refName(ref))
	}
	return got
}

// mustCardByRef returns a stored card by ref.
func mustCardByRef(t testing.TB, f *Fixture, s cardvault.Scope, ref cardvault.Ref) *cardvault.Card {
	t.Helper()
	c, err := f.Store.CardByRef(f.Ctx, s, ref)
	noErr(t, "CardByRef("+refName(ref)+")", err)
	return c
}

// mustCOCustomer creates customer c in scope s (ids and times filled in).
func mustCOCustomer(t testing.TB, f *Fixture, s cardvault.Scope, c *cardvault.Customer) *cardvault.Customer {
	t.Helper()
	if err := f.Vault.CreateCustomer(f.Ctx, s, c, ""); err != nil {
		t.Fatalf("CreateCustomer(%+v): %v", *c, err)
	}
	return c
}

// wantDefaultCard checks a customer's default card.
func wantDefaultCard(t testing.TB, f *Fixture, s cardvault.Scope, customerID, want string) {
	t.Helper()
	if got := MustGetCustomer(t, f.Store, s, customerID).DefaultCard; got != want {
		t.Errorf("Customer(%s).DefaultCard = %q, want %q", customerID, got, want)
	}
}

// wantCardCount checks CountCards without conditions in scope s.
func wantCardCount(t testing.TB, f *Fixture, s cardvault.Scope, want int) {
	t.Helper()
	n, err := f.Store.CountCards(f.Ctx, s, nil)
	noErr(t, "CountCards", err)
	if n != want {
		t.Errorf("CountCards = %d, want %d", n, want)
	}
}

func testStoreCardNew(t *testing.T, f *Fixture) {
	// A card attached through the Omise side first: integer ids are shared.
	y := MustCustomer(t, f.Vault, f.Test, "")
	yCard := MustStoredToken(t, f.Vault, f.Test, y.ID, MasterCard)

	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-x"})
	f.Clock.Advance(time.Second)
	in := mustNewCard(t, f, f.Test, coCard{pan: Visa, name: "Jane Doe", ext: "ck-1",
		addr: cardvault.Address{Street1: "1 Main St", City: "Bangkok", PostalCode: "10110", Country: "th"}})
	orig := *in
	got, created, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, in, cardvault.CardMerge{})
	noErr(t, "StoreCard(first)", err)
	if !created {
		t.Errorf("StoreCard(first): created = false, want true")
	}
	if got.ID != orig.ID || got.CustomerID != x.ID || got.CustomerSeq != x.Seq || got.Seq <= 0 || !objectToken.MatchString(got.Token) {
		t.Errorf("StoreCard(first) = ID %s, CustomerID %q, CustomerSeq %d, Seq %d, Token %q; want ID %s, CustomerID %s, CustomerSeq %d, Seq > 0, a 12-char token",
			got.ID, got.CustomerID, got.CustomerSeq, got.Seq, got.Token, orig.ID, x.ID, x.Seq)
	}
	want := storedCard(&orig)
	want.Seq, want.Token, want.CustomerID, want.CustomerSeq = got.Seq, got.Token, x.ID, x.Seq
	wantSame(t, "StoreCard(first) result", storedCard(got), want)
	wantSame(t, "CardByRef(Seq) after StoreCard", mustCardByRef(t, f, f.Test, cardvault.Ref{Seq: got.Seq}), want)
	wantSame(t, "Card (Omise side) after StoreCard", MustCard(t, f.Store, f.Test, x.ID, orig.ID), want)
	wantDefaultCard(t, f, f.Test, x.ID, orig.ID)

	f.Clock.Advance(time.Second)
	second := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Amex})
	if second.Token == got.Token {
		t.Errorf("two stored cards share the object token %q", got.Token)
	}
	wantAscending(t, "card Seq: Omise attach, StoreCard, StoreCard", []int64{yCard.Seq, got.Seq, second.Seq})
	wantDefaultCard(t, f, f.Test, x.ID, orig.ID)
	wantCardsOf(t, f, x.ID, orig.ID, second.ID)
	wantCardCount(t, f, f.Test, 3)

	// With every card gone, the next stored card is the default again.
	for _, id := range []string{orig.ID, second.ID} {
		_, err := f.Store.DeleteCard(f.Ctx, f.Test, x.ID, cardvault.Ref{ID: id})
		noErr(t, "DeleteCard", err)
	}
	wantDefaultCard(t, f, f.Test, x.ID, "")
	third := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa})
	wantDefaultCard(t, f, f.Test, x.ID, third.ID)
}

func testStoreCardCustomerRefs(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm:x/1"})
	mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm:x/2"}) // a neighbour
	pans := []string{Visa, MasterCard, Amex, JCB}
	for i, ref := range customerRefs(x) {
		t.Run(refName(ref), func(t *testing.T) {
			got := mustStoreNew(t, f, f.Test, ref, coCard{pan: pans[i]})
			if got.CustomerID != x.ID || got.CustomerSeq != x.Seq {
				t.Errorf("StoreCard(%s): CustomerID %q, CustomerSeq %d; want %s, %d", refName(ref), got.CustomerID, got.CustomerSeq, x.ID, x.Seq)
			}
		})
	}
	cards, _, err := f.Store.ListCards(f.Ctx, f.Test, x.ID, allWindow(100))
	noErr(t, "ListCards", err)
	if len(cards) != len(pans) {
		t.Errorf("customer holds %d cards, want %d", len(cards), len(pans))
	}
}

func testStoreCardUpsert(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	first := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa, name: "Old Name", ext: "ck-1",
		addr: cardvault.Address{Street1: "1 Old Road", City: "Bangkok", PostalCode: "10110", Country: "th"}})
	other := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: MasterCard, ext: "ck-other"})
	before := mustCardByRef(t, f, f.Test, cardvault.Ref{ID: first.ID})
	otherBefore := mustCardByRef(t, f, f.Test, cardvault.Ref{ID: other.ID})

	// The same number again, a minute later, with a new expiry, name, city and
	// external key; street, postcode, country and the CVV check are absent.
	now := f.Clock.Advance(time.Minute)
	fresh := mustNewCard(t, f, f.Test, coCard{pan: Visa, month: 5, year: 2036})
	got, created, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Token: x.Token}, fresh,
		cardvault.CardMerge{Name: ptr("New Name"), City: ptr("Chiang Mai"), ExternalKey: ptr("ck-2")})
	noErr(t, "StoreCard(same number)", err)
	if created {
		t.Errorf("StoreCard(same number): created = true, want false (an upsert)")
	}
	want := *before
	want.ExpMonth, want.ExpYear, want.ModifiedAt = 5, 2036, ms(now)
	want.Name, want.Address.City, want.ExternalKey = "New Name", "Chiang Mai", "ck-2"
	if got.Seq != first.Seq || got.ID != first.ID {
		t.Errorf("StoreCard(same number) = card %s Seq %d, want the existing card %s Seq %d", got.ID, got.Seq, first.ID, first.Seq)
	}
	wantSame(t, "StoreCard(same number) result", storedCard(got), &want)
	wantSame(t, "CardByRef after the upsert", mustCardByRef(t, f, f.Test, cardvault.Ref{Seq: first.Seq}), &want)
	wantSame(t, "CardByRef(new external key)", mustCardByRef(t, f, f.Test, cardvault.Ref{ExternalKey: "ck-2"}), &want)
	_, err = f.Store.CardByRef(f.Ctx, f.Test, cardvault.Ref{ExternalKey: "ck-1"})
	wantNotFound(t, "CardByRef(old external key)", err, "card")
	_, err = f.Store.CardByRef(f.Ctx, f.Test, cardvault.Ref{ID: fresh.ID})
	wantNotFound(t, "CardByRef(the upsert's unused card id)", err, "card")
	wantSame(t, "the customer's other card", mustCardByRef(t, f, f.Test, cardvault.Ref{ID: other.ID}), otherBefore)
	wantCardsOf(t, f, x.ID, first.ID, other.ID)
	wantDefaultCard(t, f, f.Test, x.ID, first.ID)

	// A merge with no optional field changes only the expiry and
	// ModifiedAt, to the new card's: the store keeps no clock of its own.
	later := f.Clock.Advance(time.Minute)
	got, created, err = f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq},
		mustNewCard(t, f, f.Test, coCard{pan: Visa, month: 6, year: 2037}), cardvault.CardMerge{})
	noErr(t, "StoreCard(same number, nothing to merge)", err)
	if created || got.Seq != first.Seq {
		t.Errorf("StoreCard(same number, nothing to merge): created = %t, Seq %d; want false, %d", created, got.Seq, first.Seq)
	}
	want.ExpMonth, want.ExpYear, want.ModifiedAt = 6, 2037, ms(later)
	wantSame(t, "CardByRef after an empty merge", mustCardByRef(t, f, f.Test, cardvault.Ref{Seq: first.Seq}), &want)

	// Keeping its own external key is no conflict with itself.
	_, _, err = f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, mustNewCard(t, f, f.Test, coCard{pan: Visa}),
		cardvault.CardMerge{ExternalKey: ptr("ck-2")})
	noErr(t, "StoreCard(same number, same external key)", err)
	wantCardCount(t, f, f.Test, 2)
}

func testStoreCardUpsertMostRecent(t *testing.T, f *Fixture) {
	// The same number tokenized twice and attached in reverse order: the card
	// stored last (a) is the most recent, although b was tokenized later.
	x := MustCustomer(t, f.Vault, f.Test, "")
	a := MustToken(t, f.Vault, f.Test, Visa)
	f.Clock.Advance(time.Second)
	b := MustToken(t, f.Vault, f.Test, Visa)
	cardB := MustAttach(t, f.Vault, f.Test, x.ID, b.ID)
	cardA := MustAttach(t, f.Vault, f.Test, x.ID, a.ID)
	mc := MustStoredToken(t, f.Vault, f.Test, x.ID, MasterCard)
	if cardA.Seq <= cardB.Seq {
		t.Fatalf("attach order: Seq %d then %d, want ascending", cardB.Seq, cardA.Seq)
	}
	got, created, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{ID: x.ID}, mustNewCard(t, f, f.Test, coCard{pan: Visa}),
		cardvault.CardMerge{Name: ptr("MERGED")})
	noErr(t, "StoreCard", err)
	if created || got.ID != cardA.ID {
		t.Errorf("StoreCard: created = %t, card %s; want false, the most recently stored %s", created, got.ID, cardA.ID)
	}
	if n := mustCardByRef(t, f, f.Test, cardvault.Ref{ID: cardA.ID}).Name; n != "MERGED" {
		t.Errorf("most recently stored card: Name = %q, want \"MERGED\"", n)
	}
	wantSame(t, "the older card with the same number", mustCardByRef(t, f, f.Test, cardvault.Ref{ID: cardB.ID}), cardB)
	wantSame(t, "the card with another number", mustCardByRef(t, f, f.Test, cardvault.Ref{ID: mc.ID}), mc)
	wantCardsOf(t, f, x.ID, a.Card.ID, b.Card.ID, mc.ID)
}

func testStoreCardOtherCustomer(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	y := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	xCard := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa, name: "X"})
	xBefore := mustCardByRef(t, f, f.Test, cardvault.Ref{ID: xCard.ID})
	yCard := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: y.Seq}, coCard{pan: Visa, name: "Y"})
	if yCard.ID == xCard.ID || yCard.Seq == xCard.Seq || yCard.Token == xCard.Token || yCard.CustomerID != y.ID {
		t.Errorf("StoreCard(Y, X's number) = card %s Seq %d Token %q of %s; want a new card of %s (X's is %s Seq %d Token %q)",
			yCard.ID, yCard.Seq, yCard.Token, yCard.CustomerID, y.ID, xCard.ID, xCard.Seq, xCard.Token)
	}
	wantSame(t, "X's card after Y stored the same number", mustCardByRef(t, f, f.Test, cardvault.Ref{ID: xCard.ID}), xBefore)
	wantDefaultCard(t, f, f.Test, y.ID, yCard.ID)
	wantCardsOf(t, f, x.ID, xCard.ID)
	wantCardsOf(t, f, y.ID, yCard.ID)
}

func testStoreCardUnknownCustomer(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-x"})
	gone := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-gone"})
	_, err := f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{ID: gone.ID})
	noErr(t, "DeleteCustomer", err)
	for _, tc := range []struct {
		name string
		s    cardvault.Scope
		ref  cardvault.Ref
	}{
		{"unknown_Seq", f.Test, cardvault.Ref{Seq: x.Seq + 1000}},
		{"unknown_Token", f.Test, cardvault.Ref{Token: "zzzzzzzzzzzz"}},
		{"unknown_ExternalKey", f.Test, cardvault.Ref{ExternalKey: "crm-y"}},
		{"ExternalKey_other_case", f.Test, cardvault.Ref{ExternalKey: "CRM-X"}},
		{"deleted_customer_Seq", f.Test, cardvault.Ref{Seq: gone.Seq}},
		{"deleted_customer_ExternalKey", f.Test, cardvault.Ref{ExternalKey: "crm-gone"}},
		{"live_mode_Seq", f.Live, cardvault.Ref{Seq: x.Seq}},
		{"live_mode_Token", f.Live, cardvault.Ref{Token: x.Token}},
		{"live_mode_ExternalKey", f.Live, cardvault.Ref{ExternalKey: "crm-x"}},
		{"other_account_Seq", f.Other, cardvault.Ref{Seq: x.Seq}},
		{"other_account_Token", f.Other, cardvault.Ref{Token: x.Token}},
		{"other_account_ExternalKey", f.Other, cardvault.Ref{ExternalKey: "crm-x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNewCard(t, f, tc.s, coCard{pan: Visa, ext: "ck-" + tc.name})
			got, created, err := f.Store.StoreCard(f.Ctx, tc.s, tc.ref, c, cardvault.CardMerge{})
			wantNotFound(t, "StoreCard", err, "customer")
			if got != nil || created {
				t.Errorf("StoreCard returned a card (%v), created = %t; want nil, false", got != nil, created)
			}
			_, err = f.Store.CardByRef(f.Ctx, tc.s, cardvault.Ref{ExternalKey: "ck-" + tc.name})
			wantNotFound(t, "CardByRef after a failed StoreCard", err, "card")
		})
	}
	for _, s := range []cardvault.Scope{f.Test, f.Live, f.Other} {
		wantCardCount(t, f, s, 0)
	}
	wantDefaultCard(t, f, f.Test, x.ID, "")
	wantCardsOf(t, f, x.ID)
}

func testStoreCardExternalKey(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-x"})
	y := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	c1 := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa, ext: "ck-1"})
	c2 := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Amex, name: "Two", ext: "ck-2"})
	c2Before := mustCardByRef(t, f, f.Test, cardvault.Ref{ID: c2.ID})
	wantConflict := func(what string, err error) {
		t.Helper()
		wantCode(t, what, err, cardvault.EConflict, "")
		if e := cardvault.AsError(err); err != nil && e.Field != "external_key" {
			t.Errorf("%s: conflict Field = %q, want \"external_key\"", what, e.Field)
		}
	}

	t.Run("new_card_same_customer", func(t *testing.T) {
		c := mustNewCard(t, f, f.Test, coCard{pan: MasterCard, ext: "ck-1"})
		got, created, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, c, cardvault.CardMerge{})
		wantConflict("StoreCard(taken external key)", err)
		if got != nil || created {
			t.Errorf("StoreCard returned a card (%v), created = %t; want nil, false", got != nil, created)
		}
		_, err = f.Store.CardByRef(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
		wantNotFound(t, "CardByRef(the rejected card)", err, "card")
	})
	t.Run("new_card_other_customer", func(t *testing.T) {
		c := mustNewCard(t, f, f.Test, coCard{pan: MasterCard, ext: "ck-1"})
		_, _, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: y.Seq}, c, cardvault.CardMerge{})
		wantConflict("StoreCard(other customer, taken external key)", err)
		wantDefaultCard(t, f, f.Test, y.ID, "")
		wantCardsOf(t, f, y.ID)
	})
	t.Run("upsert_to_taken_key", func(t *testing.T) {
		_, _, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, mustNewCard(t, f, f.Test, coCard{pan: Amex}),
			cardvault.CardMerge{Name: ptr("CHANGED"), ExternalKey: ptr("ck-1")})
		wantConflict("StoreCard(upsert to a taken external key)", err)
		wantSame(t, "card after the rejected upsert", mustCardByRef(t, f, f.Test, cardvault.Ref{ID: c2.ID}), c2Before)
	})
	wantCardCount(t, f, f.Test, 2)
	wantCardsOf(t, f, x.ID, c1.ID, c2.ID)

	// Card and customer external keys are separate; other modes and accounts
	// are separate; a key given up by an upsert is free again.
	t.Run("customers_external_key", func(t *testing.T) {
		mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: y.Seq}, coCard{pan: Visa, ext: "crm-x"})
	})
	t.Run("live_mode", func(t *testing.T) {
		lx := mustCOCustomer(t, f, f.Live, &cardvault.Customer{})
		mustStoreNew(t, f, f.Live, cardvault.Ref{Seq: lx.Seq}, coCard{pan: Visa, ext: "ck-1"})
	})
	t.Run("other_account", func(t *testing.T) {
		ox := mustCOCustomer(t, f, f.Other, &cardvault.Customer{})
		mustStoreNew(t, f, f.Other, cardvault.Ref{Seq: ox.Seq}, coCard{pan: Visa, ext: "ck-1"})
	})
	t.Run("released_by_upsert", func(t *testing.T) {
		_, _, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, mustNewCard(t, f, f.Test, coCard{pan: Amex}),
			cardvault.CardMerge{ExternalKey: ptr("ck-3")})
		noErr(t, "StoreCard(upsert ck-2 → ck-3)", err)
		mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: y.Seq}, coCard{pan: MasterCard, ext: "ck-2"})
	})
	t.Run("unset_never_conflicts", func(t *testing.T) {
		mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: y.Seq}, coCard{pan: JCB})
		mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: y.Seq}, coCard{pan: Discover})
	})
	for _, s := range []cardvault.Scope{f.Live, f.Other} {
		if c := mustCardByRef(t, f, s, cardvault.Ref{ExternalKey: "ck-1"}); c.AccountID != s.AccountID || c.Mode != s.Mode {
			t.Errorf("CardByRef(ck-1) in %s/%s: card of %s/%s", s.AccountID, s.Mode, c.AccountID, c.Mode)
		}
	}
	if c := mustCardByRef(t, f, f.Test, cardvault.Ref{ExternalKey: "ck-1"}); c.ID != c1.ID {
		t.Errorf("CardByRef(ck-1) in test mode = %s, want %s", c.ID, c1.ID)
	}
}

func testStoreCardConcurrentSame(t *testing.T, f *Fixture) {
	const n = 8
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	cards := make([]*cardvault.Card, n)
	for i := range cards {
		cards[i] = mustNewCard(t, f, f.Test, coCard{pan: Visa})
	}
	got := make([]*cardvault.Card, n)
	isNew := make([]bool, n)
	errs := race(n, func(i int) error {
		var err error
		got[i], isNew[i], err = f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, cards[i], cardvault.CardMerge{})
		return err
	})
	var created int
	var stored *cardvault.Card
	for i, err := range errs {
		noErr(t, "StoreCard", err)
		if isNew[i] {
			created++
			stored = got[i]
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent StoreCard of one number for one customer: %d created, %d merged; want 1 and %d", n, created, n-created, n-1)
	}
	for i := range got {
		if got[i].ID != stored.ID || got[i].Seq != stored.Seq {
			t.Errorf("StoreCard %d = card %s Seq %d, want %s Seq %d", i, got[i].ID, got[i].Seq, stored.ID, stored.Seq)
		}
	}
	wantCardsOf(t, f, x.ID, stored.ID)
	wantDefaultCard(t, f, f.Test, x.ID, stored.ID)
}

func testStoreCardConcurrentFirst(t *testing.T, f *Fixture) {
	pans := []string{Visa, Visa2, MasterCard, Amex, JCB, Discover}
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
	cards := make([]*cardvault.Card, len(pans))
	for i, pan := range pans {
		cards[i] = mustNewCard(t, f, f.Test, coCard{pan: pan})
	}
	got := make([]*cardvault.Card, len(pans))
	errs := race(len(pans), func(i int) error {
		var err error
		var created bool
		got[i], created, err = f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: x.Seq}, cards[i], cardvault.CardMerge{})
		if err == nil && !created {
			t.Errorf("StoreCard %d: created = false, want true", i)
		}
		return err
	})
	seqs := map[int64]bool{}
	var first *cardvault.Card
	for i, err := range errs {
		noErr(t, "StoreCard", err)
		if seqs[got[i].Seq] || got[i].Seq <= 0 {
			t.Errorf("StoreCard %d: Seq %d is not positive or not unique", i, got[i].Seq)
		}
		seqs[got[i].Seq] = true
		if first == nil || got[i].Seq < first.Seq {
			first = got[i]
		}
	}
	wantCardCount(t, f, f.Test, len(pans))
	wantDefaultCard(t, f, f.Test, x.ID, first.ID)
}

func testStoreCardConcurrentExternalKey(t *testing.T, f *Fixture) {
	const n = 8
	custs := make([]*cardvault.Customer, n)
	cards := make([]*cardvault.Card, n)
	for i := range custs {
		custs[i] = mustCOCustomer(t, f, f.Test, &cardvault.Customer{})
		cards[i] = mustNewCard(t, f, f.Test, coCard{pan: Visa, ext: "ck-race"})
	}
	errs := race(n, func(i int) error {
		_, _, err := f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{Seq: custs[i].Seq}, cards[i], cardvault.CardMerge{})
		return err
	})
	var ok, conflict int
	for i, err := range errs {
		switch e := cardvault.AsError(err); {
		case err == nil:
			ok++
		case e.Code == cardvault.EConflict && e.Field == "external_key":
			conflict++
		default:
			t.Errorf("StoreCard %d: unexpected error %v", i, err)
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Errorf("%d concurrent StoreCard with one external key: %d stored, %d EConflict; want 1 and %d", n, ok, conflict, n-1)
	}
	wantCardCount(t, f, f.Test, 1)
}

func testCardByRef(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-x"})
	y := MustCustomer(t, f.Vault, f.Test, "")
	stored := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa, name: "Jane", ext: "ext:1,a\\b"})
	attached := MustStoredToken(t, f.Vault, f.Test, x.ID, MasterCard) // no external key
	yCard := MustStoredToken(t, f.Vault, f.Test, y.ID, Amex)
	for _, tc := range []struct {
		name string
		ref  cardvault.Ref
		want *cardvault.Card
	}{
		{"Seq", cardvault.Ref{Seq: stored.Seq}, storedCard(stored)},
		{"Token", cardvault.Ref{Token: stored.Token}, storedCard(stored)},
		{"ExternalKey", cardvault.Ref{ExternalKey: "ext:1,a\\b"}, storedCard(stored)},
		{"ID", cardvault.Ref{ID: stored.ID}, storedCard(stored)},
		{"attached_Seq", cardvault.Ref{Seq: attached.Seq}, attached},
		{"attached_Token", cardvault.Ref{Token: attached.Token}, attached},
		{"attached_ID", cardvault.Ref{ID: attached.ID}, attached},
		{"other_customer_Seq", cardvault.Ref{Seq: yCard.Seq}, yCard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantSame(t, "CardByRef", mustCardByRef(t, f, f.Test, tc.ref), tc.want)
		})
	}
}

func testCardByRefNotFound(t *testing.T, f *Fixture) {
	x := mustCOCustomer(t, f, f.Test, &cardvault.Customer{ExternalKey: "crm-x"})
	c := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: x.Seq}, coCard{pan: Visa, ext: "ck-1"})
	loose := MustToken(t, f.Vault, f.Test, MasterCard)
	cases := []struct {
		name string
		s    cardvault.Scope
		ref  cardvault.Ref
	}{
		{"unknown_Seq", f.Test, cardvault.Ref{Seq: c.Seq + 1000}},
		{"unknown_Token", f.Test, cardvault.Ref{Token: "zzzzzzzzzzzz"}},
		{"unknown_ExternalKey", f.Test, cardvault.Ref{ExternalKey: "ck-2"}},
		{"ExternalKey_other_case", f.Test, cardvault.Ref{ExternalKey: "CK-1"}},
		{"unknown_ID", f.Test, cardvault.Ref{ID: "card_test_0000000000000000000"}},
		{"customers_Token", f.Test, cardvault.Ref{Token: x.Token}},
		{"customers_ExternalKey", f.Test, cardvault.Ref{ExternalKey: "crm-x"}},
		{"customers_ID", f.Test, cardvault.Ref{ID: x.ID}},
		{"unattached_token_card", f.Test, cardvault.Ref{ID: loose.Card.ID}},
		{"token_ID", f.Test, cardvault.Ref{ID: loose.ID}},
	}
	for _, s := range []struct {
		name string
		s    cardvault.Scope
	}{{"live_mode", f.Live}, {"other_account", f.Other}} {
		for _, ref := range []cardvault.Ref{{Seq: c.Seq}, {Token: c.Token}, {ExternalKey: "ck-1"}, {ID: c.ID}} {
			cases = append(cases, struct {
				name string
				s    cardvault.Scope
				ref  cardvault.Ref
			}{s.name + "_" + refName(ref), s.s, ref})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.CardByRef(f.Ctx, tc.s, tc.ref)
			if got != nil {
				t.Errorf("CardByRef returned %s", got.ID)
			}
			wantNotFound(t, "CardByRef", err, "card")
		})
	}
}

func testUseNonce(t *testing.T, f *Fixture) {
	const window = 600 * time.Second // API.md §3.2
	k1, k2 := [32]byte{1}, [32]byte{2}
	// Each nonce is reused only in the way the step's name says, so that the
	// steps do not depend on whether a rejected repeat refreshes the record.
	for _, st := range []struct {
		name  string
		key   [32]byte
		nonce string
		at    time.Duration
		want  bool
	}{
		{"first_use", k1, "abcd1234", 0, true},
		{"repeat_same_instant", k1, "abcd1234", 0, false},
		{"other_nonce", k1, "edge0001", 0, true},
		{"third_nonce", k1, "after001", 0, true},
		{"same_nonce_other_key", k2, "abcd1234", time.Second, true},
		{"repeat_within_window", k1, "abcd1234", 300 * time.Second, false},
		{"other_key_repeat_within_window", k2, "abcd1234", 300 * time.Second, false},
		{"repeat_at_window_edge", k1, "edge0001", window, false},
		{"repeat_after_window", k1, "after001", window + time.Millisecond, true},
		{"repeat_after_reuse", k1, "after001", window + 2*time.Millisecond, false},
	} {
		now := Epoch.Add(st.at)
		got, err := f.Store.UseNonce(f.Ctx, st.key, st.nonce, now, now.Add(-window))
		noErr(t, "UseNonce("+st.name+")", err)
		if got != st.want {
			t.Errorf("%s: UseNonce(key %d, %q, at +%s) = %t, want %t", st.name, st.key[0], st.nonce, st.at, got, st.want)
		}
	}
}

func testUseNonceConcurrent(t *testing.T, f *Fixture) {
	const n = 20
	key, now := [32]byte{7}, Epoch
	var fresh atomic.Int32
	errs := race(n, func(int) error {
		ok, err := f.Store.UseNonce(f.Ctx, key, "race0001", now, now.Add(-600*time.Second))
		if ok {
			fresh.Add(1)
		}
		return err
	})
	for _, err := range errs {
		noErr(t, "UseNonce", err)
	}
	if fresh.Load() != 1 {
		t.Errorf("%d concurrent UseNonce of one nonce: %d reported it fresh, want 1", n, fresh.Load())
	}
}
