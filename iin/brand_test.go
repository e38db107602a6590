package iin

import "testing"

func TestBrandFields(t *testing.T) {
	tests := []struct {
		brand  Brand
		name   string
		code   string
		cvv    int
		String string
	}{
		{Unknown, "", "", 0, "unknown"},
		{Visa, "Visa", "visa", 3, "Visa"},
		{MasterCard, "MasterCard", "mast", 3, "MasterCard"},
		{AmericanExpress, "American Express", "amex", 4, "American Express"},
		{DinersClub, "Diners Club", "dine", 3, "Diners Club"},
		{JCB, "JCB", "jcb", 3, "JCB"},
		{Discover, "Discover", "disc", 3, "Discover"},
		{UnionPay, "UnionPay", "cup", 3, "UnionPay"},
		{Maestro, "Maestro", "maes", 3, "Maestro"},
		{Brand(200), "", "", 0, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.String, func(t *testing.T) {
			if got := tt.brand.Name(); got != tt.name {
				t.Errorf("Brand(%d).Name() = %q, want %q", tt.brand, got, tt.name)
			}
			if got := tt.brand.Code(); got != tt.code {
				t.Errorf("Brand(%d).Code() = %q, want %q", tt.brand, got, tt.code)
			}
			if got := tt.brand.SecurityCodeLen(); got != tt.cvv {
				t.Errorf("Brand(%d).SecurityCodeLen() = %d, want %d", tt.brand, got, tt.cvv)
			}
			if got := tt.brand.String(); got != tt.String {
				t.Errorf("Brand(%d).String() = %q, want %q", tt.brand, got, tt.String)
			}
		})
	}
}

func TestBrandFromCode(t *testing.T) {
	for b := Visa; b <= Maestro; b++ {
		if got := BrandFromCode(b.Code()); got != b {
			t.Errorf("BrandFromCode(%q) = %v, want %v", b.Code(), got, b)
		}
	}
	for _, code := range []string{"", "unknown", "VISA", "Visa", "mastercard", "amex ", "unionpay", "maestro"} {
		if got := BrandFromCode(code); got != Unknown {
			t.Errorf("BrandFromCode(%q) = %v, want Unknown", code, got)
		}
	}
}

func TestValidLength(t *testing.T) {
	tests := []struct {
		brand Brand
		valid []int
	}{
		{Unknown, nil},
		{Visa, []int{13, 16, 18, 19}},
		{MasterCard, []int{16}},
		{AmericanExpress, []int{15}},
		{DinersClub, []int{14, 16, 19}},
		{JCB, []int{16, 17, 18, 19}},
		{Discover, []int{16, 17, 18, 19}},
		{UnionPay, []int{16, 17, 18, 19}},
		{Maestro, []int{12, 13, 14, 15, 16, 17, 18, 19}},
	}
	for _, tt := range tests {
		t.Run(tt.brand.String(), func(t *testing.T) {
			want := make(map[int]bool)
			for _, n := range tt.valid {
				want[n] = true
			}
			for n := -2; n <= 40; n++ {
				if got := tt.brand.ValidLength(n); got != want[n] {
					t.Errorf("%v.ValidLength(%d) = %v, want %v", tt.brand, n, got, want[n])
				}
			}
		})
	}
}

func TestValidLengthExtremes(t *testing.T) {
	for _, n := range []int{-1 << 31, -64, -1, 32, 63, 64, 1 << 31} {
		if Maestro.ValidLength(n) {
			t.Errorf("Maestro.ValidLength(%d) = true, want false", n)
		}
	}
}
