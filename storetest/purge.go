package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/vault"
)

var purgeTests = []subtest{
	{"ExpiredThenForgotten", testPurge},
	{"Boundary", testPurgeBoundary},
}

// purge runs PurgeTokens as the janitor would at the clock's time.
func purge(t *testing.T, f *Fixture) int {
	t.Helper()
	now := f.Clock.Now()
	n, err := f.Store.PurgeTokens(f.Ctx, now, now.Add(-vault.TombstoneTTL))
	noErr(t, "PurgeTokens", err)
	return n
}

func testPurge(t *testing.T, f *Fixture) {
	expired := MustToken(t, f.Vault, f.Test, Visa)
	expiredB := MustToken(t, f.Vault, f.Other, Visa)
	attached := MustToken(t, f.Vault, f.Test, MasterCard)
	x := MustCustomer(t, f.Vault, f.Test, attached.ID)
	storedCard := MustCard(t, f.Store, f.Test, x.ID, attached.Card.ID)
	f.Clock.Advance(TokenTTL + time.Minute)
	fresh := MustToken(t, f.Vault, f.Test, Amex)
	attach := func(tokenID string, expiredBefore time.Time) error {
		att := &cardvault.Attach{TokenID: tokenID, ExpiredBefore: expiredBefore}
		return f.Store.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Attach: att, Now: f.Clock.Now()})
	}

	t.Run("purge_expired", func(t *testing.T) {
		if n := purge(t, f); n != 2 {
			t.Errorf("PurgeTokens destroyed %d cards, want 2 (one expired unused token in each account)", n)
		}
		for _, tok := range []*cardvault.Token{expired, expiredB} {
			_, err := f.Store.Token(f.Ctx, cardvault.Scope{AccountID: tok.AccountID, Mode: tok.Mode}, tok.ID)
			wantNotFound(t, "Token(purged)", err, "token")
		}
		wantCode(t, "attach(purged token)", attach(expired.ID, f.Vault.Attach(expired.ID).ExpiredBefore), cardvault.ETokenExpired, "")
		// The tombstone answers "expired" even to a caller whose clock says otherwise.
		wantCode(t, "attach(purged token, ExpiredBefore long ago)", attach(expired.ID, Epoch.AddDate(-1, 0, 0)), cardvault.ETokenExpired, "")
		_, err := f.Store.DeleteCard(f.Ctx, f.Test, "", cardvault.Ref{ID: expired.Card.ID})
		wantNotFound(t, "DeleteCard(purged card)", err, "card")

		wantSame(t, "attached card after purge", MustCard(t, f.Store, f.Test, x.ID, attached.Card.ID), storedCard)
		tok, err := f.Store.Token(f.Ctx, f.Test, attached.ID)
		noErr(t, "Token(used) after purge", err)
		if !tok.Used {
			t.Errorf("Token(used).Used = false after purge")
		}
		tok, err = f.Store.Token(f.Ctx, f.Test, fresh.ID)
		noErr(t, "Token(fresh) after purge", err)
		wantSame(t, "fresh token after purge", tok, storedToken(fresh))
		if n := purge(t, f); n != 0 {
			t.Errorf("second PurgeTokens destroyed %d cards, want 0", n)
		}
	})
	t.Run("forget", func(t *testing.T) {
		f.Clock.Advance(vault.TombstoneTTL)
		if n := purge(t, f); n != 1 {
			t.Errorf("PurgeTokens destroyed %d cards, want 1 (the fresh token has expired by now)", n)
		}
		wantCode(t, "attach(tombstone, before forgetBefore)", attach(fresh.ID, f.Vault.Attach(fresh.ID).ExpiredBefore), cardvault.ETokenExpired, "")
		f.Clock.Advance(2 * time.Minute)
		purge(t, f)
		wantNotFound(t, "attach(forgotten token)", attach(expired.ID, f.Vault.Attach(expired.ID).ExpiredBefore), "token")
		wantNotFound(t, "attach(forgotten token, ExpiredBefore long ago)", attach(expired.ID, Epoch.AddDate(-1, 0, 0)), "token")
		_, err := f.Store.Token(f.Ctx, f.Test, attached.ID)
		wantNotFound(t, "Token(used, forgotten)", err, "token")
		// Forgetting a used token leaves its stored card alone.
		wantSame(t, "attached card after its token was forgotten", MustCard(t, f.Store, f.Test, x.ID, attached.Card.ID), storedCard)
		wantCardsOf(t, f, x.ID, attached.Card.ID)
	})
}

// testPurgeBoundary: PurgeTokens goes by each token's ExpiresAt, strictly
// before its arguments.
func testPurgeBoundary(t *testing.T, f *Fixture) {
	f.Clock.Set(Epoch.Truncate(time.Millisecond))
	tok := MustToken(t, f.Vault, f.Test, Visa)
	expires := tok.ExpiresAt
	n, err := f.Store.PurgeTokens(f.Ctx, expires, expires.Add(-vault.TombstoneTTL))
	noErr(t, "PurgeTokens(expiredBefore = expires)", err)
	if n != 0 {
		t.Errorf("PurgeTokens(expiredBefore = expires) destroyed %d cards, want 0 (only tokens expiring before it)", n)
	}
	if _, err := f.Store.Token(f.Ctx, f.Test, tok.ID); err != nil {
		t.Errorf("Token after PurgeTokens(expiredBefore = expires): %v, want it kept", err)
	}
	n, err = f.Store.PurgeTokens(f.Ctx, expires.Add(time.Millisecond), expires.Add(-vault.TombstoneTTL))
	noErr(t, "PurgeTokens(expiredBefore = expires+1ms)", err)
	if n != 1 {
		t.Errorf("PurgeTokens(expiredBefore = expires+1ms) destroyed %d cards, want 1", n)
	}
	n, err = f.Store.PurgeTokens(f.Ctx, expires.Add(time.Millisecond), expires)
	noErr(t, "PurgeTokens(forgetBefore = expires)", err)
	if n != 0 {
		t.Errorf("PurgeTokens on a tombstone destroyed %d cards, want 0", n)
	}
	x := MustCustomer(t, f.Vault, f.Test, "")
	att := &cardvault.Attach{TokenID: tok.ID, ExpiredBefore: expires}
	err = f.Store.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Attach: att, Now: f.Clock.Now()})
	wantCode(t, "attach after PurgeTokens(forgetBefore = expires)", err, cardvault.ETokenExpired, "")
	_, err = f.Store.PurgeTokens(f.Ctx, expires.Add(time.Millisecond), expires.Add(time.Millisecond))
	noErr(t, "PurgeTokens(forgetBefore = expires+1ms)", err)
	err = f.Store.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Attach: att, Now: f.Clock.Now()})
	wantNotFound(t, "attach after PurgeTokens(forgetBefore = expires+1ms)", err, "token")
}
