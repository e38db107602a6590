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
	Card      *Card
}

// Expired reports whether an unused token's TTL has passed at now: a token
// is valid through created+ttl inclusive, the same bound attaching uses.
func (t *Token) Expired(now time.Time, ttl time.Duration) bool {
	return now.After(t.CreatedAt.Add(ttl))
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
