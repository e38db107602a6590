package omiseapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/omise/omise-go"
	"github.com/omise/omise-go/operations"
)

// TestOmiseGoClient drives every token, customer and card operation of the
// reference client github.com/omise/omise-go v1.7.2 against the server.
func TestOmiseGoClient(t *testing.T) {
	e := newEnv(t)
	c, err := omise.NewClient(e.PK, e.SK)
	if err != nil {
		t.Fatal(err)
	}
	c.Endpoints["https://vault.omise.co"] = e.URL
	c.Endpoints["https://api.omise.co"] = e.URL

	// CreateToken, RetrieveToken.
	tok := &omise.Token{}
	if err := c.Do(tok, &operations.CreateToken{Name: "Somchai Prasert", Number: "4242424242424242",
		ExpirationMonth: 12, ExpirationYear: 2030, SecurityCode: "123", City: "Bangkok", PostalCode: "10240"}); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if tok.Object != "token" || tok.Live || tok.Used || tok.Card == nil || tok.Card.Brand != "Visa" ||
		tok.Card.LastDigits != "4242" || tok.Card.ExpirationMonth != time.December || tok.Card.ExpirationYear != 2030 ||
		tok.Card.Name != "Somchai Prasert" || !tok.Card.SecurityCodeCheck || tok.Card.City != "Bangkok" ||
		tok.Card.PostalCode != "10240" || len(tok.Card.Fingerprint) != 44 || tok.Card.Location != nil || !tok.CreatedAt.Equal(t0) {
		t.Errorf("CreateToken decoded: %+v card %+v", tok, tok.Card)
	}
	got := &omise.Token{}
	if err := c.Do(got, &operations.RetrieveToken{ID: tok.ID}); err != nil {
		t.Fatalf("RetrieveToken: %v", err)
	}
	if got.ID != tok.ID || got.Card.ID != tok.Card.ID || got.Used {
		t.Errorf("RetrieveToken: %+v", got)
	}

	// CreateCustomer with the token.
	cust := &omise.Customer{}
	if err := c.Do(cust, &operations.CreateCustomer{Email: "somchai@example.com", Description: "Somchai",
		Card: tok.ID, Metadata: map[string]any{"answer": 42}}); err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	if cust.Object != "customer" || cust.Email != "somchai@example.com" || cust.Description != "Somchai" ||
		cust.DefaultCard != tok.Card.ID || cust.Cards == nil || cust.Cards.Total != 1 || len(cust.Cards.Data) != 1 ||
		cust.Cards.Data[0].ID != tok.Card.ID || cust.Metadata["answer"] != float64(42) {
		t.Errorf("CreateCustomer decoded: %+v", cust)
	}

	// RetrieveCustomer, ListCustomers.
	rc := &omise.Customer{}
	if err := c.Do(rc, &operations.RetrieveCustomer{CustomerID: cust.ID}); err != nil {
		t.Fatalf("RetrieveCustomer: %v", err)
	}
	if rc.ID != cust.ID || rc.DefaultCard != tok.Card.ID || rc.Cards.Total != 1 {
		t.Errorf("RetrieveCustomer: %+v", rc)
	}
	customers := &omise.CustomerList{}
	if err := c.Do(customers, &operations.ListCustomers{List: operations.List{Limit: 10,
		From: t0.Add(-time.Hour).Add(123 * time.Millisecond), Order: omise.Chronological}}); err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	if customers.Total != 1 || len(customers.Data) != 1 || customers.Data[0].ID != cust.ID || customers.Limit != 10 ||
		customers.Order != omise.Chronological {
		t.Errorf("ListCustomers: %+v", customers)
	}

	// UpdateCustomer: attach a second card, then make it the default, with metadata.
	e.Clock.Advance(time.Second)
	tok2 := &omise.Token{}
	if err := c.Do(tok2, &operations.CreateToken{Name: "SOMCHAI PRASERT", Number: "5555555555554444",
		ExpirationMonth: 1, ExpirationYear: 2031}); err != nil {
		t.Fatalf("CreateToken 2: %v", err)
	}
	if tok2.Card.Brand != "MasterCard" || tok2.Card.SecurityCodeCheck {
		t.Errorf("CreateToken 2: %+v", tok2.Card)
	}
	uc := &omise.Customer{}
	if err := c.Do(uc, &operations.UpdateCustomer{CustomerID: cust.ID, Card: tok2.ID}); err != nil {
		t.Fatalf("UpdateCustomer card: %v", err)
	}
	if uc.Cards.Total != 2 || uc.DefaultCard != tok.Card.ID {
		t.Errorf("UpdateCustomer card: %+v", uc)
	}
	uc = &omise.Customer{} // decoding into the old value would merge metadata maps
	if err := c.Do(uc, &operations.UpdateCustomer{CustomerID: cust.ID, DefaultCard: tok2.Card.ID,
		Metadata: map[string]any{"plan": "gold"}, Email: "new@example.com"}); err != nil {
		t.Fatalf("UpdateCustomer default card: %v", err)
	}
	if uc.DefaultCard != tok2.Card.ID || uc.Metadata["plan"] != "gold" || uc.Metadata["answer"] != nil ||
		uc.Email != "new@example.com" {
		t.Errorf("UpdateCustomer default card: %+v", uc)
	}

	// ListCards, RetrieveCard, UpdateCard.
	cards := &omise.CardList{}
	if err := c.Do(cards, &operations.ListCards{CustomerID: cust.ID, List: operations.List{Limit: 1, Offset: 1}}); err != nil {
		t.Fatalf("ListCards: %v", err)
	}
	if cards.Total != 2 || cards.Limit != 1 || cards.Offset != 1 || len(cards.Data) != 1 || cards.Data[0].ID != tok2.Card.ID {
		t.Errorf("ListCards: %+v", cards)
	}
	card := &omise.Card{}
	if err := c.Do(card, &operations.RetrieveCard{CustomerID: cust.ID, CardID: tok.Card.ID}); err != nil {
		t.Fatalf("RetrieveCard: %v", err)
	}
	if card.ID != tok.Card.ID || card.LastDigits != "4242" || card.Brand != "Visa" || card.Fingerprint != tok.Card.Fingerprint ||
		card.Location == nil || *card.Location != "/customers/"+cust.ID+"/cards/"+tok.Card.ID {
		t.Errorf("RetrieveCard: %+v", card)
	}
	if err := c.Do(card, &operations.UpdateCard{CustomerID: cust.ID, CardID: tok.Card.ID, Name: "New Name",
		City: "Chiang Mai", PostalCode: "50000", ExpirationMonth: 6, ExpirationYear: 2032}); err != nil {
		t.Fatalf("UpdateCard: %v", err)
	}
	if card.Name != "New Name" || card.City != "Chiang Mai" || card.PostalCode != "50000" ||
		card.ExpirationMonth != time.June || card.ExpirationYear != 2032 || card.LastDigits != "4242" {
		t.Errorf("UpdateCard: %+v", card)
	}

	// Errors come back as *omise.Error.
	err = c.Do(card, &operations.UpdateCard{CustomerID: cust.ID, CardID: tok.Card.ID, ExpirationMonth: 13})
	var oe *omise.Error
	if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Code != "invalid_card" ||
		oe.Message != "expiration month is not between 1 and 12 and expiration date is invalid" {
		t.Errorf("UpdateCard month 13: %v", err)
	}
	err = c.Do(&omise.Token{}, &operations.RetrieveToken{ID: "tokn_test_doesnotexist0000"})
	if !errors.As(err, &oe) || oe.StatusCode != 404 || oe.Code != "not_found" {
		t.Errorf("RetrieveToken unknown: %v", err)
	}

	// DestroyCard, DestroyCustomer.
	del := &omise.Deletion{}
	if err := c.Do(del, &operations.DestroyCard{CustomerID: cust.ID, CardID: tok2.Card.ID}); err != nil {
		t.Fatalf("DestroyCard: %v", err)
	}
	if !del.Deleted || del.ID != tok2.Card.ID || del.Object != "card" || del.CreatedAt.IsZero() {
		t.Errorf("DestroyCard: %+v", del)
	}
	if err := c.Do(rc, &operations.RetrieveCustomer{CustomerID: cust.ID}); err != nil {
		t.Fatalf("RetrieveCustomer: %v", err)
	}
	if rc.DefaultCard != tok.Card.ID || rc.Cards.Total != 1 {
		t.Errorf("after DestroyCard: default %q total %d", rc.DefaultCard, rc.Cards.Total)
	}
	del = &omise.Deletion{}
	if err := c.Do(del, &operations.DestroyCustomer{CustomerID: cust.ID}); err != nil {
		t.Fatalf("DestroyCustomer: %v", err)
	}
	if !del.Deleted || del.ID != cust.ID || del.Object != "customer" {
		t.Errorf("DestroyCustomer: %+v", del)
	}
	err = c.Do(rc, &operations.RetrieveCustomer{CustomerID: cust.ID})
	if !errors.As(err, &oe) || oe.StatusCode != 404 || oe.Message != "customer "+cust.ID+" was not found" {
		t.Errorf("RetrieveCustomer after DestroyCustomer: %v", err)
	}
	if err := c.Do(customers, &operations.ListCustomers{}); err != nil || customers.Total != 0 {
		t.Errorf("ListCustomers after DestroyCustomer: %v, total %d", err, customers.Total)
	}
}
