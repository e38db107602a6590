package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

var cardTests = []subtest{
	{"Get", testCardGet},
	{"GetNotFound", testCardGetNotFound},
	{"List", testCardList},
	{"Update", testCardUpdate},
	{"UpdateAbort", testCardUpdateAbort},
	{"UpdatePartial", testCardUpdatePartial},
	{"UpdateNotFound", testCardUpdateNotFound},
	{"DeletePromotesDefault", testCardDeleteDefault},
	{"DeleteByRef", testCardDeleteByRef},
	{"DeleteNotFound", testCardDeleteNotFound},
}

// cardSet is customer X with cards, and customer Y with one card.
type cardSet struct {
	x, y   *cardvault.Customer
	toks   []*cardvault.Token // X's tokens in tokenization (= attach) order
	cards  []*cardvault.Card  // X's stored cards, same order
	yCard  *cardvault.Card
	loose  *cardvault.Token // an unattached token
	offset []time.Duration
}

// newCardSet tokenizes X's cards at Epoch+offsets and attaches them in that order.
func newCardSet(t *testing.T, f *Fixture, offsets ...time.Duration) *cardSet {
	t.Helper()
	cs := &cardSet{offset: offsets}
	pans := []string{Visa, MasterCard, Amex, JCB, Discover, Visa2}
	for i, d := range offsets {
		f.Clock.Set(Epoch.Add(d))
		cs.toks = append(cs.toks, MustToken(t, f.Vault, f.Test, pans[i%len(pans)]))
	}
	f.Clock.Set(Epoch.Add(time.Minute))
	cs.x = MustCustomer(t, f.Vault, f.Test, "")
	cs.y = MustCustomer(t, f.Vault, f.Test, "")
	for _, tok := range cs.toks {
		cs.cards = append(cs.cards, MustAttach(t, f.Vault, f.Test, cs.x.ID, tok.ID))
	}
	cs.yCard = MustStoredToken(t, f.Vault, f.Test, cs.y.ID, Visa)
	cs.loose = MustToken(t, f.Vault, f.Test, Visa)
	return cs
}

func testCardGet(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0, time.Second)
	for i, tok := range cs.toks {
		got := MustCard(t, f.Store, f.Test, cs.x.ID, tok.Card.ID)
		want := storedCard(tok.Card)
		want.CustomerID, want.CustomerSeq = cs.x.ID, cs.x.Seq
		want.Seq, want.Token, want.ModifiedAt = cs.cards[i].Seq, cs.cards[i].Token, got.ModifiedAt
		wantSame(t, "Card", got, want)
	}
	if cs.cards[0].Token == cs.cards[1].Token {
		t.Errorf("two cards share the object token %q", cs.cards[0].Token)
	}
}

func testCardGetNotFound(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	for _, tc := range []struct {
		name, cust, card, kind string
		s                      cardvault.Scope
	}{
		{"other_customers_card", cs.x.ID, cs.yCard.ID, "card", f.Test},
		{"unattached_token_card", cs.x.ID, cs.loose.Card.ID, "card", f.Test},
		{"unknown_card", cs.x.ID, "card_test_0000000000000000000", "card", f.Test},
		{"token_id_as_card", cs.x.ID, cs.toks[0].ID, "card", f.Test},
		{"unknown_customer", "cust_test_0000000000000000000", cs.cards[0].ID, "customer", f.Test},
		{"empty_customer", "", cs.cards[0].ID, "customer", f.Test},
		{"live_mode", cs.x.ID, cs.cards[0].ID, "customer", f.Live},
		{"other_account", cs.x.ID, cs.cards[0].ID, "customer", f.Other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.Card(f.Ctx, tc.s, tc.cust, tc.card)
			if got != nil {
				t.Errorf("Card returned %s", got.ID)
			}
			wantNotFound(t, "Card", err, tc.kind)
		})
	}
	_, _, err := f.Store.ListCards(f.Ctx, f.Test, "cust_test_0000000000000000000", allWindow(10))
	wantNotFound(t, "ListCards(unknown customer)", err, "customer")
	_, _, err = f.Store.ListCards(f.Ctx, f.Live, cs.x.ID, allWindow(10))
	wantNotFound(t, "ListCards(live mode)", err, "customer")
}

