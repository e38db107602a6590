package storetest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/vault"
)

var attachTests = []subtest{
	{"CreateCustomerWithToken", testAttachOnCreate},
	{"UpdateCustomerAddsCard", testAttachOnUpdate},
	{"AttachThenDefault", testAttachThenDefault},
	{"UsedToken", testAttachUsed},
	{"UnknownToken", testAttachUnknown},
	{"ExpiredToken", testAttachExpired},
	{"CheckOrder", testAttachCheckOrder},
	{"TTLBoundaryAgreesWithGet", testAttachTTLBoundary},
	{"ExpiryFixedAtCreation", testAttachExpiryFixedAtCreation},
	{"UpdateAllOrNothing", testAttachUpdateAllOrNothing},
	{"CreateAllOrNothing", testAttachCreateAllOrNothing},
}

// wantStored checks that the token's card is stored under customer c.
func wantStored(t *testing.T, f *Fixture, c *cardvault.Customer, tok *cardvault.Token) *cardvault.Card {
	t.Helper()
	got := MustCard(t, f.Store, f.Test, c.ID, tok.Card.ID)
	if got.Seq <= 0 {
		t.Errorf("stored card Seq = %d, want > 0", got.Seq)
	}
	if !objectToken.MatchString(got.Token) {
		t.Errorf("stored card Token = %q, want 12 chars [a-z0-9]", got.Token)
	}
	want := storedCard(tok.Card)
	want.CustomerID, want.CustomerSeq = c.ID, c.Seq
	want.Seq, want.Token, want.ModifiedAt = got.Seq, got.Token, got.ModifiedAt
	wantSame(t, "stored card", got, want)

	st, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token after attach", err)
	if !st.Used {
		t.Errorf("Token(%s).Used = false after attach, want true", tok.ID)
	}
	if st.Card.CustomerID != c.ID || st.Card.Seq != got.Seq {
		t.Errorf("Token(%s).Card = {customer %q seq %d}, want {customer %q seq %d}",
			tok.ID, st.Card.CustomerID, st.Card.Seq, c.ID, got.Seq)
	}
	return got
}

func testAttachOnCreate(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	c := MustCustomer(t, f.Vault, f.Test, tok.ID)
	if c.Seq <= 0 {
		t.Errorf("CreateCustomer: Seq = %d, want > 0", c.Seq)
	}
	wantStored(t, f, c, tok)
	got := MustGetCustomer(t, f.Store, f.Test, c.ID)
	want := storedCustomer(c)
	want.DefaultCard = tok.Card.ID
	wantSame(t, "Customer after CreateCustomer", got, want)
	if got.DefaultCard != tok.Card.ID {
		t.Errorf("Customer.DefaultCard = %q, want %q", got.DefaultCard, tok.Card.ID)
	}
}

func testAttachOnUpdate(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	if got := MustGetCustomer(t, f.Store, f.Test, c.ID); got.DefaultCard != "" {
		t.Errorf("new customer without card: DefaultCard = %q, want \"\"", got.DefaultCard)
	}
	first := MustToken(t, f.Vault, f.Test, Visa)
	second := MustToken(t, f.Vault, f.Test, MasterCard)
	MustAttach(t, f.Vault, f.Test, c.ID, first.ID)
	got := MustGetCustomer(t, f.Store, f.Test, c.ID)
	if got.DefaultCard != first.Card.ID {
		t.Errorf("after attaching the first card: DefaultCard = %q, want %q", got.DefaultCard, first.Card.ID)
	}
	wantStored(t, f, c, first)

	MustAttach(t, f.Vault, f.Test, c.ID, second.ID)
	got = MustGetCustomer(t, f.Store, f.Test, c.ID)
	if got.DefaultCard != first.Card.ID {
		t.Errorf("after attaching a second card: DefaultCard = %q, want the first %q", got.DefaultCard, first.Card.ID)
	}
	wantStored(t, f, c, second)
	_, total, err := f.Store.ListCards(f.Ctx, f.Test, c.ID, allWindow(100))
	noErr(t, "ListCards", err)
	if total != 2 {
		t.Errorf("ListCards total = %d, want 2", total)
	}
}

func testAttachThenDefault(t *testing.T, f *Fixture) {
	first := MustToken(t, f.Vault, f.Test, Visa)
	c := MustCustomer(t, f.Vault, f.Test, first.ID)
	second := MustToken(t, f.Vault, f.Test, MasterCard)
	u := cardvault.CustomerUpdate{Attach: f.Vault.Attach(second.ID), DefaultCard: ptr(second.Card.ID), Now: f.Clock.Now()}
	noErr(t, "UpdateCustomer(attach + default_card)", f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, u))
	if got := MustGetCustomer(t, f.Store, f.Test, c.ID); got.DefaultCard != second.Card.ID {
		t.Errorf("DefaultCard = %q, want the newly attached %q", got.DefaultCard, second.Card.ID)
	}
}

