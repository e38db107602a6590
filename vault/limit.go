package vault

import (
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/ratelimit"
)

// Allow charges one request to an authenticated key (ERateLimited when its
// rate is exceeded). Dialects call it right after authentication.
func (v *Vault) Allow(rec *cardvault.APIKey) error {
	if ok, wait := v.Limiter.Allow(rec.Hash, time.Now()); !ok {
		return &cardvault.Error{Code: cardvault.ERateLimited, RetryAfter: ratelimit.RetryAfter(wait)}
	}
	return nil
}
