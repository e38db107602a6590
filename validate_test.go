package cardvault_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/iin"
)

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func num(n int64) cardvault.IntInput { return cardvault.IntInput{N: n, Given: true} }
func bad() cardvault.IntInput        { return cardvault.IntInput{Given: true, Invalid: true} }
func absent() cardvault.IntInput     { return cardvault.IntInput{} }
func sec(s string) cardvault.Secret  { return cardvault.NewSecret(s) }

func validInput() cardvault.CardInput {
	return cardvault.CardInput{Name: "JOHN DOE", NameRequired: true, Number: sec("4242 4242 4242 4242"),
		Month: num(12), Year: num(2030), SecurityCode: sec("123")}
}

func TestValidateCardMessages(t *testing.T) {
	tests := []struct {
		name string
		edit func(*cardvault.CardInput)
		want string
	}{
		{"valid", func(*cardvault.CardInput) {}, ""},
		{"luhn fails", func(c *cardvault.CardInput) { c.Number = sec("4242424242424241") }, "number is invalid"},
		{"unknown brand", func(c *cardvault.CardInput) { c.Number = sec("1234567812345678") },
			"number is invalid and brand not supported (unknown)"},
		{"number absent", func(c *cardvault.CardInput) { c.Number = sec("") },
			"number can't be blank and brand not supported (unknown)"},
		{"number only separators", func(c *cardvault.CardInput) { c.Number = sec(" - -") },
			"number can't be blank and brand not supported (unknown)"},
		{"letters in number", func(c *cardvault.CardInput) { c.Number = sec("4242x42424242424") },
			"number is invalid and brand not supported (unknown)"},
		{"too short", func(c *cardvault.CardInput) { c.Number = sec("42424242") }, "number is invalid"},
		{"visa length 17", func(c *cardvault.CardInput) { c.Number = sec("42424242424242428") }, "number is invalid"},
		{"past", func(c *cardvault.CardInput) { c.Month, c.Year = num(1), num(2020) }, "expiration date cannot be in the past"},
		{"this month is valid", func(c *cardvault.CardInput) { c.Month, c.Year = num(11), num(2026) }, ""},
		{"last month", func(c *cardvault.CardInput) { c.Month, c.Year = num(10), num(2026) }, "expiration date cannot be in the past"},
		{"year abc", func(c *cardvault.CardInput) { c.Year = bad() }, "expiration year is invalid"},
		{"year 100", func(c *cardvault.CardInput) { c.Year = num(100) }, "expiration year is invalid"},
		{"year 99", func(c *cardvault.CardInput) { c.Year = num(99) }, ""},
		{"year 10000", func(c *cardvault.CardInput) { c.Year = num(10000) }, "expiration year is invalid"},
		{"month 13", func(c *cardvault.CardInput) { c.Month = num(13) },
			"expiration month is not between 1 and 12 and expiration date is invalid"},
		{"month 0", func(c *cardvault.CardInput) { c.Month = num(0) },
			"expiration month is not between 1 and 12 and expiration date is invalid"},
		{"month absent", func(c *cardvault.CardInput) { c.Month = absent() },
			"expiration month can't be blank and expiration month is not between 1 and 12"},
		{"year absent", func(c *cardvault.CardInput) { c.Year = absent() },
			"expiration year can't be blank and expiration year is invalid"},
		{"month 13 year x", func(c *cardvault.CardInput) { c.Month, c.Year = num(13), bad() },
			"expiration month is not between 1 and 12, expiration year is invalid, and expiration date is invalid"},
		{"month 13 name and number blank", func(c *cardvault.CardInput) { c.Month, c.Name, c.Number = num(13), "", sec("") },
			"expiration month is not between 1 and 12, name can't be blank, expiration date is invalid, number can't be blank, and brand not supported (unknown)"},
		{"name not required", func(c *cardvault.CardInput) { c.Name, c.NameRequired = "", false }, ""},
		{"amex with 3 digits", func(c *cardvault.CardInput) { c.Number = sec("378282246310005") }, "security code is invalid"},
		{"amex with 4 digits", func(c *cardvault.CardInput) { c.Number, c.SecurityCode = sec("378282246310005"), sec("1234") }, ""},
		{"visa with 4 digits", func(c *cardvault.CardInput) { c.SecurityCode = sec("1234") }, "security code is invalid"},
		{"code with letters", func(c *cardvault.CardInput) { c.SecurityCode = sec("12a") }, "security code is invalid"},
		{"expdate malformed", func(c *cardvault.CardInput) { c.ExpDateInvalid = true }, "expiration date is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.edit(&in)
			_, err := cardvault.ValidateCard(in, now)
			got := ""
			if err != nil {
				e := cardvault.AsError(err)
				if e.Code != cardvault.EInvalidCard {
					t.Fatalf("code = %q, want invalid_card", e.Code)
				}
				got = cardvault.JoinClauses(e.Clauses)
			}
			if got != tt.want {
				t.Errorf("message\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestValidateCardDetails(t *testing.T) {
	in := validInput()
	in.Year = num(99)
	d, err := cardvault.ValidateCard(in, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.PAN.Reveal() != "4242424242424242" || d.Brand != iin.Visa || d.ExpMonth != 12 || d.ExpYear != 2099 || !d.CVVChecked {
		t.Errorf("details = %+v (brand %v, pan %d digits)", d, d.Brand, d.PAN.Len())
	}
	in.SecurityCode = sec("")
	if d, _ := cardvault.ValidateCard(in, now); d.CVVChecked {
		t.Error("CVVChecked without a security code")
	}
}

func TestJoinClauses(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"}, {[]string{"a", "b", "c"}, "a, b, and c"}} {
		if got := cardvault.JoinClauses(tt.in); got != tt.want {
			t.Errorf("JoinClauses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpiryUpdate(t *testing.T) {
	tests := []struct {
		name        string
		month, year cardvault.IntInput
		want        string
		wantM       int
		wantY       int
	}{
		{"nothing", absent(), absent(), "", 12, 2030},
		{"year alone", absent(), num(2031), "", 12, 2031},
		{"year alone into past", absent(), num(2025), "expiration date cannot be in the past", 12, 2030},
		{"month 13", num(13), absent(), "expiration month is not between 1 and 12 and expiration date is invalid", 12, 2030},
		{"year bad", absent(), bad(), "expiration year is invalid", 12, 2030},
		{"both", num(3), num(27), "", 3, 2027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &cardvault.Card{ExpMonth: 12, ExpYear: 2030}
			err := cardvault.ValidateExpiryUpdate(c, tt.month, tt.year, now)
			got := ""
			if err != nil {
				got = cardvault.JoinClauses(cardvault.AsError(err).Clauses)
			}
			if got != tt.want || c.ExpMonth != tt.wantM || c.ExpYear != tt.wantY {
				t.Errorf("got %q %d/%d, want %q %d/%d", got, c.ExpMonth, c.ExpYear, tt.want, tt.wantM, tt.wantY)
			}
		})
	}
}

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{"4242 4242-4242 4242": "4242424242424242", "": "", "12 ab": "12ab", "--": ""} {
		if got := cardvault.NormalizeNumber(in); got != want {
			t.Errorf("NormalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzValidateCard: never panics; accepted cards are Luhn-valid digit strings
// of a known brand and allowed length; the message never contains the input.
func FuzzValidateCard(f *testing.F) {
	f.Add("4242 4242 4242 4242", int64(12), int64(2030), "123", "A")
	f.Add("378282246310005", int64(1), int64(99), "1234", "")
	f.Add("", int64(13), int64(-1), "x", " ")
	f.Add("6447032400000000001", int64(0), int64(100000), "", "n")
	f.Fuzz(func(t *testing.T, number string, month, year int64, code, name string) {
		in := cardvault.CardInput{Name: strings.TrimSpace(name), NameRequired: true, Number: sec(number),
			Month: num(month), Year: num(year), SecurityCode: sec(code)}
		d, err := cardvault.ValidateCard(in, now)
		if err != nil {
			msg := cardvault.JoinClauses(cardvault.AsError(err).Clauses)
			if len(number) >= 4 && strings.Contains(msg, number) {
				t.Fatalf("message %q echoes the number", msg)
			}
			return
		}
		pan := d.PAN.Reveal()
		if !iin.Luhn(pan) || d.Brand == iin.Unknown || !d.Brand.ValidLength(len(pan)) {
			t.Fatalf("accepted invalid number (len %d)", len(pan))
		}
		if d.ExpMonth < 1 || d.ExpMonth > 12 || d.ExpYear < 2026 {
			t.Fatalf("accepted expiry %d/%d", d.ExpMonth, d.ExpYear)
		}
	})
}
