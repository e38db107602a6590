package postgres

import (
	"context"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
)

// BenchmarkCreateToken tokenizes through the vault from parallel clients
// (16 on 2 CPUs): one committed write (card, token and, with audit=on, its
// audit record) per operation. audit=off gives the store the same writes
// without their pending records, the baseline of the audit trail's cost.
func BenchmarkCreateToken(b *testing.B) {
	for _, audit := range []bool{true, false} {
		name := "audit=on"
		if !audit {
			name = "audit=off"
		}
		b.Run(name, func(b *testing.B) {
			db := MustOpen(b, FreshSchema(b, BaseURL(b)))
			var st cardvault.Store = db
			if !audit {
				st = noAudit{db}
			}
			v, _ := storetest.MustVault(b, st)
			cr := storetest.MustAccount(b, v)
			s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.CreateToken(b.Context(), s, storetest.CardInput(storetest.Visa, "123"), storetest.FullAddress, "192.0.2.7"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// noAudit is a store whose CreateToken drops the pending audit records.
type noAudit struct{ *DB }

func (n noAudit) CreateToken(ctx context.Context, t *cardvault.Token) error {
	return n.DB.CreateToken(cardvault.WithAudit(ctx, nil), t)
}

// BenchmarkToken reads a token with its card (one query).
func BenchmarkToken(b *testing.B) {
	db := MustOpen(b, FreshSchema(b, BaseURL(b)))
	v, _ := storetest.MustVault(b, db)
	cr := storetest.MustAccount(b, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	tok := storetest.MustToken(b, v, s, storetest.Visa)
	for b.Loop() {
		if _, err := db.Token(b.Context(), s, tok.ID); err != nil {
			b.Fatal(err)
		}
	}
}
