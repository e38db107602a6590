package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/storetest"
)

// BenchmarkCreateTokenAudit measures Store.CreateToken alone (audit=off: no
// pending record) and with its audit record appended in its transaction
// (audit=on), serially and with 16 parallel writers per CPU; the two run on
// one store, alternating, so that the machine's load hits both alike.
//
//	go test -run '^$' -bench CreateTokenAudit -benchtime 2s ./sqlite/
func BenchmarkCreateTokenAudit(b *testing.B) {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	v, _ := storetest.MustVault(b, db)
	cr := storetest.MustAccount(b, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	chain, err := v.AuditChain(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	tmpl := storetest.MustToken(b, v, s, storetest.Visa)
	write := func(b *testing.B, audit bool) {
		t := *tmpl
		card := *t.Card
		t.Card = &card
		t.ID = cardvault.NewID(cardvault.PrefixToken, s.Mode, t.CreatedAt)
		card.ID = cardvault.NewID(cardvault.PrefixCard, s.Mode, t.CreatedAt)
		ctx := b.Context()
		if audit {
			ctx = cardvault.WithAudit(ctx, chain, cardvault.AuditRecord{At: t.CreatedAt, AccountID: s.AccountID, Mode: s.Mode,
				Actor: "0123456789ab", Action: cardvault.AuditTokenCreate, Detail: "card=" + card.ID, Result: cardvault.AuditOK,
				RequestID: "req_0123456789abcdefghij", ClientAddr: "192.0.2.1"})
		}
		if err := db.CreateToken(ctx, &t); err != nil {
			b.Error(err)
		}
	}
	for _, audit := range []bool{false, true, false, true} {
		name := map[bool]string{false: "audit=off", true: "audit=on"}[audit]
		b.Run(name+"/serial", func(b *testing.B) {
			for b.Loop() {
				write(b, audit)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					write(b, audit)
				}
			})
		})
	}
}
