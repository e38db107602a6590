package sqlite_test

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
)

// TestAuditTwoProcesses: two stores open on one file, as a server and a
// command in two processes, each with its own committer, append
// concurrently: the records form one gapless chain that verifies (neither
// keeps a head the other has moved past).
func TestAuditTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardvault.db")
	a, b := mustOpen(t, path), mustOpen(t, path)
	va, _ := storetest.MustVault(t, a)
	cr := storetest.MustAccount(t, va)
	chain, err := va.AuditChain(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := storetest.MustVault(t, b)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	const each = 40
	var wg sync.WaitGroup
	for i, db := range []cardvault.Store{a, b, a, b} {
		wg.Go(func() {
			for j := range each {
				rec := cardvault.AuditRecord{At: storetest.Epoch, Actor: "test", Action: "test.two", Object: strconv.Itoa(i*each + j),
					Result: cardvault.AuditOK}
				if err := db.AppendAudit(cardvault.WithAudit(t.Context(), chain, rec)); err != nil {
					t.Errorf("AppendAudit: %v", err)
					return
				}
			}
		})
	}
	// Vault writes through both stores meanwhile.
	for range 10 {
		storetest.MustToken(t, va, s, storetest.Visa)
		storetest.MustToken(t, vb, s, storetest.Visa)
	}
	wg.Wait()
	sa, err := va.VerifyAudit(t.Context())
	if err != nil {
		t.Fatalf("VerifyAudit through store A: %v", err)
	}
	sb, err := vb.VerifyAudit(t.Context())
	if err != nil || sb.Head != sa.Head {
		t.Fatalf("VerifyAudit through store B: %+v, %v; A saw head %d", sb, err, sa.Head)
	}
	// Account creation (1 record), the audit key (1), 4×40 appends, 20 tokens.
	if want := int64(1 + 1 + 4*each + 20); sa.Records != want {
		t.Errorf("%d records, want %d", sa.Records, want)
	}
}
