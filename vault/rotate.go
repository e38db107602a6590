package vault

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
)

// Master-key rotation (docs/OPERATIONS.md). A store numbers its master keys
// by KEK version (cardvault.KEK). RotateMaster, holding the current and the
// new master key, stores the new KEK version's record with the new KEK
// wrapped under the current one, then re-wraps every stored key under the new
// KEK in bounded batches, each its own write transaction. Instances still
// running with the old master key keep serving: they hold the keys they have
// unwrapped, and a key the rotation has wrapped anew opens under the new KEK,
// which they learn from its record (keys.KEKSource). FinishRotation, run
// with the new master key once every instance has restarted with it, deletes
// that wrapped copy and retires the old version: from then on the old master
// key opens nothing in the store and a start with it is refused.

// RotateBatch is how many keys one write transaction of a rotation re-wraps.
const RotateBatch = 100

// ErrRetiredMasterKey means the configured master key was rotated out.
var ErrRetiredMasterKey = errors.New("retired master key")

// kekLookupTimeout bounds the store read of a KEK record that a keyring makes
// when it meets a key wrapped under a KEK it does not hold.
const kekLookupTimeout = 10 * time.Second

// LoadKEKs tells the keyring which KEK version its master key is, from the
// store's records (a store without any records the master key as version 1,
// once it opens the store's first data keys), teaches it any newer KEK a
// rotation in progress wrapped under it, and lets it learn later ones from
// the store. A master key that no record names is the wrong one
// (ErrWrongMasterKey); a retired one is refused (ErrRetiredMasterKey).
func (v *Vault) LoadKEKs(ctx context.Context) error {
	recs, err := v.store.KEKs(ctx)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		dks, err := v.store.DataKeys(ctx, 3)
		if err != nil {
			return err
		}
		for _, dk := range dks {
			if v.Keys.Check(dk) != nil {
				return v.wrongKey()
			}
		}
		err = v.audited(ctx, cardvault.AuditRecord{Action: cardvault.AuditRotateMaster, Detail: "kek_version=1 (first)"}, "",
			func(ctx context.Context) error {
				return v.store.AddKEK(ctx, cardvault.KEK{Version: 1, Check: v.Keys.MasterCheck(), CreatedAt: v.Now()})
			})
		if err != nil && cardvault.ErrorCode(err) != cardvault.EConflict { // EConflict: a concurrent start recorded one
			return err
		}
		if recs, err = v.store.KEKs(ctx); err != nil {
			return err
		}
	}
	own := -1
	for i, r := range recs {
		if v.Keys.Matches(r) {
			own = i
		}
	}
	if own < 0 {
		return v.wrongKey()
	}
	if r := recs[own]; !r.RetiredAt.IsZero() {
		return fmt.Errorf("%w: this master key (KEK version %d) was rotated out on %s and opens nothing in this store: "+
			"start with the newer master key (KEK version %d)", ErrRetiredMasterKey, r.Version,
			r.RetiredAt.Format(time.RFC3339), recs[len(recs)-1].Version)
	}
	v.Keys.SetVersion(recs[own].Version)
	for _, r := range recs[own+1:] {
		if err := v.Keys.AddKEK(r); err != nil && !errors.Is(err, keys.ErrOpen) {
			return err
		}
	}
	v.Keys.SetSource(v.kekRecord)
	return nil
}

// wrongKey explains why a master key does not open the store.
func (v *Vault) wrongKey() error {
	recs, err := v.store.KEKs(context.Background())
	if err == nil && len(recs) > 0 {
		if r := recs[len(recs)-1]; len(r.Wrapped) > 0 && v.Keys.Matches(r) {
			return fmt.Errorf("%w: this master key is KEK version %d, to which a rotation is still re-wrapping keys: "+
				"start with the current master key until cardvault keys rotate-master has finished", ErrWrongMasterKey, r.Version)
		}
	}
	return ErrWrongMasterKey
}

// kekRecord is the keyring's keys.KEKSource.
func (v *Vault) kekRecord(version int) (cardvault.KEK, error) {
	ctx, cancel := context.WithTimeout(context.Background(), kekLookupTimeout)
	defer cancel()
	recs, err := v.store.KEKs(ctx)
	if err != nil {
		return cardvault.KEK{}, err
	}
	for _, r := range recs {
		if r.Version == version {
			return r, nil
		}
	}
	return cardvault.KEK{}, keys.ErrUnknownKEK
}

