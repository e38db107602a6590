package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/keys"
)

// TestMasterKeyLeavesEnvironment: once the keyring is built from
// CARDVAULT_MASTER_KEY, the variable is no longer in the process
// environment (os.Getenv, os.Environ, and so any child process).
func TestMasterKeyLeavesEnvironment(t *testing.T) {
	key := keys.GenerateMasterKey()
	t.Setenv("CARDVAULT_MASTER_KEY", key)
	t.Setenv("CARDVAULT_MASTER_KEY_FILE", "")
	t.Setenv("CARDVAULT_MASTER_KEY_PARTS", "")
	s := &Store{Data: t.TempDir()}
	if _, dev, err := s.keyring(true, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil || dev {
		t.Fatalf("keyring from CARDVAULT_MASTER_KEY: dev=%v, %v", dev, err)
	}
	if v, ok := os.LookupEnv("CARDVAULT_MASTER_KEY"); ok {
		t.Errorf("CARDVAULT_MASTER_KEY is still set (%d bytes) after the keyring was built", len(v))
	}
	for _, kv := range os.Environ() {
		if strings.Contains(kv, key) {
			t.Error("os.Environ still holds the master key")
		}
	}
}
