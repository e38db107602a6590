package cardvault_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// storedCard is a stored card with every field set, for the pure updates.
func storedCard() *cardvault.Card {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &cardvault.Card{ID: "card_test_1", AccountID: "acct_1", Mode: cardvault.Test, CustomerID: "cust_test_1",
		CustomerSeq: 7, Seq: 9, Token: "abcdefabcdef", ExternalKey: "ck-1", BIN: "424242", LastDigits: "4242",
		Fingerprint: "fp", Sealed: []byte("sealed"), KeyVersion: 2, Name: "OLD", ExpMonth: 12, ExpYear: 2030,
		Address:    cardvault.Address{Street1: "1 Road", City: "Bangkok", State: "BKK", PostalCode: "10110", Country: "th"},
		CVVChecked: true, WriteIP: "192.0.2.1", CreatedAt: t0, ModifiedAt: t0}
}

func TestApplyCardUpdate(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cur := storedCard()
	orig := *cur
	got, err := cardvault.ApplyCardUpdate(cur, cardvault.CardUpdate{Name: "NEW", City: "Chiang Mai",
		ExpMonth: cardvault.IntInput{N: 3, Given: true}, Now: now})
	if err != nil {
		t.Fatalf("ApplyCardUpdate: %v", err)
	}
	want := orig
	want.Name, want.Address.City, want.ExpMonth, want.ModifiedAt = "NEW", "Chiang Mai", 3, now
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("ApplyCardUpdate = %+v, want %+v", got, &want)
	}
	if !reflect.DeepEqual(cur, &orig) {
		t.Errorf("ApplyCardUpdate changed its argument")
	}
	_, err = cardvault.ApplyCardUpdate(cur, cardvault.CardUpdate{Name: "NEW",
		ExpMonth: cardvault.IntInput{N: 1, Given: true}, ExpYear: cardvault.IntInput{N: 2026, Given: true}, Now: now})
	if e, ok := err.(*cardvault.Error); !ok || e.Code != cardvault.EInvalidCard || !reflect.DeepEqual(e.Clauses, []string{cardvault.ClauseDatePast}) {
		t.Errorf("ApplyCardUpdate(past expiry) = %v, want EInvalidCard (date in the past)", err)
	}
	if !reflect.DeepEqual(cur, &orig) {
		t.Errorf("a refused ApplyCardUpdate changed its argument")
	}
}

func TestMergeCard(t *testing.T) {
	later := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	fresh := &cardvault.Card{ID: "card_test_2", Name: "FRESH", ExternalKey: "ck-2", ExpMonth: 5, ExpYear: 2036,
		Address:    cardvault.Address{Street1: "2 Lane", City: "Phuket", State: "PKT", PostalCode: "83000", Country: "us"},
		CVVChecked: false, ModifiedAt: later}
	empty, city := "", "Khon Kaen"
	for _, tc := range []struct {
		name string
		m    cardvault.CardMerge
		edit func(*cardvault.Card)
	}{
		{"expiry only", cardvault.CardMerge{}, func(*cardvault.Card) {}},
		{"fields given", cardvault.CardMerge{Name: &empty, City: &city, Country: &empty},
			func(c *cardvault.Card) { c.Name, c.Address.City, c.Address.Country = "", "Khon Kaen", "" }},
		{"every field", cardvault.CardMerge{Name: &fresh.Name, ExternalKey: &fresh.ExternalKey, Street1: &fresh.Address.Street1,
			City: &fresh.Address.City, State: &fresh.Address.State, PostalCode: &fresh.Address.PostalCode,
			Country: &fresh.Address.Country, CVVChecked: true},
			func(c *cardvault.Card) {
				c.Name, c.ExternalKey, c.Address, c.CVVChecked = fresh.Name, fresh.ExternalKey, fresh.Address, false
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			existing := storedCard()
			orig := *existing
			got := cardvault.MergeCard(existing, fresh, tc.m)
			want := orig
			want.ExpMonth, want.ExpYear, want.ModifiedAt = 5, 2036, later
			tc.edit(&want)
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("MergeCard = %+v, want %+v", got, &want)
			}
			if !reflect.DeepEqual(existing, &orig) {
				t.Errorf("MergeCard changed its argument")
			}
		})
	}
}
