package iin

import (
	"strings"
	"testing"
)

// Rows taken from the banks-db 0.12.0 JSON files by hand (see NOTICE), not
// from issuers.tsv, so a generator bug shows up here.
var (
	sberbank      = Issuer{Bank: "Sberbank", Country: "ru"}          // ru/sberbank.json: 42765
	bankOfAmerica = Issuer{Bank: "Bank of America", Country: "us"}   // us/bankofamerica.json: 48150
	fubon         = Issuer{Bank: "Taipei Fubon Bank", Country: "tw"} // tw/fubon.json: 481509
	amexUS        = Issuer{Bank: "American Express", Country: "us"}  // us/americanexpress.json: 374190
	gazprombank   = Issuer{Bank: "Gazprombank", Country: "ru"}       // ru/gazprombank.json: 677585
	wellsFargo    = Issuer{Bank: "Wells Fargo", Country: "us"}       // us/wellsfargo.json: 432732
)

// lookupTests seeds FuzzLookup too.
var lookupTests = []struct {
	name   string
	digits string
	want   Issuer
}{
	{"5-digit prefix, full number", "4276500000000000", sberbank},
	{"5-digit prefix exactly", "42765", sberbank},
	{"shorter than any prefix", "4276", Issuer{}},
	{"5-digit entry", "4815010000000000", bankOfAmerica},
	{"longer entry wins over 5-digit one", "4815090000000000", fubon},
	{"6-digit entry exactly", "481509", fubon},
	{"5-digit entry when 6th digit differs", "481508", bankOfAmerica},
	{"longest wins at 67758/677585", "6775850000000000", gazprombank},
	{"67758 alone", "6775800000000000", sberbank},
	{"collision: us/americanexpress after be/", "374190", amexUS},
	{"collision: us/wellsfargo after us/metabank", "4327320000000000", wellsFargo},
	{"Stripe test Visa", "4242424242424242", Issuer{}},
	{"Stripe test Visa 2", "4111111111111111", Issuer{}},
	{"Stripe test MasterCard", "5555555555554444", Issuer{}},
	{"empty", "", Issuer{}},
	{"non-digit", "42765x", Issuer{}},
	{"space inside", "4276 5000 0000 0000", Issuer{}},
	{"leading space", " 42765", Issuer{}},
}

func TestLookup(t *testing.T) {
	for _, tt := range lookupTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lookup(tt.digits); got != tt.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", tt.digits, got, tt.want)
			}
		})
	}
}

func TestEmbeddedTable(t *testing.T) {
	tab, err := parseIssuers(issuersTSV)
	if err != nil {
		t.Fatalf("parseIssuers(issuers.tsv): %v", err)
	}
	// banks-db 0.12.0 lists 17323 prefixes, 43 of them twice.
	if got, want := len(tab.byPrefix), 17280; got != want {
		t.Errorf("table has %d prefixes, want %d", got, want)
	}
	if tab.minLen != 5 || tab.maxLen != 6 {
		t.Errorf("prefix lengths %d..%d, want 5..6", tab.minLen, tab.maxLen)
	}
	for _, is := range tab.issuers {
		if is.Financing != "" || is.Bank != strings.TrimSpace(is.Bank) {
			t.Errorf("issuer %+v: want no financing and a trimmed bank name", is)
		}
	}
}

func TestEmbeddedTableSorted(t *testing.T) {
	prev := ""
	for line := range strings.SplitSeq(issuersTSV, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		prefix, _, _ := strings.Cut(line, "\t")
		if prefix <= prev {
			t.Fatalf("prefix %s follows %s: want strictly increasing", prefix, prev)
		}
		prev = prefix
	}
}

func TestParseIssuersErrors(t *testing.T) {
	tests := []struct{ name, text string }{
		{"empty", ""},
		{"only comments", "# header\n"},
		{"two fields", "42765\tru\n"},
		{"four fields", "42765\tru\tSberbank\tx\n"},
		{"non-digit prefix", "4276x\tru\tSberbank\n"},
		{"empty prefix", "\tru\tSberbank\n"},
		{"upper-case country", "42765\tRU\tSberbank\n"},
		{"three-letter country", "42765\trus\tSberbank\n"},
		{"empty bank", "42765\tru\t\n"},
		{"repeated prefix", "42765\tru\tSberbank\n42765\tru\tSberbank\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseIssuers(tt.text); err == nil {
				t.Errorf("parseIssuers(%q) succeeded, want an error", tt.text)
			}
		})
	}
}

func TestParseIssuersSharesIssuers(t *testing.T) {
	tab, err := parseIssuers("# c\n11111\tru\tA\n222222\tru\tA\n33333\tus\tB\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.byPrefix) != 3 || len(tab.issuers) != 2 {
		t.Errorf("got %d prefixes and %d issuers, want 3 and 2", len(tab.byPrefix), len(tab.issuers))
	}
	if tab.minLen != 5 || tab.maxLen != 6 {
		t.Errorf("prefix lengths %d..%d, want 5..6", tab.minLen, tab.maxLen)
	}
}

func BenchmarkLookup(b *testing.B) {
	Lookup("4") // load the table outside the timing
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			Lookup("4815090000000000")
		}
	})
	b.Run("miss", func(b *testing.B) {
		for b.Loop() {
			Lookup("4242424242424242")
		}
	})
}