func testCardList(t *testing.T, f *Fixture) {
	// Cards 1 and 2 were tokenized in the same instant; card 3 two seconds later.
	cs := newCardSet(t, f, 0, time.Second, time.Second, 3*time.Second)
	at := func(i int) time.Time { return cs.toks[i].CreatedAt }
	far := Epoch.AddDate(1, 0, 0)
	for _, tc := range []struct {
		name  string
		p     cardvault.ListParams
		want  []int
		total int
	}{
		{"chronological", allWindow(100), []int{0, 1, 2, 3}, 4},
		{"reverse", rev(allWindow(100)), []int{3, 2, 1, 0}, 4},
		{"limit", allWindow(1), []int{0}, 4},
		{"limit_offset", page(allWindow(1), 1), []int{1}, 4},
		{"limit_offset_tie", page(allWindow(2), 2), []int{2, 3}, 4},
		{"reverse_limit_offset", page(rev(allWindow(2)), 1), []int{2, 1}, 4},
		{"offset_past_end", page(allWindow(10), 4), nil, 4},
		{"window", window(at(1), at(2), 100), []int{1, 2}, 2},
		{"window_limit", window(at(1), far, 1), []int{1}, 3},
		{"window_reverse_offset", page(rev(window(at(1), far, 1)), 1), []int{2}, 3},
		{"from_after_to", window(at(3), at(0), 100), nil, 0},
		{"empty_second", window(Epoch.Add(2*time.Second), Epoch.Add(2*time.Second), 100), nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := f.Store.ListCards(f.Ctx, f.Test, cs.x.ID, tc.p)
			noErr(t, "ListCards", err)
			var want []string
			for _, i := range tc.want {
				want = append(want, cs.cards[i].ID)
			}
			wantIDs(t, "ListCards", cardIDs(got), want)
			if total != tc.total {
				t.Errorf("ListCards total = %d, want %d", total, tc.total)
			}
		})
	}
	got, _, err := f.Store.ListCards(f.Ctx, f.Test, cs.x.ID, allWindow(1))
	noErr(t, "ListCards", err)
	if len(got) == 1 {
		wantSame(t, "listed card", got[0], cs.cards[0])
	}
}

func testCardUpdate(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	orig := cs.cards[0]
	now := f.Clock.Advance(time.Minute)
	got, err := f.Store.UpdateCard(f.Ctx, f.Test, cs.x.ID, orig.ID, cardvault.CardUpdate{
		Name: "SOMCHAI P", City: "Chiang Mai", PostalCode: "50000",
		ExpMonth: cardvault.IntInput{N: 3, Given: true}, ExpYear: cardvault.IntInput{N: 37, Given: true}, Now: now,
	})
	noErr(t, "UpdateCard", err)
	want := *orig
	want.Name, want.Address.City, want.Address.PostalCode = "SOMCHAI P", "Chiang Mai", "50000"
	want.ExpMonth, want.ExpYear, want.ModifiedAt = 3, 2037, ms(now)
	wantSame(t, "UpdateCard result", storedCard(got), &want)
	wantSame(t, "Card after UpdateCard", MustCard(t, f.Store, f.Test, cs.x.ID, orig.ID), &want)
	wantSame(t, "the other customer's card", MustCard(t, f.Store, f.Test, cs.y.ID, cs.yCard.ID), cs.yCard)
}

// testCardUpdatePartial: fields the update leaves empty keep their values,
// and no identity field changes.
func testCardUpdatePartial(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	orig := cs.cards[0]
	now := f.Clock.Advance(time.Minute)
	_, err := f.Store.UpdateCard(f.Ctx, f.Test, cs.x.ID, orig.ID, cardvault.CardUpdate{Name: "NEW NAME", Now: now})
	noErr(t, "UpdateCard", err)
	want := *orig
	want.Name, want.ModifiedAt = "NEW NAME", ms(now)
	wantSame(t, "Card after UpdateCard of the name only", MustCard(t, f.Store, f.Test, cs.x.ID, orig.ID), &want)
	wantCardsOf(t, f, cs.y.ID, cs.yCard.ID)
}

