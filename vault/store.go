package vault

import (
	"context"
	"time"

	"github.com/cardvault/cardvault"
)

// The writes and checks below are the Store's, reached through the vault so
// that a dialect never holds the Store. Times a write records come from the
// vault's clock (Now). Errors are the Store's, documented on cardvault.Store.

// CountAccounts returns the number of accounts.
func (v *Vault) CountAccounts(ctx context.Context) (int, error) {
	return v.store.CountAccounts(ctx)
}

// Ping checks that the store answers (the /healthz probe).
func (v *Vault) Ping(ctx context.Context) error {
	return v.store.Ping(ctx)
}

// DeleteCustomer destroys a customer and all its cards and returns it as it
// was (ENotFound).
func (v *Vault) DeleteCustomer(ctx context.Context, s cardvault.Scope, ref cardvault.Ref) (*cardvault.Customer, error) {
	var c *cardvault.Customer
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCustomerDelete}
	err := v.audited(ctx, rec, auditRef(cardvault.PrefixCustomer, ref), func(ctx context.Context) (err error) {
		c, err = v.store.DeleteCustomer(ctx, s, ref)
		return err
	})
	return c, err
}

// DeleteCard destroys a stored card and returns it as it was (ENotFound);
// customerID may be "" when ref identifies the card on its own.
func (v *Vault) DeleteCard(ctx context.Context, s cardvault.Scope, customerID string, ref cardvault.Ref) (*cardvault.Card, error) {
	var c *cardvault.Card
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCardDelete}
	err := v.audited(ctx, rec, auditRef(cardvault.PrefixCard, ref), func(ctx context.Context) (err error) {
		c, err = v.store.DeleteCard(ctx, s, customerID, ref)
		return err
	})
	return c, err
}

// UpdateCard applies u to a stored card (cardvault.ApplyCardUpdate) with
// u.Now set from the vault's clock, and returns the card as stored
// (ENotFound; EInvalidCard for the expiry).
func (v *Vault) UpdateCard(ctx context.Context, s cardvault.Scope, customerID, cardID string, u cardvault.CardUpdate) (*cardvault.Card, error) {
	u.Now = v.Now()
	var c *cardvault.Card
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCardUpdate, Detail: cardChange(u)}
	err := v.audited(ctx, rec, auditID(cardvault.PrefixCard, cardID), func(ctx context.Context) (err error) {
		c, err = v.store.UpdateCard(ctx, s, customerID, cardID, u)
		return err
	})
	return c, err
}

// StoreCard stores a card made by NewCard for a customer, or merges it into
// the customer's card with the same number (cardvault.MergeCard with m), and
// reports whether the card is new (ENotFound for the customer, EConflict for
// the external key).
func (v *Vault) StoreCard(ctx context.Context, s cardvault.Scope, customer cardvault.Ref, c *cardvault.Card, m cardvault.CardMerge) (*cardvault.Card, bool, error) {
	var out *cardvault.Card
	var created bool
	rec := cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: cardvault.AuditCardStore,
		Detail: "customer=" + auditRef(cardvault.PrefixCustomer, customer)}
	err := v.audited(ctx, rec, "", func(ctx context.Context) (err error) {
		out, created, err = v.store.StoreCard(ctx, s, customer, c, m)
		return err
	})
	return out, created, err
}

// UseNonce records a request-signature nonce of a public key at now and
// reports false if it was already recorded at or after notBefore (a replay).
func (v *Vault) UseNonce(ctx context.Context, keyHash [32]byte, nonce string, now, notBefore time.Time) (bool, error) {
	return v.store.UseNonce(ctx, keyHash, nonce, now, notBefore)
}
