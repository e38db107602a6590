// Package iin knows what the leading digits of a card number say: the card
// brand (API.md §2.8), whether the number passes the Luhn check, and which bank
// and country issued it, as far as the embedded banks-db table knows (§2.9).
//
// Every function takes a normalized number: ASCII digits only, spaces and dashes
// already removed. Anything else is treated as unknown, never as an error.
package iin

// Brand is a card scheme.
type Brand uint8

// The brands of API.md §2.8, in the order of its table.
const (
	// Unknown is the zero Brand: no row of the brand table matches.
	Unknown Brand = iota
	// Visa is Visa.
	Visa
	// MasterCard is Mastercard.
	MasterCard
	// AmericanExpress is American Express.
	AmericanExpress
	// DinersClub is Diners Club.
	DinersClub
	// JCB is JCB.
	JCB
	// Discover is Discover.
	Discover
	// UnionPay is China UnionPay.
	UnionPay
	// Maestro is Maestro.
	Maestro
)

// brandInfo is one brand's row of API.md §2.8, apart from its prefixes.
type brandInfo struct {
	name    string // Omise brand
	code    string // ChargeOver type
	cvvLen  int
	lengths uint32 // bit n set: n digits allowed
}

// lengths returns a bit set of the given lengths.
func lengths(ns ...int) uint32 {
	var m uint32
	for _, n := range ns {
		m |= 1 << n
	}
	return m
}

// upTo returns a bit set of the lengths lo..hi.
func upTo(lo, hi int) uint32 {
	var m uint32
	for n := lo; n <= hi; n++ {
		m |= 1 << n
	}
	return m
}

var brands = [...]brandInfo{
	Unknown:         {},
	Visa:            {"Visa", "visa", 3, lengths(13, 16, 18, 19)},
	MasterCard:      {"MasterCard", "mast", 3, lengths(16)},
	AmericanExpress: {"American Express", "amex", 4, lengths(15)},
	DinersClub:      {"Diners Club", "dine", 3, lengths(14, 16, 19)},
	JCB:             {"JCB", "jcb", 3, upTo(16, 19)},
	Discover:        {"Discover", "disc", 3, upTo(16, 19)},
	UnionPay:        {"UnionPay", "cup", 3, upTo(16, 19)},
	Maestro:         {"Maestro", "maes", 3, upTo(12, 19)},
}

// info returns b's row; values outside the constants get Unknown's empty row.
func (b Brand) info() brandInfo {
	if int(b) < len(brands) {
		return brands[b]
	}
	return brandInfo{}
}

// Name returns the Omise display name ("Visa", "American Express", …), or ""
// for Unknown.
func (b Brand) Name() string { return b.info().name }

// Code returns the ChargeOver type code ("visa", "amex", …), or "" for Unknown.
func (b Brand) Code() string { return b.info().code }

// SecurityCodeLen returns the length of the brand's security code: 4 for
// American Express, 3 for the other brands, and 0 for Unknown, where a caller
// accepts either 3 or 4 digits.
func (b Brand) SecurityCodeLen() int { return b.info().cvvLen }

// ValidLength reports whether a number of n digits is allowed for the brand
// (the Lengths column of API.md §2.8). It is false for every n when b is Unknown.
func (b Brand) ValidLength(n int) bool {
	return n >= 0 && n < 32 && b.info().lengths&(1<<n) != 0
}

// String returns Name, or "unknown" for Unknown.
func (b Brand) String() string {
	if name := b.Name(); name != "" {
		return name
	}
	return "unknown"
}

// BrandFromCode returns the brand whose Code is code (case-sensitive), or
// Unknown when there is none.
func BrandFromCode(code string) Brand {
	if code == "" {
		return Unknown
	}
	for b := range brands {
		if brands[b].code == code {
			return Brand(b)
		}
	}
	return Unknown
}
