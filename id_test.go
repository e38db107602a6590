package cardvault_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

func TestNewID(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 15, 30, 0, time.UTC)
	for _, tt := range []struct {
		prefix string
		mode   cardvault.Mode
		re     string
	}{
		{cardvault.PrefixToken, cardvault.Test, `^tokn_test_[0-9a-z]{19}$`},
		{cardvault.PrefixCard, cardvault.Live, `^card_[0-9a-z]{19}$`},
		{cardvault.PrefixCustomer, cardvault.Test, `^cust_test_[0-9a-z]{19}$`},
	} {
		id := cardvault.NewID(tt.prefix, tt.mode, at)
		if !regexp.MustCompile(tt.re).MatchString(id) {
			t.Errorf("NewID = %q, want %s", id, tt.re)
		}
		if m, ok := cardvault.ParseID(tt.prefix, id); !ok || m != tt.mode {
			t.Errorf("ParseID(%q) = %v %v", id, m, ok)
		}
	}
	a := cardvault.NewID("card", cardvault.Test, at)
	b := cardvault.NewID("card", cardvault.Test, at.Add(time.Millisecond))
	if a[10:19] >= b[10:19] {
		t.Errorf("time part does not ascend: %q then %q", a, b)
	}
}

func TestParseID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		ok   bool
		mode cardvault.Mode
	}{
		{"cust_test_0mwq95cww37e3p3e2z8", true, cardvault.Test},
		{"cust_0mwq95cww37e3p3e2z8", true, cardvault.Live},
		{"cust_test_0mwq95cww37e3p3e2z", false, 0},
		{"cust_test_0mwq95cww37e3p3e2z88", false, 0},
		{"cust_test_0MWQ95cww37e3p3e2z8", false, 0},
		{"card_test_0mwq95cww37e3p3e2z8", false, 0},
		{"cust_live_0mwq95cww37e3p3e2z8", false, 0},
		{"", false, 0},
	} {
		m, ok := cardvault.ParseID("cust", tt.id)
		if ok != tt.ok || m != tt.mode {
			t.Errorf("ParseID(%q) = %v %v, want %v %v", tt.id, m, ok, tt.mode, tt.ok)
		}
	}
}

func TestParseKey(t *testing.T) {
	k := cardvault.NewKey(cardvault.PublicKey, cardvault.Test).Reveal()
	if kind, m, ok := cardvault.ParseKey(k); !ok || kind != cardvault.PublicKey || m != cardvault.Test {
		t.Errorf("ParseKey(new test public key) = %v %v %v", kind, m, ok)
	}
	k = cardvault.NewKey(cardvault.SecretKey, cardvault.Live).Reveal()
	if kind, m, ok := cardvault.ParseKey(k); !ok || kind != cardvault.SecretKey || m != cardvault.Live {
		t.Errorf("ParseKey(new live secret key) = %v %v %v", kind, m, ok)
	}
	for _, bad := range []string{"", "pkey_", "pkey_test_short", "xkey_test_" + k[5:], k + "a", k[:len(k)-1] + "A"} {
		if _, _, ok := cardvault.ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("cust_test_0mwq95cww37e3p3e2z8")
	f.Add("cust_")
	f.Add("cust_test_\xff")
	f.Fuzz(func(t *testing.T, id string) {
		m, ok := cardvault.ParseID("cust", id)
		if !ok {
			return
		}
		want := "cust_"
		if m == cardvault.Test {
			want = "cust_test_"
		}
		if len(id) != len(want)+19 || id[:len(want)] != want {
			t.Fatalf("accepted %q as %v", id, m)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(cardvault.NewKey(cardvault.PublicKey, cardvault.Test).Reveal())
	f.Add("skey_x")
	f.Fuzz(func(t *testing.T, key string) {
		if _, _, ok := cardvault.ParseKey(key); ok && !regexp.MustCompile(`^[ps]key_(test_)?[0-9a-z]{32}$`).MatchString(key) {
			t.Fatalf("accepted %q", key)
		}
	})
}