func testCardUpdateAbort(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	orig := cs.cards[0]
	for _, tc := range []struct {
		name        string
		month, year cardvault.IntInput
	}{
		{"invalid_month", cardvault.IntInput{N: 13, Given: true}, cardvault.IntInput{}},
		{"invalid_year", cardvault.IntInput{}, cardvault.IntInput{Invalid: true, Given: true}},
		{"expired", cardvault.IntInput{N: 1, Given: true}, cardvault.IntInput{N: 2020, Given: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Store.UpdateCard(f.Ctx, f.Test, cs.x.ID, orig.ID, cardvault.CardUpdate{
				Name: "CHANGED", City: "Nowhere", ExpMonth: tc.month, ExpYear: tc.year, Now: f.Clock.Now()})
			wantCode(t, "UpdateCard", err, cardvault.EInvalidCard, "")
			wantSame(t, "Card after a refused UpdateCard", MustCard(t, f.Store, f.Test, cs.x.ID, orig.ID), orig)
		})
	}
}

func testCardUpdateNotFound(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	for _, tc := range []struct {
		name, cust, card, kind string
		s                      cardvault.Scope
	}{
		{"other_customers_card", cs.x.ID, cs.yCard.ID, "card", f.Test},
		{"unattached_token_card", cs.x.ID, cs.loose.Card.ID, "card", f.Test},
		{"unknown_card", cs.x.ID, "card_test_0000000000000000000", "card", f.Test},
		{"unknown_customer", "cust_test_0000000000000000000", cs.cards[0].ID, "customer", f.Test},
		{"live_mode", cs.x.ID, cs.cards[0].ID, "customer", f.Live},
		{"other_account", cs.x.ID, cs.cards[0].ID, "customer", f.Other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Store.UpdateCard(f.Ctx, tc.s, tc.cust, tc.card, cardvault.CardUpdate{Name: "CHANGED", Now: f.Clock.Now()})
			wantNotFound(t, "UpdateCard", err, tc.kind)
		})
	}
	wantSame(t, "Y's card", MustCard(t, f.Store, f.Test, cs.y.ID, cs.yCard.ID), cs.yCard)
}

func testCardDeleteDefault(t *testing.T, f *Fixture) {
	// Tokenized A, B, C; stored A, C, B. The most recently stored is B,
	// although C is the most recently tokenized.
	a, b, c := MustToken(t, f.Vault, f.Test, Visa), MustToken(t, f.Vault, f.Test, MasterCard), MustToken(t, f.Vault, f.Test, Amex)
	x := MustCustomer(t, f.Vault, f.Test, a.ID)
	MustAttach(t, f.Vault, f.Test, x.ID, c.ID)
	cardB := MustAttach(t, f.Vault, f.Test, x.ID, b.ID)
	wantDefault := func(what, want string) {
		t.Helper()
		if got := MustGetCustomer(t, f.Store, f.Test, x.ID).DefaultCard; got != want {
			t.Errorf("%s: DefaultCard = %q, want %q", what, got, want)
		}
	}
	wantDefault("before", a.Card.ID)

	got, err := f.Store.DeleteCard(f.Ctx, f.Test, x.ID, cardvault.Ref{ID: a.Card.ID})
	noErr(t, "DeleteCard(default A)", err)
	if got.ID != a.Card.ID {
		t.Errorf("DeleteCard returned %s, want %s", got.ID, a.Card.ID)
	}
	wantDefault("after deleting default A", b.Card.ID)

	_, err = f.Store.DeleteCard(f.Ctx, f.Test, x.ID, cardvault.Ref{ID: c.Card.ID})
	noErr(t, "DeleteCard(C, not default)", err)
	wantDefault("after deleting non-default C", b.Card.ID)

	got, err = f.Store.DeleteCard(f.Ctx, f.Test, x.ID, cardvault.Ref{ID: b.Card.ID})
	noErr(t, "DeleteCard(last card B)", err)
	wantSame(t, "DeleteCard result", got, cardB)
	wantDefault("after deleting the last card", "")
	wantCardsOf(t, f, x.ID)
}

