package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/vault"
)

// AccountKeysCmd groups the commands on an account's API keys. The store
// keeps only each key's SHA-256 hash, so keys are shown by id (the first
// vault.KeyIDLen hex digits of that hash) and a lost secret key can only be
// replaced, never shown again.
type AccountKeysCmd struct {
	List          KeysListCmd    `cmd:"" default:"withargs" help:"List an account's keys by id (the default; never the keys)."`
	ReissueSecret KeysReissueCmd `cmd:"" name:"reissue-secret" help:"Issue a new secret key for a mode; the old one stops working at once."`
}

// KeysListCmd lists an account's keys.
type KeysListCmd struct {
	Account string `name:"account" required:"" help:"Account id (acct_…, see account list)."`
	JSON    bool   `name:"json" help:"Print a JSON array."`
}

type keyRow struct {
	ID        string `json:"id"`
	Mode      string `json:"mode"`
	Kind      string `json:"kind"`
	CreatedAt string `json:"created_at"`
}

// Run prints the account's keys, never a key itself. Nothing is created or
// written, and no master key is needed.
func (c *KeysListCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	store, _, _, err := st.open(ctx, log, readStore)
	if err != nil {
		return err
	}
	defer store.Close()
	recs, err := store.APIKeys(ctx, c.Account)
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		return fmt.Errorf("no account %s (see account list)", c.Account)
	}
	if err != nil {
		return err
	}
	rows := make([]keyRow, len(recs))
	for i, k := range recs {
		kind := "secret"
		if k.Kind == cardvault.PublicKey {
			kind = "public"
		}
		rows[i] = keyRow{vault.KeyID(k.Hash), modeName(k.Mode), kind, k.CreatedAt.UTC().Format(time.RFC3339)}
	}
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(rows)
	}
	fmt.Printf("%-*s  %-4s  %-6s  %s\n", vault.KeyIDLen, "ID", "MODE", "KIND", "CREATED")
	for _, r := range rows {
		fmt.Printf("%-*s  %-4s  %-6s  %s\n", vault.KeyIDLen, r.ID, r.Mode, r.Kind, r.CreatedAt)
	}
	return nil
}

func modeName(m cardvault.Mode) string {
	if m == cardvault.Live {
		return "live"
	}
	return "test"
}

// KeysReissueCmd replaces a mode's secret key.
type KeysReissueCmd struct {
	Account string `name:"account" required:"" help:"Account id (acct_…, see account list)."`
	Mode    string `name:"mode" required:"" enum:"test,live" help:"Which secret key: test or live."`
	JSON    bool   `name:"json" help:"Print the new key as JSON."`
}

// Run issues the new secret key and prints it once. It works while a server
// runs on the same store: the next request with the old key is refused.
func (c *KeysReissueCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	v, closeStore, err := st.openVault(ctx, log, existingStore)
	if err != nil {
		return err
	}
	defer closeStore()
	m := cardvault.Test
	if c.Mode == "live" {
		m = cardvault.Live
	}
	sk, err := v.ReissueSecretKey(ctx, c.Account, m)
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		return fmt.Errorf("no account %s (see account list)", c.Account)
	}
	if err != nil {
		return err
	}
	id := vault.KeyID(cardvault.HashKey(sk))
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]string{
			"account": c.Account, "mode": c.Mode, "id": id, "secret_key": sk.Reveal()})
	}
	fmt.Printf("New %s secret key of %s (id %s), shown only this once; the old one no longer works:\n  secret key: %s\n",
		c.Mode, c.Account, id, sk.Reveal())
	return nil
}