func testAttachUsed(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	c := MustCustomer(t, f.Vault, f.Test, tok.ID)
	err := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok.ID), Now: f.Clock.Now()})
	wantCode(t, "UpdateCustomer(same customer, used token)", err, cardvault.EUsedToken, "")

	other := MustCustomer(t, f.Vault, f.Test, "")
	err = f.Store.UpdateCustomer(f.Ctx, f.Test, other.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok.ID), Now: f.Clock.Now()})
	wantCode(t, "UpdateCustomer(other customer, used token)", err, cardvault.EUsedToken, "")

	nc := &cardvault.Customer{Email: "x@example.com"}
	err = f.Vault.CreateCustomer(f.Ctx, f.Test, nc, tok.ID)
	wantCode(t, "CreateCustomer(used token)", err, cardvault.EUsedToken, "")
	_, err = f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{ID: nc.ID})
	wantNotFound(t, "Customer(created with a used token)", err, "customer")

	wantCardsOf(t, f, c.ID, tok.Card.ID)
	wantCardsOf(t, f, other.ID)
}

// wantCardsOf checks the ids of a customer's cards, in chronological order.
func wantCardsOf(t *testing.T, f *Fixture, customerID string, ids ...string) {
	t.Helper()
	cards, total, err := f.Store.ListCards(f.Ctx, f.Test, customerID, allWindow(100))
	noErr(t, "ListCards", err)
	wantIDs(t, "ListCards("+customerID+")", cardIDs(cards), ids)
	if total != len(ids) {
		t.Errorf("ListCards(%s) total = %d, want %d", customerID, total, len(ids))
	}
}

func testAttachUnknown(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	live := MustToken(t, f.Vault, f.Live, Visa)
	otherAcct := MustToken(t, f.Vault, f.Other, Visa)
	plain := MustToken(t, f.Vault, f.Test, Visa)
	for _, tc := range []struct{ name, id string }{
		{"unknown", "tokn_test_0000000000000000000"},
		{"live_token", live.ID},
		{"other_account_token", otherAcct.ID},
		{"card_id", plain.Card.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tc.id), Now: f.Clock.Now()})
			wantNotFound(t, "UpdateCustomer(attach)", err, "token")
			if e := cardvault.AsError(err); e.ID != tc.id {
				t.Errorf("error ID = %q, want %q", e.ID, tc.id)
			}
			nc := &cardvault.Customer{}
			err = f.Vault.CreateCustomer(f.Ctx, f.Test, nc, tc.id)
			wantNotFound(t, "CreateCustomer(attach)", err, "token")
		})
	}
	wantCardsOf(t, f, c.ID)
	for _, tok := range []*cardvault.Token{live, otherAcct} {
		s := cardvault.Scope{AccountID: tok.AccountID, Mode: tok.Mode}
		got, err := f.Store.Token(f.Ctx, s, tok.ID)
		noErr(t, "Token", err)
		if got.Used {
			t.Errorf("token %s of another scope became used through a failed attach", tok.ID)
		}
	}
}

func testAttachExpired(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	f.Clock.Set(Epoch.Truncate(time.Millisecond))
	tok := MustToken(t, f.Vault, f.Test, Visa)
	expires := tok.ExpiresAt
	if want := tok.CreatedAt.Add(TokenTTL); !expires.Equal(want) {
		t.Errorf("ExpiresAt = created + %v, want created + the vault's TokenTTL %v", expires.Sub(tok.CreatedAt), TokenTTL)
	}

	att := &cardvault.Attach{TokenID: tok.ID, ExpiredBefore: expires.Add(time.Millisecond)}
	err := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: att, Now: f.Clock.Now()})
	wantCode(t, "UpdateCustomer(ExpiredBefore = expires+1ms)", err, cardvault.ETokenExpired, "")
	err = f.Vault.CreateCustomer(f.Ctx, f.Test, &cardvault.Customer{}, "")
	noErr(t, "CreateCustomer", err)

	f.Clock.Advance(TokenTTL + time.Second)
	err = f.Vault.CreateCustomer(f.Ctx, f.Test, &cardvault.Customer{}, tok.ID)
	wantCode(t, "CreateCustomer(token older than the TTL)", err, cardvault.ETokenExpired, "")

	got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token", err)
	if got.Used {
		t.Errorf("expired token became used through a failed attach")
	}

	// "A token whose ExpiresAt is before this instant has expired": one
	// expiring exactly at ExpiredBefore has not.
	att = &cardvault.Attach{TokenID: tok.ID, ExpiredBefore: expires}
	err = f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: att, Now: f.Clock.Now()})
	noErr(t, "UpdateCustomer(ExpiredBefore = expires)", err)
	wantCardsOf(t, f, c.ID, tok.Card.ID)
}

