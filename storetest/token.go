package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/iin"
)

var tokenTests = []subtest{
	{"RoundTrip", testTokenRoundTrip},
	{"Brands", testTokenBrands},
	{"NoSecurityCode", testTokenNoSecurityCode},
	{"Fingerprint", testTokenFingerprint},
	{"OtherScope", testTokenOtherScope},
	{"SealedPAN", testTokenSealedPAN},
}

func testTokenRoundTrip(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token", err)
	wantSame(t, "Token", got, storedToken(tok))

	// Spot checks, so that a failure names the field even if the vault changes.
	c := got.Card
	for _, chk := range []struct {
		field     string
		got, want any
	}{
		{"Used", got.Used, false},
		{"Card.Brand", c.Brand, iin.Visa},
		{"Card.BIN", c.BIN, "424242"},
		{"Card.LastDigits", c.LastDigits, "4242"},
		{"Card.Fingerprint length", len(c.Fingerprint), 44},
		{"Card.ExpMonth", c.ExpMonth, 12},
		{"Card.ExpYear", c.ExpYear, 2035},
		{"Card.Address", c.Address, FullAddress},
		{"Card.CVVChecked", c.CVVChecked, true},
		{"Card.CustomerID", c.CustomerID, ""},
		{"Card.Seq", c.Seq, int64(0)},
		{"Card.Token", c.Token, ""},
		{"CreatedAt", got.CreatedAt.UnixMilli(), Epoch.UnixMilli()},
		{"Card.CreatedAt", c.CreatedAt.UnixMilli(), Epoch.UnixMilli()},
		{"CreatedAt location", got.CreatedAt.Location(), time.UTC},
	} {
		if chk.got != chk.want {
			t.Errorf("Token: %s = %v, want %v", chk.field, chk.got, chk.want)
		}
	}
}

func testTokenBrands(t *testing.T, f *Fixture) {
	for _, tc := range []struct {
		pan       string
		brand     iin.Brand
		bin, last string
	}{
		{Visa, iin.Visa, "424242", "4242"},
		{MasterCard, iin.MasterCard, "555555", "4444"},
		{Amex, iin.AmericanExpress, "378282", "0005"},
		{JCB, iin.JCB, "353011", "0000"},
		{Discover, iin.Discover, "601111", "1117"},
	} {
		t.Run(tc.brand.String(), func(t *testing.T) {
			tok := MustToken(t, f.Vault, f.Test, tc.pan)
			got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
			noErr(t, "Token", err)
			if got.Card.Brand != tc.brand || got.Card.BIN != tc.bin || got.Card.LastDigits != tc.last {
				t.Errorf("Token card = {%v %s %s}, want {%v %s %s}",
					got.Card.Brand, got.Card.BIN, got.Card.LastDigits, tc.brand, tc.bin, tc.last)
			}
			wantSame(t, "Token", got, storedToken(tok))
		})
	}
}

func testTokenNoSecurityCode(t *testing.T, f *Fixture) {
	in := CardInput(MasterCard, "")
	in.Name = "A"
	tok := MustTokenInput(t, f.Vault, f.Test, in, cardvault.Address{})
	got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token", err)
	if got.Card.CVVChecked {
		t.Errorf("Card.CVVChecked = true for a card tokenized without a security code, want false")
	}
	if got.Card.Address.Street1 != "" || got.Card.Address.City != "" {
		t.Errorf("Card.Address = %+v, want unset street and city", got.Card.Address)
	}
	wantSame(t, "Token", got, storedToken(tok))
}

func testTokenFingerprint(t *testing.T, f *Fixture) {
	a := MustToken(t, f.Vault, f.Test, Visa)
	b := MustToken(t, f.Vault, f.Test, Visa)
	c := MustToken(t, f.Vault, f.Test, Visa2)
	fp := func(id string) string {
		tok, err := f.Store.Token(f.Ctx, f.Test, id)
		noErr(t, "Token", err)
		return tok.Card.Fingerprint
	}
	if fa, fb := fp(a.ID), fp(b.ID); fa != fb {
		t.Errorf("fingerprints of one PAN differ: %s vs %s", fa, fb)
	}
	if fa, fc := fp(a.ID), fp(c.ID); fa == fc {
		t.Errorf("fingerprints of two PANs are equal: %s", fa)
	}
	// API.md §2.9: one PAN has one fingerprint per account, in either mode.
	live := MustToken(t, f.Vault, f.Live, Visa)
	other := MustToken(t, f.Vault, f.Other, Visa)
	gl, err := f.Store.Token(f.Ctx, f.Live, live.ID)
	noErr(t, "Token(live)", err)
	gb, err := f.Store.Token(f.Ctx, f.Other, other.ID)
	noErr(t, "Token(account B)", err)
	if fa := fp(a.ID); gl.Card.Fingerprint != fa || gb.Card.Fingerprint == fa {
		t.Errorf("fingerprint of one PAN: test %s, live %s, account B %s; want test = live != account B",
			fa, gl.Card.Fingerprint, gb.Card.Fingerprint)
	}
}

func testTokenOtherScope(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	for _, tc := range []struct {
		name string
		s    cardvault.Scope
		id   string
	}{
		{"live_mode", f.Live, tok.ID},
		{"other_account", f.Other, tok.ID},
		{"other_account_live", cardvault.Scope{AccountID: f.B.ID, Mode: cardvault.Live}, tok.ID},
		{"unknown_id", f.Test, "tokn_test_0000000000000000000"},
		{"card_id", f.Test, tok.Card.ID},
		{"empty_id", f.Test, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Store.Token(f.Ctx, tc.s, tc.id)
			if got != nil {
				t.Errorf("Token returned token %s", got.ID)
			}
			wantNotFound(t, "Token", err, "token")
		})
	}
}

func testTokenSealedPAN(t *testing.T, f *Fixture) {
	tok := MustToken(t, f.Vault, f.Test, Visa)
	other := MustToken(t, f.Vault, f.Test, Visa)
	got, err := f.Store.Token(f.Ctx, f.Test, tok.ID)
	noErr(t, "Token", err)
	c := got.Card
	if string(c.Sealed) == "" || strings.Contains(string(c.Sealed), Visa) {
		t.Fatalf("Card.Sealed is empty or holds the PAN in the clear")
	}
	dk, err := f.Store.DataKey(f.Ctx, f.A.ID, c.KeyVersion)
	noErr(t, "DataKey", err)
	pan, err := f.Vault.Keys.Open(dk, c.ID, c.Sealed)
	if err != nil || string(pan) != Visa {
		t.Errorf("Open(sealed PAN, card id) = %d digits, %v; want the original 16 digits, nil", len(pan), err)
	}
	for _, id := range []string{other.Card.ID, tok.ID, ""} {
		if _, err := f.Vault.Keys.Open(dk, id, c.Sealed); err == nil {
			t.Errorf("Open(sealed PAN) under object id %q succeeded, want an error", id)
		}
	}
	bdk, err := f.Store.CurrentDataKey(f.Ctx, f.B.ID)
	noErr(t, "CurrentDataKey(B)", err)
	if _, err := f.Vault.Keys.Open(bdk, c.ID, c.Sealed); err == nil {
		t.Errorf("Open(sealed PAN) under account B's data key succeeded, want an error")
	}
}
