package cardvault

import (
	"strings"
	"time"

	"github.com/cardvault/cardvault/iin"
)

// IntInput is an integer request parameter after coercion.
type IntInput struct {
	N       int64
	Given   bool // present and not ""/null
	Invalid bool // present but not an integer
}

// CardInput is raw card data from either dialect, before validation.
type CardInput struct {
	Name           string // trimmed by the caller
	NameRequired   bool   // Omise tokens require a name; ChargeOver does not
	Number         Secret // as given: spaces and dashes are stripped here
	Month, Year    IntInput
	ExpDateInvalid bool   // ChargeOver: expdate given but malformed
	SecurityCode   Secret // "" when absent
}

// CardDetails is validated card data.
type CardDetails struct {
	PAN        Secret // digits only
	Brand      iin.Brand
	ExpMonth   int
	ExpYear    int
	CVVChecked bool // a well-formed security code was given
}

// The invalid_card clauses, in the order they must appear (API.md §2.7).
const (
	ClauseMonthBlank    = "expiration month can't be blank"
	ClauseMonthRange    = "expiration month is not between 1 and 12"
	ClauseNameBlank     = "name can't be blank"
	ClauseYearBlank     = "expiration year can't be blank"
	ClauseYearInvalid   = "expiration year is invalid"
	ClauseDateInvalid   = "expiration date is invalid"
	ClauseDatePast      = "expiration date cannot be in the past"
	ClauseNumberBlank   = "number can't be blank"
	ClauseNumberInvalid = "number is invalid"
	ClauseBrand         = "brand not supported (unknown)"
	ClauseSecurityCode  = "security code is invalid"
)

// ValidateCard checks card input against the rules of API.md §2.7 at time now
// and returns the details, or an EInvalidCard error listing every problem.
func ValidateCard(in CardInput, now time.Time) (CardDetails, error) {
	var c []string
	add := func(ok bool, clause string) {
		if ok {
			c = append(c, clause)
		}
	}
	month, monthOK := ExpMonth(in.Month)
	year, yearOK := ExpYear(in.Year)
	pan := NormalizeNumber(in.Number.Reveal())
	brand := iin.Detect(pan)
	now = now.UTC()

	add(!in.Month.Given, ClauseMonthBlank)
	add(!monthOK, ClauseMonthRange)
	add(in.NameRequired && in.Name == "", ClauseNameBlank)
	add(!in.Year.Given, ClauseYearBlank)
	add(!yearOK, ClauseYearInvalid)
	add((in.Month.Given && !monthOK) || in.ExpDateInvalid, ClauseDateInvalid)
	add(monthOK && yearOK && expired(year, month, now), ClauseDatePast)
	add(pan == "", ClauseNumberBlank)
	add(pan != "" && !validNumber(pan, brand), ClauseNumberInvalid)
	add(brand == iin.Unknown, ClauseBrand)
	cvvGiven := !in.SecurityCode.IsZero()
	add(cvvGiven && !validSecurityCode(in.SecurityCode.Reveal(), brand), ClauseSecurityCode)
	if len(c) > 0 {
		return CardDetails{}, &Error{Code: EInvalidCard, Clauses: c}
	}
	return CardDetails{PAN: NewSecret(pan), Brand: brand, ExpMonth: month, ExpYear: year, CVVChecked: cvvGiven}, nil
}

// JoinClauses joins clauses as "A", "A and B" or "A, B, and C".
func JoinClauses(c []string) string {
	switch len(c) {
	case 0:
		return ""
	case 1:
		return c[0]
	case 2:
		return c[0] + " and " + c[1]
	}
	return strings.Join(c[:len(c)-1], ", ") + ", and " + c[len(c)-1]
}

// ExpMonth returns a valid expiration month (1–12).
func ExpMonth(in IntInput) (int, bool) {
	if !in.Given || in.Invalid || in.N < 1 || in.N > 12 {
		return 0, false
	}
	return int(in.N), true
}

// ExpYear returns a valid four-digit expiration year: 0–99 means 2000–2099,
// 1000–9999 is taken as is, anything else is invalid.
func ExpYear(in IntInput) (int, bool) {
	switch {
	case !in.Given || in.Invalid:
		return 0, false
	case in.N >= 0 && in.N <= 99:
		return 2000 + int(in.N), true
	case in.N >= 1000 && in.N <= 9999:
		return int(in.N), true
	}
	return 0, false
}

// expired reports whether a card expiring at the end of (year, month) has
// expired at now (UTC).
func expired(year, month int, now time.Time) bool {
	return year < now.Year() || (year == now.Year() && month < int(now.Month()))
}

// NormalizeNumber strips spaces and dashes from a card number.
func NormalizeNumber(s string) string {
	if !strings.ContainsAny(s, " -") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '-' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func validNumber(pan string, brand iin.Brand) bool {
	return len(pan) >= 12 && len(pan) <= 19 && allDigits(pan) && iin.Luhn(pan) && brand.ValidLength(len(pan))
}

func validSecurityCode(code string, brand iin.Brand) bool {
	if !allDigits(code) {
		return false
	}
	if n := brand.SecurityCodeLen(); n != 0 {
		return len(code) == n
	}
	return len(code) == 3 || len(code) == 4
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ValidateExpiryUpdate checks a change of expiry on card c: the given month
// and/or year are validated alone and then as the resulting pair at now. On
// success c holds the new values.
func ValidateExpiryUpdate(c *Card, month, year IntInput, now time.Time) error {
	var cl []string
	m, mOK := c.ExpMonth, true
	y, yOK := c.ExpYear, true
	if month.Given {
		m, mOK = ExpMonth(month)
	}
	if year.Given {
		y, yOK = ExpYear(year)
	}
	if !mOK {
		cl = append(cl, ClauseMonthRange)
	}
	if !yOK {
		cl = append(cl, ClauseYearInvalid)
	}
	if !mOK {
		cl = append(cl, ClauseDateInvalid)
	}
	if mOK && yOK && (month.Given || year.Given) && expired(y, m, now.UTC()) {
		cl = append(cl, ClauseDatePast)
	}
	if len(cl) > 0 {
		return &Error{Code: EInvalidCard, Clauses: cl}
	}
	c.ExpMonth, c.ExpYear = m, y
	return nil
}
