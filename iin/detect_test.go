package iin

import "testing"

// detectTests covers every row of API.md §2.8 and both sides of every range
// boundary. It also seeds FuzzDetect.
var detectTests = []struct {
	name   string
	digits string
	want   Brand
}{
	{"empty", "", Unknown},
	{"single zero", "0", Unknown},
	{"1 prefix", "1234567812345678", Unknown},

	{"visa 4", "4", Visa},
	{"visa 49", "49", Visa},
	{"3 alone", "3", Unknown},
	{"5 alone", "5", Unknown},

	{"50 not MC", "50", Unknown},
	{"51 MC", "51", MasterCard},
	{"53 MC", "5300", MasterCard},
	{"55 MC", "55", MasterCard},
	{"56 not MC", "56", Unknown},
	{"2220 not MC", "2220", Unknown},
	{"2221 MC", "2221", MasterCard},
	{"2500 MC", "2500000000000000", MasterCard},
	{"2720 MC", "2720", MasterCard},
	{"2721 not MC", "2721", Unknown},
	{"222 too short for 2221", "222", Unknown},
	{"27 too short for 2720", "27", Unknown},

	{"33 not amex", "33", Unknown},
	{"34 amex", "34", AmericanExpress},
	{"37 amex", "37", AmericanExpress},
	{"35 too short for JCB", "35", Unknown},

	{"299 not diners", "299", Unknown},
	{"300 diners", "300", DinersClub},
	{"303 diners", "303", DinersClub},
	{"305 diners", "305", DinersClub},
	{"306 not diners", "306", Unknown},
	{"309 not diners", "309", Unknown},
	{"30 too short", "30", Unknown},
	{"36 diners", "36", DinersClub},
	{"38 diners", "38", DinersClub},
	{"39 diners", "39", DinersClub},

	{"3527 not JCB", "3527", Unknown},
	{"3528 JCB", "3528", JCB},
	{"3566 JCB", "3566", JCB},
	{"3589 JCB", "3589", JCB},
	{"3590 not JCB", "3590", Unknown},
	{"352 too short", "352", Unknown},

	{"6010 not discover", "6010", Unknown},
	{"6011 discover", "6011", Discover},
	{"6012 not discover", "6012", Unknown},
	{"601 too short", "601", Unknown},
	{"622125 unionpay", "622125", UnionPay},
	{"622126 discover", "622126", Discover},
	{"622500 discover", "6225000000000000", Discover},
	{"622925 discover", "622925", Discover},
	{"622926 unionpay", "622926", UnionPay},
	{"62212 shorter than range is unionpay", "62212", UnionPay},
	{"643 not discover", "643", Unknown},
	{"644 discover", "644", Discover},
	{"649 discover", "649", Discover},
	{"64 too short", "64", Unknown},
	{"65 discover", "65", Discover},
	{"659 discover", "659", Discover},
	{"66 not discover", "66", Unknown},

	{"62 unionpay", "62", UnionPay},
	{"621 unionpay", "621", UnionPay},
	{"61 not unionpay", "61", Unknown},
	{"63 not unionpay", "63", Unknown},
	{"80 not unionpay", "80", Unknown},
	{"81 unionpay", "81", UnionPay},
	{"82 not unionpay", "82", Unknown},
	{"8 too short", "8", Unknown},

	{"5017 not maestro", "5017", Unknown},
	{"5018 maestro", "5018", Maestro},
	{"5019 not maestro", "5019", Unknown},
	{"5020 maestro", "5020", Maestro},
	{"5021 not maestro", "5021", Unknown},
	{"5037 not maestro", "5037", Unknown},
	{"5038 maestro", "5038", Maestro},
	{"5039 not maestro", "5039", Unknown},
	{"6303 not maestro", "6303", Unknown},
	{"6304 maestro", "6304", Maestro},
	{"6305 not maestro", "6305", Unknown},
	{"6758 not maestro", "6758", Unknown},
	{"6759 maestro", "6759", Maestro},
	{"6760 not maestro", "6760", Unknown},
	{"6761 maestro", "6761", Maestro},
	{"6762 maestro", "6762", Maestro},
	{"6763 maestro", "6763", Maestro},
	{"6764 not maestro", "6764", Unknown},
	{"501 too short", "501", Unknown},
	{"5018 long", "501800000000", Maestro},

	{"letter after visa prefix", "4a", Unknown},
	{"leading space", " 4242424242424242", Unknown},
	{"trailing newline", "4242424242424242\n", Unknown},
	{"inner space", "4242 4242 4242 4242", Unknown},
	{"dash", "4242-4242-4242-4242", Unknown},
	{"fullwidth digit", "４242", Unknown},
	{"arabic-indic digit", "٤242", Unknown},
	{"NUL", "4\x00", Unknown},
}

