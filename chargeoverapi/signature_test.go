package chargeoverapi

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
)

// TestSignWorkedExamples checks the two worked examples of API.md §3.2.
func TestSignWorkedExamples(t *testing.T) {
	tests := []struct {
		name, url, body, want string
	}{
		{"GET with query", "https://example.chargeover.com/api/v3/creditcard?where=customer_id:EQUALS:1000", "",
			"d7053373e70a6843eb35ab91121cfba7e2de7788df9f1c5d89d06f662847f23e"},
		{"POST with body", "https://example.chargeover.com/api/v3/creditcard",
			`{"customer_id":1000,"number":"4111111111111111","expdate_year":"2030","expdate_month":"05"}`,
			"2b766f55bd272a1f922ce61e0e16ac217d30acb2f9e94d9261eb149082070a73"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sign(cardvault.NewSecret("PRIVKEY"), "PUBKEY", tt.url, "abcd1234", "1700000000", []byte(tt.body))
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("sign = %x, want %s", got, tt.want)
			}
		})
	}
}

// TestSignLowercasesURLOnly checks that only the URL is lower-cased: the
// public key, nonce and body are signed as sent.
func TestSignLowercasesURLOnly(t *testing.T) {
	key := cardvault.NewSecret("PRIVKEY")
	a := sign(key, "PUBKEY", "HTTPS://EXAMPLE.COM/API?X=Y", "abcd1234", "1", []byte("B"))
	b := sign(key, "PUBKEY", "https://example.com/api?x=y", "abcd1234", "1", []byte("B"))
	if string(a) != string(b) {
		t.Error("URL case changed the signature")
	}
	for _, c := range [][]string{{"pubkey", "abcd1234", "B"}, {"PUBKEY", "ABCD1234", "B"}, {"PUBKEY", "abcd1234", "b"}} {
		if string(sign(key, c[0], "https://example.com/api?x=y", c[1], "1", []byte(c[2]))) == string(b) {
			t.Errorf("changing the case of %q did not change the signature", c)
		}
	}
}

const goodSig = "d7053373e70a6843eb35ab91121cfba7e2de7788df9f1c5d89d06f662847f23e"

func header(pairs string) string { return "ChargeOver " + pairs }

var fullPairs = `co_public_key="PUBKEY" co_nonce="abcd1234" co_timestamp="1700000000" ` +
	`co_signature_method="HMAC-SHA256" co_version="1.0" co_signature="` + goodSig + `"`