// Rotation reports what RotateMaster did.
type Rotation struct {
	From, To  int  // KEK versions
	Resumed   bool // a rotation to the same new key was under way
	Rewrapped int
}

// RotateMaster re-wraps every stored key under the KEK of next's master key,
// as a new KEK version, in batches of RotateBatch keys (each its own write
// transaction), calling progress after each. The vault must have passed
// CheckMasterKey with the current master key. A rotation to the same new
// master key that was interrupted resumes; a rotation to another one while
// one is unfinished is refused. Afterwards every key opens under the new
// master key; the old one still opens them through the stored wrapped copy
// until FinishRotation.
func (v *Vault) RotateMaster(ctx context.Context, next *keys.Keyring, progress func(done int)) (Rotation, error) {
	recs, err := v.store.KEKs(ctx)
	if err != nil {
		return Rotation{}, err
	}
	if len(recs) == 0 {
		return Rotation{}, errors.New("the store records no KEK version: run CheckMasterKey first")
	}
	own := v.Keys.OwnVersion()
	newest := recs[len(recs)-1]
	r := Rotation{From: own}
	switch {
	case next.Matches(newest) && newest.Version > own && len(newest.Wrapped) > 0:
		r.To, r.Resumed = newest.Version, true
		if err := v.Keys.AddKEK(newest); err != nil {
			return r, fmt.Errorf("the rotation under way was not started from this master key: %w", err)
		}
	case anyMatches(next, recs):
		return r, errors.New("the new master key is the current master key or a retired one: generate a new one (cardvault keys rotate-master needs a key the store has never used)")
	case newest.Version != own:
		return r, fmt.Errorf("a rotation to KEK version %d is unfinished: run it again with that new master key, or finish it", newest.Version)
	default:
		rec := v.Keys.WrapKEK(next, own+1)
		rec.CreatedAt = v.Now()
		arec := cardvault.AuditRecord{Action: cardvault.AuditRotateMaster,
			Detail: fmt.Sprintf("kek_version=%d from=%d", rec.Version, own)}
		if err := v.audited(ctx, arec, "", func(ctx context.Context) error { return v.store.AddKEK(ctx, rec) }); err != nil {
			return r, fmt.Errorf("recording KEK version %d: %w", own+1, err)
		}
		if err := v.Keys.AddKEK(rec); err != nil {
			return r, err
		}
		r.To = rec.Version
	}
	if v.Keys.KEKVersion() != r.To {
		return r, fmt.Errorf("this master key's keyring wraps under KEK version %d, not %d", v.Keys.KEKVersion(), r.To)
	}
	u := v.keyUpgrade()
	u.Limit = RotateBatch
	for {
		n, err := v.upgradeBatch(ctx, u, cardvault.AuditRotateMasterStep)
		if err != nil {
			return r, err
		}
		if n == 0 {
			return r, nil
		}
		r.Rewrapped += n
		if progress != nil {
			progress(r.Rewrapped)
		}
	}
}

func anyMatches(k *keys.Keyring, recs []cardvault.KEK) bool {
	for _, r := range recs {
		if k.Matches(r) {
			return true
		}
	}
	return false
}

// FinishRotation ends the rotation to this vault's master key: the stored
// copy of its KEK wrapped under the old one is deleted and older versions are
// retired. Refused while a key is wrapped otherwise (run RotateMaster again
// with both keys) or when the vault's master key is not the newest.
func (v *Vault) FinishRotation(ctx context.Context) error {
	own := v.Keys.OwnVersion()
	if v.Keys.KEKVersion() != own {
		return fmt.Errorf("this master key is KEK version %d, but a rotation to version %d is under way: "+
			"finish it with the new master key", own, v.Keys.KEKVersion())
	}
	rec := cardvault.AuditRecord{Action: cardvault.AuditRotateMasterEnd, Detail: "kek_version=" + strconv.Itoa(own)}
	err := v.audited(ctx, rec, "", func(ctx context.Context) error { return v.store.FinishRotation(ctx, own, v.Now()) })
	if cardvault.ErrorCode(err) == cardvault.EConflict {
		return fmt.Errorf("cannot finish the rotation to KEK version %d: %w; run cardvault keys rotate-master again with both master keys", own, err)
	}
	return err
}
