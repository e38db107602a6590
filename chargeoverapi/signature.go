package chargeoverapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/cardvault/cardvault"
)

// signatureHeader is a parsed signature-v1 Authorization header.
type signatureHeader struct {
	publicKey    string
	nonce        string
	rawTimestamp string // as sent: it is part of the signed message
	timestamp    int64
	signature    []byte // decoded from hex (either case)
}

// errBadHeader is any malformed signature header; it never carries input.
var errBadHeader = errors.New("malformed signature header")

// The parameters a signature-v1 header must carry, each exactly once.
const (
	paramPublicKey = "co_public_key"
	paramNonce     = "co_nonce"
	paramTimestamp = "co_timestamp"
	paramMethod    = "co_signature_method"
	paramVersion   = "co_version"
	paramSignature = "co_signature"
)

// parseSignatureHeader reads `ChargeOver name="value" …`: the scheme
// (case-insensitive), then name="value" pairs in any order, separated by
// spaces and/or commas, with optional trailing separators. Values cannot
// contain '"'. Unknown names are ignored; a repeated name is malformed.
func parseSignatureHeader(h string) (signatureHeader, error) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "ChargeOver") {
		return signatureHeader{}, errBadHeader
	}
	params, err := headerParams(rest)
	if err != nil {
		return signatureHeader{}, err
	}
	return checkParams(params)
}

// headerParams splits the pairs after the scheme.
func headerParams(s string) (map[string]string, error) {
	params := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if s == "" {
			return params, nil
		}
		name, rest, ok := strings.Cut(s, `="`)
		if !ok || !validName(name) {
			return nil, errBadHeader
		}
		value, rest, ok := strings.Cut(rest, `"`)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != ',') {
			return nil, errBadHeader
		}
		if _, dup := params[name]; dup {
			return nil, errBadHeader
		}
		params[name] = value
		s = rest
	}
}

// validName accepts parameter names of [a-z0-9_].
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// checkParams validates the six parameters of signature-v1.
func checkParams(p map[string]string) (signatureHeader, error) {
	if p[paramMethod] != "HMAC-SHA256" || p[paramVersion] != "1.0" || p[paramPublicKey] == "" {
		return signatureHeader{}, errBadHeader
	}
	h := signatureHeader{publicKey: p[paramPublicKey], nonce: p[paramNonce], rawTimestamp: p[paramTimestamp]}
	if !validNonce(h.nonce) || !digitsOnly(h.rawTimestamp, 18) {
		return signatureHeader{}, errBadHeader
	}
	h.timestamp, _ = strconv.ParseInt(h.rawTimestamp, 10, 64) // ≤ 18 digits: cannot fail
	sig, err := hex.DecodeString(p[paramSignature])
	if err != nil || len(sig) != sha256.Size {
		return signatureHeader{}, errBadHeader
	}
	h.signature = sig
	return h, nil
}

// validNonce accepts 1–64 chars of [A-Za-z0-9].
func validNonce(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// digitsOnly accepts 1–max ASCII digits.
func digitsOnly(s string, max int) bool {
	return s != "" && len(s) <= max && strings.Trim(s, "0123456789") == ""
}

// sign computes the signature-v1 MAC: HMAC-SHA256 keyed with the secret key
// over public_key || lower(URL) || nonce || timestamp || body.
func sign(secret cardvault.Secret, publicKey, url, nonce, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	for _, part := range []string{publicKey, "||", asciiLower(url), "||", nonce, "||", timestamp, "||"} {
		m.Write([]byte(part))
	}
	m.Write(body)
	return m.Sum(nil)
}

// asciiLower lower-cases A–Z only, as the reference clients do for the
// (ASCII, percent-encoded) URL; other bytes are kept as they are.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