func TestDetect(t *testing.T) {
	for _, tt := range detectTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.digits); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.digits, got, tt.want)
			}
		})
	}
}

// mustTokenize are the numbers of API.md §2.8 that must tokenize.
var mustTokenize = []struct {
	number string
	want   Brand
}{
	{"4242424242424242", Visa},
	{"4111111111111111", Visa},
	{"5555555555554444", MasterCard},
	{"5454545454545454", MasterCard},
	{"378282246310005", AmericanExpress},
	{"36021042000004", DinersClub},
	{"3530111333300000", JCB},
	{"3566111111111113", JCB},
	{"6011111111111117", Discover},
	{"6447032400000000001", Discover},
	{"6250947000000006", UnionPay},
}

func TestMustTokenize(t *testing.T) {
	for _, tt := range mustTokenize {
		t.Run(tt.number, func(t *testing.T) {
			if got := Detect(tt.number); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.number, got, tt.want)
			}
			if !Luhn(tt.number) {
				t.Errorf("Luhn(%q) = false, want true", tt.number)
			}
			if !tt.want.ValidLength(len(tt.number)) {
				t.Errorf("%v.ValidLength(%d) = false, want true", tt.want, len(tt.number))
			}
		})
	}
}

// TestRulesWellFormed guards the assumption that makes string comparison
// numeric: both ends of a span are digit strings of one length.
func TestRulesWellFormed(t *testing.T) {
	for _, r := range rules {
		for _, s := range r.spans {
			if !isDigits(s.lo) || !isDigits(s.hi) || len(s.lo) != len(s.hi) || s.lo > s.hi {
				t.Errorf("%v: bad span %q–%q", r.brand, s.lo, s.hi)
			}
		}
	}
}

// luhnTests seeds FuzzLuhn too.
var luhnTests = []struct {
	name   string
	digits string
	want   bool
}{
	{"empty", "", false},
	{"zero", "0", true},
	{"one", "1", false},
	{"18", "18", true},
	{"59", "59", true},
	{"classic valid", "79927398713", true},
	{"classic check digit off", "79927398710", false},
	{"visa check digit off", "4242424242424241", false},
	{"adjacent swap caught", "4242424242424224", false},
	{"09 valid", "4090000000000060", true},
	{"09 to 90 swap not caught", "4900000000000060", true}, // Luhn's known blind spot
	{"one digit changed", "4111111111111121", false},
	{"all zeros", "0000000000000000", true},
	{"nines", "99999999999999999999999999999999999999999999999999999", false},
	{"space", "4242 4242 4242 4242", false},
	{"dash", "4242-4242-4242-4242", false},
	{"letter", "424242424242424x", false},
	{"sign", "+0", false},
	{"fullwidth", "４", false},
}

func TestLuhn(t *testing.T) {
	for _, tt := range luhnTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Luhn(tt.digits); got != tt.want {
				t.Errorf("Luhn(%q) = %v, want %v", tt.digits, got, tt.want)
			}
		})
	}
}

func BenchmarkDetect(b *testing.B) {
	for b.Loop() {
		Detect("6250947000000006")
	}
}

func BenchmarkLuhn(b *testing.B) {
	for b.Loop() {
		Luhn("6447032400000000001")
	}
}
