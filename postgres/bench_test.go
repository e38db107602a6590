package postgres

import (
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/storetest"
)

// BenchmarkCreateToken tokenizes through the vault from parallel clients:
// one committed write (card and token rows) per operation.
func BenchmarkCreateToken(b *testing.B) {
	db := MustOpen(b, FreshSchema(b, BaseURL(b)))
	v, _ := storetest.MustVault(b, db)
	cr := storetest.MustAccount(b, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.CreateToken(b.Context(), s, storetest.CardInput(storetest.Visa, "123"), storetest.FullAddress, "192.0.2.7"); err != nil {
				b.Error(err)
				return
			}
		}
	})
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
