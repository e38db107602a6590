package iin

// span is an IIN range lo–hi. lo and hi have the same length, so comparing the
// first len(lo) digits of a number with them as strings compares them as
// numbers.
type span struct{ lo, hi string }

// one is the span of a single prefix.
func one(p string) span { return span{p, p} }

// rule is one row of the brand table.
type rule struct {
	brand Brand
	spans []span
}

// rules is the IIN column of API.md §2.8, row for row. Detect tries the rows
// top to bottom and the first match wins, so the order matters: 622126–622925
// is Discover only because that row comes before UnionPay's 62.
var rules = []rule{
	{Visa, []span{one("4")}},
	{MasterCard, []span{{"51", "55"}, {"2221", "2720"}}},
	{AmericanExpress, []span{one("34"), one("37")}},
	{DinersClub, []span{{"300", "305"}, one("36"), one("38"), one("39")}},
	{JCB, []span{{"3528", "3589"}}},
	{Discover, []span{one("6011"), {"622126", "622925"}, {"644", "649"}, one("65")}},
	{UnionPay, []span{one("62"), one("81")}},
	{Maestro, []span{one("5018"), one("5020"), one("5038"), one("6304"), one("6759"), {"6761", "6763"}}},
}

// match reports whether digits starts with a number in s. A number shorter
// than the span's width does not match.
func (s span) match(digits string) bool {
	if len(digits) < len(s.lo) {
		return false
	}
	head := digits[:len(s.lo)]
	return s.lo <= head && head <= s.hi
}

// Detect returns the brand of a normalized card number, or of its leading
// digits, by the table of API.md §2.8: rows are tried top to bottom and the
// first matching row wins; a range a–b compares the first len(a) digits
// numerically. A prefix shorter than a range does not match it. Empty input, or
// input holding anything but ASCII digits, is Unknown.
func Detect(digits string) Brand {
	if !isDigits(digits) {
		return Unknown
	}
	for _, r := range rules {
		for _, s := range r.spans {
			if s.match(digits) {
				return r.brand
			}
		}
	}
	return Unknown
}

// Luhn reports whether digits passes the Luhn (mod 10) check. It is false for
// empty input and for input holding anything but ASCII digits.
func Luhn(digits string) bool {
	if !isDigits(digits) {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
