package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

var clockTests = []subtest{
	{"ZeroTimeRefused", testZeroTime},
}

// testZeroTime: a write given a zero time (a caller whose clock was left
// unset) fails as internal and stores nothing, rather than writing 1970 or
// year 1.
func testZeroTime(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	x := MustCustomer(t, f.Vault, f.Test, "")
	stored := MustStoredToken(t, f.Vault, f.Test, x.ID, MasterCard)
	before := MustGetCustomer(t, f.Store, f.Test, x.ID)
	good := f.Clock.Now()
	f.Clock.Set(time.Time{})
	card := mustNewCard(t, f, f.Test, coCard{pan: Amex})
	zero := time.Time{}
	email := "changed@example.com"

	wantInternal := func(what string, err error) {
		t.Helper()
		wantCode(t, what, err, cardvault.EInternal, "")
	}
	_, err := f.Vault.CreateToken(f.Ctx, f.Test, CardInput(Visa, "123"), FullAddress, "192.0.2.7")
	wantInternal("CreateToken at a zero time", err)
	c := &cardvault.Customer{Email: "zero@example.com"}
	wantInternal("CreateCustomer at a zero time", f.Vault.CreateCustomer(f.Ctx, f.Test, c, ""))
	if c.ID != "" {
		_, err := f.Store.Customer(f.Ctx, f.Test, cardvault.Ref{ID: c.ID})
		wantNotFound(t, "customer refused for its zero time", err, "customer")
	}
	wantInternal("UpdateCustomer with a zero Now",
		f.Store.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Email: &email}))
	att := &cardvault.Attach{TokenID: tok.ID}
	wantInternal("UpdateCustomer attaching with a zero ExpiredBefore",
		f.Store.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Attach: att, Now: good}))
	_, err = f.Store.UpdateCard(f.Ctx, f.Test, x.ID, stored.ID, cardvault.CardUpdate{Name: "Zero", Now: zero})
	wantInternal("UpdateCard to a zero ModifiedAt", err)
	_, _, err = f.Store.StoreCard(f.Ctx, f.Test, cardvault.Ref{ID: x.ID}, card, cardvault.CardMerge{})
	wantInternal("StoreCard of a card made at a zero time", err)
	_, err = f.Store.PurgeTokens(f.Ctx, zero, zero)
	wantInternal("PurgeTokens at a zero time", err)
	_, err = f.Vault.Purge(f.Ctx)
	wantInternal("Purge with a zero clock (times before 1970)", err)
	_, err = f.Store.UseNonce(f.Ctx, [32]byte{1}, "nonce", zero, zero)
	wantInternal("UseNonce at a zero time", err)
	_, err = f.Vault.CreateAccount(f.Ctx, "zero")
	wantInternal("CreateAccount at a zero time", err)

	f.Clock.Set(good)
	got := MustGetCustomer(t, f.Store, f.Test, x.ID)
	wantSame(t, "customer after refused updates", got, before)
	if c := MustCard(t, f.Store, f.Test, x.ID, stored.ID); c.Name == "Zero" {
		t.Errorf("UpdateCard at a zero time was stored")
	}
	after, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token after a refused attach", err)
	if after.Used {
		t.Errorf("token used by an attach refused for its zero time")
	}
	if n, err := f.Store.CountAccounts(f.Ctx); err != nil || n != 2 {
		t.Errorf("CountAccounts = %d, %v; want the fixture's 2", n, err)
	}
}
