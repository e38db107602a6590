package chargeoverapi

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/vault"
)

// Limits of signature-v1 (API.md §3.2).
const (
	maxClockSkew = 300               // seconds: |now − co_timestamp|
	nonceWindow  = 600 * time.Second // a nonce may not repeat within this
)

// authenticate checks the Authorization header (§1.3, §3.2) and returns the
// call's scope. Scheme names are case-insensitive.
func (s *Server) authenticate(r *http.Request) (*call, error) {
	h := r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(h, " ")
	switch {
	case h == "":
		return nil, s.fail(r, nil, vault.AuthNoKey, errMissingAuth)
	case strings.EqualFold(scheme, "Basic"):
		return s.basicAuth(r)
	case strings.EqualFold(scheme, "ChargeOver"):
		return s.signatureAuth(r, h)
	}
	return nil, s.fail(r, nil, vault.AuthNoKey, errMissingAuth)
}

// fail records an authentication failure in the audit trail (vault.AuthFailed:
// key is the presented key's record when it was found, reason one of
// vault.Auth*) and returns err, the answer.
func (s *Server) fail(r *http.Request, key *cardvault.APIKey, reason string, err error) error {
	s.v.AuthFailed(r.Context(), key, reason)
	return err
}

// basicAuth accepts public key as user name and secret key as password, both
// of one pair: the same account and mode.
func (s *Server) basicAuth(r *http.Request) (*call, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return nil, s.fail(r, nil, vault.AuthNoKey, errCredentials)
	}
	pub, err := s.key(r, user, cardvault.PublicKey)
	if err != nil {
		return nil, err
	}
	sec, err := s.key(r, pass, cardvault.SecretKey)
	if err != nil {
		return nil, err
	}
	if pub.AccountID != sec.AccountID || pub.Mode != sec.Mode {
		return nil, s.fail(r, sec, vault.AuthMismatch, errCredentials)
	}
	if err := s.v.Allow(vault.Server, pub, ""); err != nil {
		return nil, err
	}
	return &call{scope: pub.Scope(), key: sec}, nil
}

// key looks a presented key up and checks its kind.
func (s *Server) key(r *http.Request, key string, kind cardvault.KeyKind) (*cardvault.APIKey, error) {
	rec, err := s.v.Authenticate(r.Context(), cardvault.NewSecret(key))
	switch {
	case cardvault.ErrorCode(err) == cardvault.EUnauthorized:
		return nil, s.fail(r, nil, vault.AuthUnknownKey, errCredentials)
	case err != nil:
		return nil, err
	case rec.Kind != kind:
		return nil, s.fail(r, rec, vault.AuthWrongKind, errCredentials)
	}
	return rec, nil
}

// signatureAuth checks a signature-v1 header in the order of §3.2: parse,
// public key, timestamp, signature, nonce. The body is read here (it is
// signed) and kept for the handler.
//
// Rate limits: right after the key lookup, before the body is read and the
// HMAC computed, the request is charged to its client address's bucket of
// unverified signatures; only once the signature is verified is it charged
// to the key's server bucket, so that a third party knowing the public key
// (it ships in browser code) cannot use up the key pair's rate. Both come
// before the nonce costs a durable write, so a refused request can be
// retried with the same signature. The nonce is recorded only after the
// signature has been verified.
func (s *Server) signatureAuth(r *http.Request, header string) (_ *call, err error) {
	sig, err := parseSignatureHeader(header)
	if err != nil {
		return nil, s.fail(r, nil, vault.AuthBadSignature, errSignature)
	}
	rec, err := s.key(r, sig.publicKey, cardvault.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := s.v.Allow(vault.Unverified, nil, httpx.ClientIP(r)); err != nil {
		return nil, err
	}
	now := s.v.Now()
	if d := now.Unix() - sig.timestamp; d > maxClockSkew || d < -maxClockSkew {
		return nil, s.fail(r, rec, vault.AuthBadTimestamp, errTimestamp)
	}
	c := &call{scope: rec.Scope(), key: rec}
	defer func() {
		if err != nil {
			c.done()
		}
	}()
	body, err := c.readBody(r)
	if err != nil {
		return nil, err
	}
	secret, err := s.v.SecretKeyOf(rec)
	if err != nil {
		return nil, cardvault.Internal("open secret key: %w", err)
	}
	if !verify(secret, sig, requestURLs(r), body) {
		return nil, s.fail(r, rec, vault.AuthBadSignature, errSignature)
	}
	if err := s.v.Allow(vault.Server, rec, ""); err != nil {
		return nil, err
	}
	fresh, err := s.v.UseNonce(r.Context(), rec.Hash, sig.nonce, now, now.Add(-nonceWindow))
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, s.fail(r, rec, vault.AuthReplayedNonce, errNonce)
	}
	return c, nil
}

// verify reports whether sig signs body at one of the candidate URLs. Every
// candidate is computed so the time taken does not depend on which matched.
func verify(secret cardvault.Secret, sig signatureHeader, urls []string, body []byte) bool {
	ok := false
	for _, u := range urls {
		want := sign(secret, sig.publicKey, u, sig.nonce, sig.rawTimestamp, body)
		if hmac.Equal(want, sig.signature) {
			ok = true
		}
	}
	return ok
}

// requestURLs rebuilds the URL the client called, with http:// and https://,
// from the Host header and the raw request URI as sent.
func requestURLs(r *http.Request) []string {
	uri := r.RequestURI
	if uri == "" || !strings.HasPrefix(uri, "/") {
		if strings.Contains(uri, "://") { // absolute-form request target: use it as sent
			return []string{uri}
		}
		uri = r.URL.RequestURI()
	}
	return []string{"http://" + r.Host + uri, "https://" + r.Host + uri}
}
