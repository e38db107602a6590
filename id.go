package cardvault

import (
	"crypto/rand"
	"strconv"
	"strings"
	"time"
)

// Object id prefixes of the Omise dialect.
const (
	PrefixToken    = "tokn"
	PrefixCard     = "card"
	PrefixCustomer = "cust"
	PrefixAccount  = "acct"
)

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID returns an Omise-style id: prefix, "_test" for test objects, "_", then
// 9 base-36 chars of creation time in Unix milliseconds and 10 random chars.
func NewID(prefix string, m Mode, now time.Time) string {
	t := strconv.FormatInt(now.UnixMilli(), 36)
	if len(t) < 9 {
		t = strings.Repeat("0", 9-len(t)) + t
	}
	return prefix + modeInfix(m) + "_" + t[len(t)-9:] + RandomString(10)
}

// NewAccountID returns a new account id (accounts have no mode).
func NewAccountID(now time.Time) string { return NewID(PrefixAccount, Live, now) }

// NewObjectToken returns a ChargeOver object token: 12 chars [a-z0-9].
func NewObjectToken() string { return RandomString(12) }

// NewKey returns a new API key of a kind and mode: pkey_test_, skey_test_,
// pkey_ or skey_ followed by 32 random chars [0-9a-z].
func NewKey(k KeyKind, m Mode) Secret {
	p := "skey"
	if k == PublicKey {
		p = "pkey"
	}
	return NewSecret(p + modeInfix(m) + "_" + RandomString(32))
}

func modeInfix(m Mode) string {
	if m == Test {
		return "_test"
	}
	return ""
}

// RandomString returns n uniformly random chars of [0-9a-z] from crypto/rand.
func RandomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails on supported platforms (Go 1.24+)
		for _, b := range buf {
			if b < 252 && len(out) < n { // 252 = 7*36: rejection keeps it uniform
				out = append(out, base36[b%36])
			}
		}
	}
	return string(out)
}

// ParseID checks an Omise object id of the given prefix and returns its mode.
// It accepts exactly prefix + ("_test")? + "_" + 19 chars [0-9a-z].
func ParseID(prefix, id string) (Mode, bool) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return 0, false
	}
	m := Live
	if r, ok := strings.CutPrefix(rest, "_test"); ok {
		m, rest = Test, r
	}
	rest, ok = strings.CutPrefix(rest, "_")
	if !ok || len(rest) != 19 {
		return 0, false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base36, rest[i]) < 0 {
			return 0, false
		}
	}
	return m, true
}

// ParseKey returns the kind and mode of a well-formed API key.
func ParseKey(key string) (KeyKind, Mode, bool) {
	var k KeyKind
	switch {
	case strings.HasPrefix(key, "pkey_"):
		k = PublicKey
	case strings.HasPrefix(key, "skey_"):
		k = SecretKey
	default:
		return 0, 0, false
	}
	rest, m := key[5:], Live
	if r, ok := strings.CutPrefix(rest, "test_"); ok {
		rest, m = r, Test
	}
	if len(rest) != 32 || strings.Trim(rest, base36) != "" {
		return 0, 0, false
	}
	return k, m, true
}
