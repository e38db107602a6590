package vault

import (
	"crypto/sha256"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/ratelimit"
)

// Traffic is a class of requests with rate-limit buckets of its own, so that
// one class cannot use up another's: a ChargeOver sync job sharing a key
// pair with a checkout page cannot make POST /tokens answer 429.
type Traffic byte

const (
	// Browser is tokenization with a public key (Omise /tokens…), charged
	// to the key and to the client's address.
	Browser Traffic = 'b'
	// Server is server-to-server traffic: Omise secret-key routes and
	// ChargeOver.
	Server Traffic = 's'
	// Unverified is ChargeOver signature-v1 requests before their signature
	// is checked, charged to the client's address only.
	Unverified Traffic = 'u'
)

// Allow charges one request of class t to its buckets, all or none: the
// key's bucket of that class when rec is not nil, and the client address's
// bucket of that class when addr is not "". It fails with ERateLimited when
// any of them is empty. Dialects call it right after the key lookup, before
// reading the body.
func (v *Vault) Allow(t Traffic, rec *cardvault.APIKey, addr string) error {
	keys := make([][32]byte, 0, 2)
	if rec != nil {
		keys = append(keys, bucketKey(t, 'k', rec.Hash[:]))
	}
	if addr != "" {
		keys = append(keys, bucketKey(t, 'a', ratelimit.AddressKey(addr)))
	}
	if ok, wait := v.Limiter.Allow(v.Now(), keys...); !ok {
		return &cardvault.Error{Code: cardvault.ERateLimited, RetryAfter: ratelimit.RetryAfter(wait)}
	}
	return nil
}

// bucketKey names the bucket of class t for what (k: a key hash, a: an
// address), so that classes and kinds never share a bucket.
func bucketKey(t Traffic, kind byte, id []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{byte(t), kind})
	h.Write(id)
	var k [32]byte
	h.Sum(k[:0])
	return k
}
