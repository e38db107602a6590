package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/vault"
)

// Card numbers the suite tokenizes (API.md §2.8 test numbers). The three most
// common ones are spelled as expressions so that a grep for them finds real
// leaks in shipped code, not this test data.
const (
	Visa       = "4242" + "4242" + "4242" + "4242"
	Visa2      = "4111" + "1111" + "1111" + "1111"
	MasterCard = "5555" + "5555" + "5555" + "4444"
	Amex       = "378282246310005"
	JCB        = "3530111333300000"
	Discover   = "6011111111111117"
)

// MustVault returns a vault over s with the test's master key (TestMasterKey),
// the suite's TokenTTL and a Clock stopped at Epoch. A test that opens a
// store again, or a second instance on it, gets the same master key, as an
// operator would give it: the store's audit key opens only under it.
func MustVault(tb testing.TB, s cardvault.Store) (*vault.Vault, *Clock) {
	tb.Helper()
	return MustVaultKey(tb, s, TestMasterKey(tb))
}

// TestMasterKey is a test's master key: SHA-256 of its name, so that every
// test has its own and each call of one test the same.
func TestMasterKey(tb testing.TB) []byte {
	h := sha256.Sum256([]byte("cardvault/storetest/" + tb.Name()))
	return h[:]
}

// MustVaultKey is MustVault with the given master key (for example a random
// one, for a vault whose key is the wrong one).
func MustVaultKey(tb testing.TB, s cardvault.Store, master []byte) (*vault.Vault, *Clock) {
	tb.Helper()
	kr, err := keys.New(master)
	if err != nil {
		tb.Fatalf("keys.New: %v", err)
	}
	v := vault.New(s, kr, TokenTTL, slog.New(slog.DiscardHandler))
	clock := NewClock(Epoch)
	v.Now = clock.Now
	return v, clock
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// MustAccount creates an account with its data key and four API keys.
func MustAccount(tb testing.TB, v *vault.Vault) *vault.Credentials {
	tb.Helper()
	cr, err := v.CreateAccount(tb.Context(), "")
	if err != nil {
		tb.Fatalf("CreateAccount: %v", err)
	}
	return cr
}

// CardInput returns valid Omise token input for pan, expiring 12/2035, with
// security code cvv ("" for none).
func CardInput(pan, cvv string) cardvault.CardInput {
	return cardvault.CardInput{
		Name:         "Somchai Prasert",
		NameRequired: true,
		Number:       cardvault.NewSecret(pan),
		Month:        cardvault.IntInput{N: 12, Given: true},
		Year:         cardvault.IntInput{N: 2035, Given: true},
		SecurityCode: cardvault.NewSecret(cvv),
	}
}

// FullAddress is a billing address with every field set.
var FullAddress = cardvault.Address{
	Street1: "1448/4 Praditmanutham Road", Street2: "Floor 3", City: "Bangkok", State: "Bangkok",
	PostalCode: "10240", Country: "th", Phone: "+66 2 123 4567",
}

// MustToken tokenizes pan in scope s at the vault's current time.
func MustToken(tb testing.TB, v *vault.Vault, s cardvault.Scope, pan string) *cardvault.Token {
	tb.Helper()
	cvv := "123"
	if pan == Amex {
		cvv = "1234"
	}
	return MustTokenInput(tb, v, s, CardInput(pan, cvv), FullAddress)
}

// MustTokenInput tokenizes in with address addr in scope s.
func MustTokenInput(tb testing.TB, v *vault.Vault, s cardvault.Scope, in cardvault.CardInput, addr cardvault.Address) *cardvault.Token {
	tb.Helper()
	tok, err := v.CreateToken(tb.Context(), s, in, addr, "192.0.2.7")
	if err != nil {
		tb.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// MustCustomer creates a customer in scope s with an email, a description and
// metadata, attaching tokenID first unless it is "".
func MustCustomer(tb testing.TB, v *vault.Vault, s cardvault.Scope, tokenID string) *cardvault.Customer {
	tb.Helper()
	c := &cardvault.Customer{Email: "somchai@example.com", Description: "Somchai Prasert", Metadata: []byte(`{"answer":42}`)}
	if err := v.CreateCustomer(tb.Context(), s, c, tokenID); err != nil {
		tb.Fatalf("CreateCustomer(token %q): %v", tokenID, err)
	}
	return c
}

// MustAttach attaches tokenID to customer customerID with UpdateCustomer and
// returns the stored card.
func MustAttach(tb testing.TB, v *vault.Vault, s cardvault.Scope, customerID, tokenID string) *cardvault.Card {
	tb.Helper()
	tok, err := v.Token(tb.Context(), s, tokenID)
	if err != nil {
		tb.Fatalf("Token(%s) before attach: %v", tokenID, err)
	}
	u := cardvault.CustomerUpdate{Attach: v.Attach(tokenID)}
	if err := v.UpdateCustomer(tb.Context(), s, customerID, u); err != nil {
		tb.Fatalf("UpdateCustomer(%s, attach %s): %v", customerID, tokenID, err)
	}
	c, err := v.Card(tb.Context(), s, customerID, tok.Card.ID)
	if err != nil {
		tb.Fatalf("Card(%s, %s) after attach: %v", customerID, tok.Card.ID, err)
	}
	return c
}

// MustStoredToken tokenizes pan and attaches it to customer customerID.
func MustStoredToken(tb testing.TB, v *vault.Vault, s cardvault.Scope, customerID, pan string) *cardvault.Card {
	tb.Helper()
	return MustAttach(tb, v, s, customerID, MustToken(tb, v, s, pan).ID)
}

// MustCard returns a stored card.
func MustCard(tb testing.TB, st cardvault.Store, s cardvault.Scope, customerID, cardID string) *cardvault.Card {
	tb.Helper()
	c, err := st.Card(tb.Context(), s, customerID, cardID)
	if err != nil {
		tb.Fatalf("Card(%s, %s): %v", customerID, cardID, err)
	}
	return c
}

// MustGetCustomer returns a customer by id.
func MustGetCustomer(tb testing.TB, st cardvault.Store, s cardvault.Scope, id string) *cardvault.Customer {
	tb.Helper()
	c, err := st.Customer(tb.Context(), s, cardvault.Ref{ID: id})
	if err != nil {
		tb.Fatalf("Customer(%s): %v", id, err)
	}
	return c
}
