package vault

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cardvault/cardvault"
)

// Data-key rotation (docs/OPERATIONS.md). RotateData gives an account a new
// data key, under which new cards are sealed (by running servers within
// DataKeyRefresh), then ReencryptData re-seals the account's older cards
// under it in batches of ReencryptBatch cards, each its own write
// transaction. Every card stays readable throughout: a card row records the
// version of the key that sealed it, and old data keys are kept.

// ReencryptBatch is how many cards one write transaction of a re-encryption
// re-seals.
const ReencryptBatch = 200

// DataRotation reports what RotateData or ReencryptData did.
type DataRotation struct {
	From, To    int // data-key versions
	Reencrypted int
}

// RotateData stores a new data key for the account and re-encrypts its
// older cards under it, calling progress after each batch.
func (v *Vault) RotateData(ctx context.Context, accountID string, progress func(done int)) (DataRotation, error) {
	cur, err := v.store.CurrentDataKey(ctx, accountID)
	if err != nil {
		return DataRotation{}, err
	}
	nk := v.Keys.NewDataKey(accountID, cur.Version+1)
	nk.CreatedAt = v.Now()
	rec := cardvault.AuditRecord{AccountID: accountID, Action: cardvault.AuditRotateData,
		Detail: fmt.Sprintf("data_key_version=%d from=%d", nk.Version, cur.Version)}
	if err := v.audited(ctx, rec, "", func(ctx context.Context) error { return v.store.AddDataKey(ctx, nk) }); err != nil {
		return DataRotation{From: cur.Version}, fmt.Errorf("storing data key version %d: %w", nk.Version, err)
	}
	v.dks.Delete(accountID)
	r, err := v.ReencryptData(ctx, accountID, progress)
	r.From = cur.Version
	return r, err
}

// ReencryptData re-seals the account's cards sealed under an older data key
// than its current one, in batches of ReencryptBatch, each its own write
// transaction; a card changed or deleted meanwhile is left as it is. It can
// be run again: it picks up the cards still under an older key (for
// example, sealed by a server that had not yet read the new key).
func (v *Vault) ReencryptData(ctx context.Context, accountID string, progress func(done int)) (DataRotation, error) {
	cur, err := v.store.CurrentDataKey(ctx, accountID)
	if err != nil {
		return DataRotation{}, err
	}
	r := DataRotation{From: cur.Version, To: cur.Version}
	old := map[int]cardvault.DataKey{}
	after := ""
	for {
		cards, err := v.store.StaleCards(ctx, accountID, cur.Version, after, ReencryptBatch)
		if err != nil || len(cards) == 0 {
			return r, err
		}
		// A decrypting use is recorded before the numbers are decrypted.
		if err := v.appendAudit(ctx, cardvault.AuditRecord{AccountID: accountID, Action: cardvault.AuditCardDecrypt,
			Object: strconv.Itoa(len(cards)), Detail: "re-encrypt to data_key_version=" + strconv.Itoa(cur.Version) +
				" first=" + cards[0].ID + " last=" + cards[len(cards)-1].ID}); err != nil {
			return r, err
		}
		rs := make([]cardvault.Reseal, 0, len(cards))
		for _, c := range cards {
			dk, ok := old[c.KeyVersion]
			if !ok {
				if dk, err = v.store.DataKey(ctx, accountID, c.KeyVersion); err != nil {
					return r, err
				}
				old[c.KeyVersion] = dk
				r.From = min(r.From, dk.Version)
			}
			pan, err := v.Keys.Open(dk, c.ID, c.Sealed)
			if err != nil {
				return r, cardvault.Internal("card %s does not open under data key version %d: %w", c.ID, c.KeyVersion, err)
			}
			sealed, err := v.Keys.Seal(cur, c.ID, pan)
			clear(pan)
			if err != nil {
				return r, cardvault.Internal("seal: %w", err)
			}
			rs = append(rs, cardvault.Reseal{ID: c.ID, AccountID: accountID, Old: c.Sealed, New: sealed, KeyVersion: cur.Version})
		}
		var n int
		rec := cardvault.AuditRecord{AccountID: accountID, Action: cardvault.AuditRotateDataStep,
			Detail: "data_key_version=" + strconv.Itoa(cur.Version)}
		err = v.audited(ctx, rec, "", func(ctx context.Context) (err error) {
			n, err = v.store.Reseal(ctx, rs)
			return err
		})
		if err != nil {
			return r, err
		}
		r.Reencrypted += n
		after = cards[len(cards)-1].ID
		if progress != nil {
			progress(r.Reencrypted)
		}
	}
}
