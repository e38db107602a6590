package cardvault

import (
	"time"

	"github.com/cardvault/cardvault/iin"
)

// Card is card data: a token's card before it is attached, a stored card after.
// The PAN exists only sealed; BIN, last digits and the keyed fingerprint are the
// only PAN-derived values kept in the clear.
type Card struct {
	ID          string // card_… (the same before and after attaching)
	AccountID   string
	Mode        Mode
	CustomerID  string // Omise customer id; "" while the card belongs to an unused token
	CustomerSeq int64  // the customer's ChargeOver id; 0 while unattached
	Seq         int64  // ChargeOver creditcard_id; 0 while unattached
	Token       string // ChargeOver object token; "" while unattached

	ExternalKey string // "" when unset
	Brand       iin.Brand
	BIN         string // first 6 digits
	LastDigits  string // last 4 digits
	Fingerprint string // base64 HMAC-SHA256 of the PAN under the account's fingerprint key
	Sealed      []byte // the PAN, sealed with the account's data key
	KeyVersion  int    // version of the data key that sealed it

	Name       string
	ExpMonth   int
	ExpYear    int
	Address    Address
	Bank       string
	Financing  string
	CVVChecked bool   // a well-formed security code was supplied with the card data
	WriteIP    string // remote address of the request that created the card data
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// Address is a card's billing address and phone. "" means unset.
type Address struct {
	Street1, Street2, City, State, PostalCode, Country, Phone string
}

// Stored reports whether the card is attached to a customer.
func (c *Card) Stored() bool { return c.CustomerID != "" }

// Token is a single-use reference to card data, created with a public key.
type Token struct {
	ID        string // tokn_…
	AccountID string
	Mode      Mode
	Used      bool
	CreatedAt time.Time
	// ExpiresAt is fixed when the token is created (CreatedAt plus the token
	// TTL of the vault that created it) and stored with it, so that every
	// instance on a store judges the token by the same instant whatever its
	// own TTL.
	ExpiresAt time.Time
	Card      *Card
}

// Expired reports whether the token has expired at now: a token is valid
// through ExpiresAt inclusive, the same bound attaching uses.
func (t *Token) Expired(now time.Time) bool {
	return now.After(t.ExpiresAt)
}

// Customer holds stored cards. It is shared by both dialects.
type Customer struct {
	ID          string // cust_…
	AccountID   string
	Mode        Mode
	Seq         int64  // ChargeOver customer_id
	Token       string // ChargeOver object token
	ExternalKey string
	Email       string
	Description string // ChargeOver company
	Metadata    []byte // a JSON object, "{}" when empty
	DefaultCard string // card id, "" when none
	Contact     Contact
	CreatedAt   time.Time
	ModifiedAt  time.Time
}

// Contact is the ChargeOver superuser contact of a customer. "" means unset.
type Contact struct {
	Name, FirstName, LastName, Phone string
}

// CustomerUpdate is a change to a customer; nil fields stay as they are.
type CustomerUpdate struct {
	Email       *string
	Description *string
	Metadata    []byte  // nil: unchanged
	Attach      *Attach // a token to add as a card, applied before DefaultCard
	DefaultCard *string // a card of this customer
	Now         time.Time
}

// CardUpdate is a change to a stored card's editable fields (Omise PATCH).
// A store applies it with ApplyCardUpdate inside its write transaction.
type CardUpdate struct {
	Name, PostalCode, City string // "" leaves the field as it is
	ExpMonth, ExpYear      IntInput
	Now                    time.Time // the new ModifiedAt, and the instant expiry is checked at
}

// ApplyCardUpdate returns a copy of current with u applied, or the
// validation error of u's expiry (EInvalidCard; current is unchanged). It is
// pure: the same card and update give the same result in every store.
func ApplyCardUpdate(current *Card, u CardUpdate) (*Card, error) {
	c := *current
	if err := ValidateExpiryUpdate(&c, u.ExpMonth, u.ExpYear, u.Now); err != nil {
		return nil, err
	}
	setIf(&c.Name, u.Name)
	setIf(&c.Address.PostalCode, u.PostalCode)
	setIf(&c.Address.City, u.City)
	c.ModifiedAt = u.Now
	return &c, nil
}

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// CardMerge is what a ChargeOver card POST copies onto the customer's
// existing card with the same number (upsert): each non-nil field was
// present in the request and holds its value.
type CardMerge struct {
	Name, ExternalKey                         *string
	Street1, City, State, PostalCode, Country *string
	CVVChecked                                bool // a security code was given: the new card's check replaces the old
}

// MergeCard returns a copy of existing with fresh's expiry and ModifiedAt
// (always part of a valid request), every field m holds, and, when
// m.CVVChecked, fresh's CVVChecked. It is pure: a store calls it inside its
// write transaction.
func MergeCard(existing, fresh *Card, m CardMerge) *Card {
	e := *existing
	e.ExpMonth, e.ExpYear, e.ModifiedAt = fresh.ExpMonth, fresh.ExpYear, fresh.ModifiedAt
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Name, m.Name)
	set(&e.ExternalKey, m.ExternalKey)
	set(&e.Address.Street1, m.Street1)
	set(&e.Address.City, m.City)
	set(&e.Address.State, m.State)
	set(&e.Address.PostalCode, m.PostalCode)
	set(&e.Address.Country, m.Country)
	if m.CVVChecked {
		e.CVVChecked = fresh.CVVChecked
	}
	return &e
}
