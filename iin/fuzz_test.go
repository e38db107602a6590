package iin

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// refBrands is the brand table of API.md §2.8 as text, copied from the
// document, for a reference Detect that shares no code with the real one.
var refBrands = []struct {
	brand    Brand
	prefixes string
}{
	{Visa, "4"},
	{MasterCard, "51–55, 2221–2720"},
	{AmericanExpress, "34, 37"},
	{DinersClub, "300–305, 36, 38, 39"},
	{JCB, "3528–3589"},
	{Discover, "6011, 622126–622925, 644–649, 65"},
	{UnionPay, "62, 81"},
	{Maestro, "5018, 5020, 5038, 6304, 6759, 6761–6763"},
}

// refDetect compares numbers as integers, as the API.md wording says.
func refDetect(s string) Brand {
	if !refAllDigits(s) {
		return Unknown
	}
	for _, row := range refBrands {
		for item := range strings.SplitSeq(row.prefixes, ", ") {
			a, b, isRange := strings.Cut(item, "–")
			if !isRange {
				b = a
			}
			if len(s) < len(a) {
				continue
			}
			v, _ := strconv.Atoi(s[:len(a)])
			lo, _ := strconv.Atoi(a)
			hi, _ := strconv.Atoi(b)
			if lo <= v && v <= hi {
				return row.brand
			}
		}
	}
	return Unknown
}

func refAllDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// refLuhn is the textbook algorithm, spelled out differently from Luhn.
func refLuhn(s string) bool {
	if !refAllDigits(s) {
		return false
	}
	sum := 0
	for i := range len(s) {
		d, _ := strconv.Atoi(s[len(s)-1-i : len(s)-i])
		if i%2 == 1 {
			for _, c := range strconv.Itoa(2 * d) {
				sum += int(c - '0')
			}
		} else {
			sum += d
		}
	}
	return sum%10 == 0
}

// refIssuers is issuers.tsv read into a plain map, without parseIssuers.
var refIssuers = sync.OnceValue(func() map[string]Issuer {
	m := make(map[string]Issuer)
	for line := range strings.SplitSeq(issuersTSV, "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 && !strings.HasPrefix(line, "#") {
			m[f[0]] = Issuer{Bank: f[2], Country: f[1]}
		}
	}
	return m
})

// refLookup tries every prefix of s, longest first.
func refLookup(s string) Issuer {
	if !refAllDigits(s) {
		return Issuer{}
	}
	m := refIssuers()
	for n := len(s); n > 0; n-- {
		if is, ok := m[s[:n]]; ok {
			return is
		}
	}
	return Issuer{}
}

func TestReferences(t *testing.T) {
	for _, tt := range detectTests {
		if got := refDetect(tt.digits); got != tt.want {
			t.Errorf("refDetect(%q) = %v, want %v", tt.digits, got, tt.want)
		}
	}
	for _, tt := range luhnTests {
		if got := refLuhn(tt.digits); got != tt.want {
			t.Errorf("refLuhn(%q) = %v, want %v", tt.digits, got, tt.want)
		}
	}
	for _, tt := range lookupTests {
		if got := refLookup(tt.digits); got != tt.want {
			t.Errorf("refLookup(%q) = %+v, want %+v", tt.digits, got, tt.want)
		}
	}
}

// TestDetectExhaustive compares Detect with refDetect on every digit string of
// up to 6 digits, the widest range in the table.
func TestDetectExhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("1.1M strings")
	}
	for width := 1; width <= 6; width++ {
		limit := 1
		for range width {
			limit *= 10
		}
		for v := range limit {
			s := strconv.Itoa(v + limit)[1:] // zero-padded to width
			if got, want := Detect(s), refDetect(s); got != want {
				t.Fatalf("Detect(%q) = %v, want %v", s, got, want)
			}
		}
	}
}

func FuzzDetect(f *testing.F) {
	for _, tt := range detectTests {
		f.Add(tt.digits)
	}
	for _, tt := range mustTokenize {
		f.Add(tt.number)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Detect(s)
		if !refAllDigits(s) && got != Unknown {
			t.Fatalf("Detect(%q) = %v, want Unknown for a non-digit string", s, got)
		}
		if want := refDetect(s); got != want {
			t.Fatalf("Detect(%q) = %v, want %v", s, got, want)
		}
		if len(s) > 6 && refAllDigits(s) && Detect(s[:6]) != got {
			t.Fatalf("Detect(%q) = %v but Detect(%q) = %v: only 6 digits should matter", s, got, s[:6], Detect(s[:6]))
		}
	})
}

func FuzzLuhn(f *testing.F) {
	for _, tt := range luhnTests {
		f.Add(tt.digits)
	}
	for _, tt := range mustTokenize {
		f.Add(tt.number)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Luhn(s), refLuhn(s); got != want {
			t.Fatalf("Luhn(%q) = %v, want %v", s, got, want)
		}
	})
}

func FuzzLookup(f *testing.F) {
	for _, tt := range lookupTests {
		f.Add(tt.digits)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Lookup(s)
		if !refAllDigits(s) && got != (Issuer{}) {
			t.Fatalf("Lookup(%q) = %+v, want zero for a non-digit string", s, got)
		}
		if len(s) > 64 {
			s = s[:64] // keep the quadratic reference cheap
			got = Lookup(s)
		}
		if want := refLookup(s); got != want {
			t.Fatalf("Lookup(%q) = %+v, want %+v", s, got, want)
		}
	})
}