func testAttachCheckOrder(t *testing.T, f *Fixture) {
	c := MustCustomer(t, f.Vault, f.Test, "")
	used := MustToken(t, f.Vault, f.Test, Visa)
	expired := MustToken(t, f.Vault, f.Test, Visa2)
	MustAttach(t, f.Vault, f.Test, c.ID, used.ID)
	later := Epoch.Add(24 * time.Hour)
	for _, tc := range []struct {
		name  string
		id    string
		code  cardvault.Code
		scope cardvault.Scope
	}{
		{"unknown_beats_expired", "tokn_test_0000000000000000000", cardvault.ENotFound, f.Test},
		{"unknown_beats_used", used.ID, cardvault.ENotFound, f.Live},
		{"used_beats_expired", used.ID, cardvault.EUsedToken, f.Test},
		{"expired", expired.ID, cardvault.ETokenExpired, f.Test},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := c.ID
			if tc.scope != f.Test {
				sc = MustCustomer(t, f.Vault, tc.scope, "").ID
			}
			att := &cardvault.Attach{TokenID: tc.id, ExpiredBefore: later}
			err := f.Store.UpdateCustomer(f.Ctx, tc.scope, sc, cardvault.CustomerUpdate{Attach: att, Now: later})
			wantCode(t, "UpdateCustomer(attach)", err, tc.code, "")
		})
	}
}

func testAttachUpdateAllOrNothing(t *testing.T, f *Fixture) {
	first := MustToken(t, f.Vault, f.Test, Visa)
	c := MustCustomer(t, f.Vault, f.Test, first.ID)
	before := MustGetCustomer(t, f.Store, f.Test, c.ID)
	used := MustToken(t, f.Vault, f.Test, Visa2)
	MustCustomer(t, f.Vault, f.Test, used.ID)
	expired := MustToken(t, f.Vault, f.Test, MasterCard)
	f.Clock.Advance(TokenTTL + time.Minute)
	fresh := MustToken(t, f.Vault, f.Test, Amex)
	strangers := MustToken(t, f.Vault, f.Test, JCB)
	MustCustomer(t, f.Vault, f.Test, strangers.ID)

	change := func(att *cardvault.Attach, def *string) cardvault.CustomerUpdate {
		return cardvault.CustomerUpdate{Email: ptr("new@example.com"), Description: ptr("changed"),
			Metadata: []byte(`{"plan":"gold"}`), Attach: att, DefaultCard: def, Now: f.Clock.Advance(time.Second)}
	}
	for _, tc := range []struct {
		name string
		u    cardvault.CustomerUpdate
		code cardvault.Code
	}{
		{"used_token", change(f.Vault.Attach(used.ID), nil), cardvault.EUsedToken},
		{"expired_token", change(f.Vault.Attach(expired.ID), nil), cardvault.ETokenExpired},
		{"unknown_token", change(f.Vault.Attach("tokn_test_0000000000000000000"), nil), cardvault.ENotFound},
		{"good_token_bad_default", change(f.Vault.Attach(fresh.ID), ptr("card_test_0000000000000000000")), cardvault.ENotFound},
		{"good_token_other_customers_default", change(f.Vault.Attach(fresh.ID), ptr(strangers.Card.ID)), cardvault.ENotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, tc.u)
			wantCode(t, "UpdateCustomer", err, tc.code, "")
			wantSame(t, "customer after a failed UpdateCustomer", MustGetCustomer(t, f.Store, f.Test, c.ID), before)
			wantCardsOf(t, f, c.ID, first.Card.ID)
			for _, tok := range []*cardvault.Token{expired, fresh} {
				got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
				noErr(t, "Token", err)
				if got.Used || got.Card.CustomerID != "" || got.Card.Seq != 0 {
					t.Errorf("token %s after a failed UpdateCustomer: used=%t customer=%q seq=%d, want unused and unattached",
						tok.ID, got.Used, got.Card.CustomerID, got.Card.Seq)
				}
			}
		})
	}
	// The token is still good: the same update without the bad default succeeds.
	noErr(t, "UpdateCustomer(fresh token)", f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, change(f.Vault.Attach(fresh.ID), nil)))
	wantCardsOf(t, f, c.ID, first.Card.ID, fresh.Card.ID)
}

