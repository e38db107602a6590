package sqlite

import (
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/storetest"
)

// TestUpgradeKeysWrites: a start with nothing to upgrade only reads (no
// write transaction), and an upgrade that re-wrapped keys scrubs the WAL of
// their old wrappings.
func TestUpgradeKeysWrites(t *testing.T) {
	db := mustOpen(t)
	v, _ := storetest.MustVault(t, db)
	storetest.MustAccount(t, v)
	// The first start records the master key as KEK version 1 (one write);
	// the next ones only read.
	if err := v.CheckMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	batches, scrubs := db.stats.batches.Load(), db.stats.scrubs.Load()
	if err := v.CheckMasterKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b := db.stats.batches.Load(); b != batches {
		t.Errorf("CheckMasterKey with nothing to upgrade ran %d write batches, want 0", b-batches)
	}
	next := cardvault.Wrap{Scheme: keys.SchemeKEK, KEKVersion: v.Keys.KEKVersion() + 1}
	n, err := db.UpgradeKeys(t.Context(), cardvault.KeyUpgrade{Want: next,
		DataKey: func(dk cardvault.DataKey) (cardvault.DataKey, error) { dk.Wrap = next; return dk, nil },
		Secret:  func(k cardvault.APIKey) ([]byte, error) { return k.SealedSecret, nil },
		FingerprintKey: func(fk cardvault.FingerprintKey) (cardvault.FingerprintKey, error) {
			fk.Wrap = next
			return fk, nil
		},
		AuditKey: func(k cardvault.AuditKey) (cardvault.AuditKey, error) { k.Wrap = next; return k, nil },
	})
	if err != nil || n != 5 {
		t.Fatalf("UpgradeKeys = %d, %v; want 5 (data, fingerprint and audit key, two sealed secrets)", n, err)
	}
	if s := db.stats.scrubs.Load(); s != scrubs+1 {
		t.Errorf("UpgradeKeys that re-wrapped keys scrubbed %d times, want once", s-scrubs)
	}
}