func TestParseSignatureHeader(t *testing.T) {
	ok := []struct{ name, h string }{
		{"spaces", header(fullPairs)},
		{"commas", header(strings.ReplaceAll(fullPairs, `" `, `",`))},
		{"comma and space", header(strings.ReplaceAll(fullPairs, `" `, `", `))},
		{"trailing space", header(fullPairs) + " "},
		{"trailing comma", header(fullPairs) + ","},
		{"scheme case", "chargeover " + fullPairs},
		{"upper-case hex", header(strings.Replace(fullPairs, goodSig, strings.ToUpper(goodSig), 1))},
		{"other order", header(`co_signature="` + goodSig + `" co_version="1.0" co_signature_method="HMAC-SHA256" ` +
			`co_timestamp="1700000000" co_nonce="abcd1234" co_public_key="PUBKEY"`)},
		{"unknown name ignored", header(fullPairs + ` co_extra="x"`)},
		{"several spaces", header(strings.ReplaceAll(fullPairs, `" `, `"   `))},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseSignatureHeader(tt.h)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if h.publicKey != "PUBKEY" || h.nonce != "abcd1234" || h.timestamp != 1700000000 ||
				h.rawTimestamp != "1700000000" || hex.EncodeToString(h.signature) != goodSig {
				t.Errorf("got %+v", h)
			}
		})
	}
	bad := []struct{ name, h string }{
		{"no pairs", "ChargeOver"},
		{"empty pairs", "ChargeOver "},
		{"other scheme", "Bearer " + fullPairs},
		{"missing public key", header(strings.Replace(fullPairs, `co_public_key="PUBKEY" `, "", 1))},
		{"empty public key", header(strings.Replace(fullPairs, `"PUBKEY"`, `""`, 1))},
		{"missing nonce", header(strings.Replace(fullPairs, `co_nonce="abcd1234" `, "", 1))},
		{"nonce with dash", header(strings.Replace(fullPairs, "abcd1234", "abcd-1234", 1))},
		{"nonce too long", header(strings.Replace(fullPairs, "abcd1234", strings.Repeat("a", 65), 1))},
		{"timestamp not digits", header(strings.Replace(fullPairs, "1700000000", "17e8", 1))},
		{"negative timestamp", header(strings.Replace(fullPairs, "1700000000", "-1", 1))},
		{"timestamp too long", header(strings.Replace(fullPairs, "1700000000", strings.Repeat("9", 19), 1))},
		{"method", header(strings.Replace(fullPairs, "HMAC-SHA256", "HMAC-SHA1", 1))},
		{"method case", header(strings.Replace(fullPairs, "HMAC-SHA256", "hmac-sha256", 1))},
		{"version", header(strings.Replace(fullPairs, `"1.0"`, `"2.0"`, 1))},
		{"signature not hex", header(strings.Replace(fullPairs, goodSig, "zz"+goodSig[2:], 1))},
		{"signature short", header(strings.Replace(fullPairs, goodSig, goodSig[:62], 1))},
		{"signature odd", header(strings.Replace(fullPairs, goodSig, goodSig[:63], 1))},
		{"duplicate", header(fullPairs + ` co_nonce="abcd1234"`)},
		{"unquoted", header(strings.Replace(fullPairs, `"PUBKEY"`, `PUBKEY`, 1))},
		{"unterminated", header(strings.TrimSuffix(fullPairs, `"`))},
		{"no separator", header(strings.Replace(fullPairs, `" co_nonce`, `"co_nonce`, 1))},
		{"bad name", header(`Co_Public_Key="PUBKEY" ` + fullPairs)},
		{"garbage", header(fullPairs + ` ;`)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if h, err := parseSignatureHeader(tt.h); err == nil {
				t.Errorf("parsed %+v, want error", h)
			}
		})
	}
}

// FuzzSignatureHeader checks that the parser never panics, that whatever it
// accepts satisfies the rules of §3.2, and that an accepted header rendered
// back in canonical form parses to the same values.
func FuzzSignatureHeader(f *testing.F) {
	f.Add(header(fullPairs))
	f.Add(header(strings.ReplaceAll(fullPairs, `" `, `",`)) + " ")
	f.Add("ChargeOver")
	f.Add(`ChargeOver a="b",,c="d"`)
	f.Add(`chargeover co_nonce="x" co_nonce="y"`)
	f.Fuzz(func(t *testing.T, h string) {
		got, err := parseSignatureHeader(h)
		if err != nil {
			return
		}
		if got.publicKey == "" || !validNonce(got.nonce) || !digitsOnly(got.rawTimestamp, 18) || len(got.signature) != 32 {
			t.Fatalf("accepted invalid header: %+v", got)
		}
		canon := header(`co_public_key="` + got.publicKey + `" co_nonce="` + got.nonce + `" co_timestamp="` +
			got.rawTimestamp + `" co_signature_method="HMAC-SHA256" co_version="1.0" co_signature="` +
			hex.EncodeToString(got.signature) + `"`)
		again, err := parseSignatureHeader(canon)
		if err != nil || again.publicKey != got.publicKey || again.nonce != got.nonce ||
			again.timestamp != got.timestamp || string(again.signature) != string(got.signature) {
			t.Fatalf("round trip of %q: %+v, %v", canon, again, err)
		}
	})
}