func testAttachCreateAllOrNothing(t *testing.T, f *Fixture) {
	expired := MustToken(t, f.Vault, f.Test, Visa)
	f.Clock.Advance(TokenTTL + time.Minute)
	c := &cardvault.Customer{Email: "x@example.com"}
	err := f.Vault.CreateCustomer(f.Ctx, f.Test, c, expired.ID)
	wantCode(t, "CreateCustomer(expired token)", err, cardvault.ETokenExpired, "")
	_, err = f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
	wantNotFound(t, "Customer after a failed CreateCustomer", err, "customer")
	list, total, err := f.Store.ListCustomers(f.Ctx, f.Test, allWindow(100))
	noErr(t, "ListCustomers", err)
	if total != 0 || len(list) != 0 {
		t.Errorf("ListCustomers after a failed CreateCustomer = %v (total %d), want none", customerIDs(list), total)
	}
}

// testAttachTTLBoundary checks that, at every instant around the end of a
// token's TTL, the vault's GET view of the token (vault.Token) and attaching
// it (vault.Attach through the store) agree on whether it has expired
// (API.md §2.10: GET works "until the TTL has passed", and so does attaching).
func testAttachTTLBoundary(t *testing.T, f *Fixture) {
	created := Epoch.Truncate(time.Millisecond)
	for _, tc := range []struct {
		name string
		age  time.Duration
	}{
		{"ttl_minus_1ms", TokenTTL - time.Millisecond},
		{"ttl", TokenTTL},
		{"ttl_plus_1ms", TokenTTL + time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.Clock.Set(created)
			tok := MustToken(t, f.Vault, f.Test, Visa)
			c := MustCustomer(t, f.Vault, f.Test, "")
			f.Clock.Set(created.Add(tc.age))
			_, getErr := f.Vault.Token(f.Ctx, f.Test, tok.ID)
			attErr := f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok.ID), Now: f.Clock.Now()})
			getExpired := cardvault.ErrorCode(getErr) == cardvault.ENotFound
			attExpired := cardvault.ErrorCode(attErr) == cardvault.ETokenExpired
			if getErr != nil && !getExpired || attErr != nil && !attExpired {
				t.Fatalf("unexpected errors: vault.Token: %v; attach: %v", getErr, attErr)
			}
			if getExpired != attExpired {
				t.Errorf("token aged exactly %v: vault.Token says expired=%t (err %v), attach says expired=%t (err %v); want agreement",
					tc.age, getExpired, getErr, attExpired, attErr)
			}
		})
	}
}

// testAttachExpiryFixedAtCreation: a token expires by the TTL of the vault
// that created it, whatever the TTL of the vault (instance) that reads,
// attaches or purges it.
func testAttachExpiryFixedAtCreation(t *testing.T, f *Fixture) {
	withTTL := func(ttl time.Duration) *vault.Vault {
		v := vault.New(f.Store, f.Vault.Keys, ttl, slog.New(slog.DiscardHandler))
		v.Now = f.Clock.Now
		return v
	}
	minute, hour := withTTL(time.Minute), withTTL(time.Hour)
	short := MustToken(t, minute, f.Test, Visa) // expires after a minute
	long := MustToken(t, hour, f.Test, Visa2)   // expires after an hour
	unused := MustToken(t, hour, f.Test, Amex)  // left for the janitor
	f.Clock.Advance(2 * time.Minute)

	_, err := hour.Token(f.Ctx, f.Test, short.ID)
	wantNotFound(t, "1-hour vault reading a 1-minute token after 2 minutes", err, "token")
	_, err = minute.Token(f.Ctx, f.Test, long.ID)
	noErr(t, "1-minute vault reading a 1-hour token after 2 minutes", err)
	err = hour.CreateCustomer(f.Ctx, f.Test, &cardvault.Customer{}, short.ID)
	wantCode(t, "1-hour vault attaching a 1-minute token after 2 minutes", err, cardvault.ETokenExpired, "")
	err = minute.CreateCustomer(f.Ctx, f.Test, &cardvault.Customer{}, long.ID)
	noErr(t, "1-minute vault attaching a 1-hour token after 2 minutes", err)

	n, err := hour.Purge(f.Ctx)
	noErr(t, "Purge (1-hour vault)", err)
	if n != 1 {
		t.Errorf("the 1-hour vault's janitor destroyed %d cards after 2 minutes, want 1 (the 1-minute token's)", n)
	}
	n, err = minute.Purge(f.Ctx)
	noErr(t, "Purge (1-minute vault)", err)
	if n != 0 {
		t.Errorf("the 1-minute vault's janitor destroyed %d cards after 2 minutes, want 0 (the 1-hour token has not expired)", n)
	}
	_, err = minute.Token(f.Ctx, f.Test, unused.ID)
	noErr(t, "1-minute vault reading an unused 1-hour token after its janitor ran", err)
}