func testCardDeleteByRef(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0, time.Second, 2*time.Second)
	for _, tc := range []struct {
		name string
		cust string
		ref  cardvault.Ref
		card *cardvault.Card
	}{
		{"Seq_without_customer", "", cardvault.Ref{Seq: cs.cards[0].Seq}, cs.cards[0]},
		{"Token_without_customer", "", cardvault.Ref{Token: cs.cards[1].Token}, cs.cards[1]},
		{"ID_without_customer", "", cardvault.Ref{ID: cs.cards[2].ID}, cs.cards[2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.DeleteCard(f.Ctx, f.Test, tc.cust, tc.ref)
			noErr(t, "DeleteCard", err)
			wantSame(t, "DeleteCard result", got, tc.card)
			_, err = f.Store.Card(f.Ctx, f.Test, cs.x.ID, tc.card.ID)
			wantNotFound(t, "Card(deleted)", err, "card")
			_, err = f.Store.DeleteCard(f.Ctx, f.Test, tc.cust, tc.ref)
			wantNotFound(t, "DeleteCard(again)", err, "card")
		})
	}
	wantCardsOf(t, f, cs.x.ID)
	if def := MustGetCustomer(t, f.Store, f.Test, cs.x.ID).DefaultCard; def != "" {
		t.Errorf("DefaultCard = %q after deleting every card, want \"\"", def)
	}
	wantCardsOf(t, f, cs.y.ID, cs.yCard.ID)
}

func testCardDeleteNotFound(t *testing.T, f *Fixture) {
	cs := newCardSet(t, f, 0)
	for _, tc := range []struct {
		name, cust, kind string
		ref              cardvault.Ref
		s                cardvault.Scope
	}{
		{"other_customers_card", cs.x.ID, "card", cardvault.Ref{ID: cs.yCard.ID}, f.Test},
		{"other_customers_card_by_Seq", cs.x.ID, "card", cardvault.Ref{Seq: cs.yCard.Seq}, f.Test},
		{"unattached_token_card", cs.x.ID, "card", cardvault.Ref{ID: cs.loose.Card.ID}, f.Test},
		{"unattached_token_card_without_customer", "", "card", cardvault.Ref{ID: cs.loose.Card.ID}, f.Test},
		{"unknown_card", cs.x.ID, "card", cardvault.Ref{ID: "card_test_0000000000000000000"}, f.Test},
		{"unknown_Seq", "", "card", cardvault.Ref{Seq: cs.yCard.Seq + 1000}, f.Test},
		{"unknown_customer", "cust_test_0000000000000000000", "customer", cardvault.Ref{ID: cs.cards[0].ID}, f.Test},
		{"live_mode", cs.x.ID, "customer", cardvault.Ref{ID: cs.cards[0].ID}, f.Live},
		{"live_mode_by_Seq", "", "card", cardvault.Ref{Seq: cs.cards[0].Seq}, f.Live},
		{"other_account_by_Seq", "", "card", cardvault.Ref{Seq: cs.cards[0].Seq}, f.Other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.DeleteCard(f.Ctx, tc.s, tc.cust, tc.ref)
			if got != nil {
				t.Errorf("DeleteCard returned %s", got.ID)
			}
			wantNotFound(t, "DeleteCard", err, tc.kind)
		})
	}
	wantCardsOf(t, f, cs.x.ID, cs.cards[0].ID)
	wantCardsOf(t, f, cs.y.ID, cs.yCard.ID)
	tok, err := f.Store.Token(f.Ctx, f.Test, cs.loose.ID)
	noErr(t, "Token(unattached) after failed deletes", err)
	if tok.Used || tok.Card.CustomerID != "" {
		t.Errorf("Token(unattached) after failed deletes: used=%t customer=%q, want unused", tok.Used, tok.Card.CustomerID)
	}
}
