package postgres_test

import (
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/postgres"
	"github.com/cardvault/cardvault/storetest"
)

// TestConformance runs the storage conformance suite on a fresh schema per
// subtest. Without CARDVAULT_TEST_POSTGRES_URL it skips, and says so.
func TestConformance(t *testing.T) {
	base := postgres.BaseURL(t)
	storetest.Run(t, func(t *testing.T) cardvault.Store {
		return postgres.MustOpen(t, postgres.FreshSchema(t, base))
	})
}
