package vault

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// TestOneClock: the times the vault hands the store come from its Now, even
// when a caller leaves CustomerUpdate.Now unset (once written as 1970).
func TestOneClock(t *testing.T) {
	v := mustVault(t)
	now := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	v.Now = func() time.Time { return now }
	cr, err := v.CreateAccount(t.Context(), "clock")
	if err != nil {
		t.Fatal(err)
	}
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	c := &cardvault.Customer{Email: "a@example.com"}
	if err := v.CreateCustomer(t.Context(), s, c, ""); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	email := "b@example.com"
	if err := v.UpdateCustomer(t.Context(), s, c.ID, cardvault.CustomerUpdate{Email: &email}); err != nil {
		t.Fatal(err)
	}
	got, err := v.Customer(t.Context(), s, cardvault.Ref{ID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(now.Add(-time.Hour)) || !got.ModifiedAt.Equal(now) {
		t.Errorf("created %v modified %v; want %v and %v from the vault's clock",
			got.CreatedAt, got.ModifiedAt, now.Add(-time.Hour), now)
	}
}
