package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/masterkey"
	"github.com/cardvault/cardvault/vault"
)

// KeyCustodyCmd groups the key-custody commands (docs/OPERATIONS.md). Each
// takes --data, --db and the master key as serve does.
type KeyCustodyCmd struct {
	RotateMaster RotateMasterCmd `cmd:"" name:"rotate-master" help:"Re-wrap every stored key under a new master key while servers keep serving; then --finish once every instance runs with the new key."`
	RotateData   RotateDataCmd   `cmd:"" name:"rotate-data" help:"Give an account a new data key for new cards and re-encrypt its older cards under it, in batches, while servers keep serving."`
	Status       KeyStatusCmd    `cmd:"" help:"Show KEK versions in use, data-key versions and cards per data-key version (no master key needed)."`
}

// RotateMasterCmd rotates the master key.
type RotateMasterCmd struct {
	NewMasterKeyFile string `name:"new-master-key-file" type:"existingfile" help:"File holding the new base64 master key (the --master-key-file format). The current key comes from the usual configuration."`
	Finish           bool   `name:"finish" help:"End a rotation, run with the NEW master key configured once every instance has restarted with it: the old master key stops opening the store."`
}

// Run rotates (or finishes a rotation). The rotation works while servers run
// on the same store; see docs/OPERATIONS.md for the steps.
func (c *RotateMasterCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	if c.Finish == (c.NewMasterKeyFile != "") {
		return errors.New("keys rotate-master: give either --new-master-key-file F (rotate) or --finish (end a rotation, with the new master key configured)")
	}
	store, kr, _, err := st.open(ctx, log, existingStore)
	if err != nil {
		return err
	}
	defer store.Close()
	v := vault.New(store, kr, time.Hour, log)
	v.Actor = cardvault.ActorOperator
	if c.Finish {
		if err := v.CheckMasterKey(ctx); err != nil {
			return err
		}
		if err := v.FinishRotation(ctx); err != nil {
			return err
		}
		fmt.Printf("Rotation finished: KEK version %d is the only one in use; the old master key no longer opens this store.\n",
			kr.OwnVersion())
		return nil
	}
	next, err := newKeyring(c.NewMasterKeyFile)
	if err != nil {
		return err
	}
	if err := v.CheckMasterKey(ctx); err != nil {
		return fmt.Errorf("the current master key (--master-key-file or the environment): %w", err)
	}
	r, err := v.RotateMaster(ctx, next, func(done int) {
		log.Info("rotate-master: keys re-wrapped", "keys", done)
	})
	if err != nil {
		return err
	}
	fmt.Printf("Every stored key is wrapped under KEK version %d (the new master key); %d re-wrapped by this run.\n"+
		"Next: restart every cardvault instance with the new master key, then run\n"+
		"  cardvault keys rotate-master --finish   (with the new master key configured)\n", r.To, r.Rewrapped)
	return nil
}

// newKeyring reads a master key file into a keyring.
func newKeyring(path string) (*keys.Keyring, error) {
	b, err := masterkey.File{Path: path, Name: "--new-master-key-file"}.Key()
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return keys.New(b)
}

// RotateDataCmd rotates an account's data key.
type RotateDataCmd struct {
	Account       string `name:"account" required:"" help:"Account id (acct_…, see account list)."`
	ReencryptOnly bool   `name:"reencrypt-only" help:"Make no new data key: re-encrypt the cards still under an older one (after an interrupted run, or cards a server sealed before it read the new key)."`
}

// Run adds the data key and re-encrypts; see docs/OPERATIONS.md.
func (c *RotateDataCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	v, closeStore, err := st.openVault(ctx, log, existingStore)
	if err != nil {
		return err
	}
	defer closeStore()
	progress := func(done int) { log.Info("rotate-data: cards re-encrypted", "account", c.Account, "cards", done) }
	var r vault.DataRotation
	if c.ReencryptOnly {
		r, err = v.ReencryptData(ctx, c.Account, progress)
	} else {
		r, err = v.RotateData(ctx, c.Account, progress)
	}
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		return fmt.Errorf("no account %s (see account list)", c.Account)
	}
	if err != nil {
		return err
	}
	fmt.Printf("Account %s: new cards are sealed under data key version %d (running servers within %s); "+
		"%d cards re-encrypted from older versions.\n", c.Account, r.To, vault.DataKeyRefresh, r.Reencrypted)
	return nil
}

// KeyStatusCmd shows the store's keys.
type KeyStatusCmd struct {
	JSON bool `name:"json" help:"Print exactly one JSON document on stdout."`
}

type kekStatusJSON struct {
	Version         int    `json:"version"`
	State           string `json:"state"` // current, rotating, retired, old (an older version not yet retired), legacy
	CreatedAt       string `json:"created_at,omitempty"`
	RetiredAt       string `json:"retired_at,omitempty"`
	Check           string `json:"check,omitempty"` // first 8 bytes of the check value, hex
	DataKeys        int    `json:"data_keys"`
	FingerprintKeys int    `json:"fingerprint_keys"`
	APISecrets      int    `json:"api_secrets"`
	AuditKeys       int    `json:"audit_keys"` // 0 or 1: the store's audit key
}

type dataKeyJSON struct {
	Version   int    `json:"version"`
	Cards     int    `json:"cards"`
	CreatedAt string `json:"created_at"`
}

type accountKeysJSON struct {
	Account  string        `json:"account"`
	DataKeys []dataKeyJSON `json:"data_keys"`
}

type keyStatusJSON struct {
	CurrentKEKVersion int               `json:"current_kek_version"`
	Rotating          bool              `json:"rotating"`
	KEKs              []kekStatusJSON   `json:"kek_versions"`
	Accounts          []accountKeysJSON `json:"accounts"`
}

// Run prints the status. It needs no master key and writes nothing: it
// reads counts and versions, never a key.
func (c *KeyStatusCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	store, _, _, err := st.open(ctx, log, readStore)
	if err != nil {
		return err
	}
	defer store.Close()
	ks, err := store.KeyStatus(ctx)
	if err != nil {
		return err
	}
	out := statusJSON(ks)
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(out)
	}
	fmt.Printf("Current KEK version: %d", out.CurrentKEKVersion)
	if out.Rotating {
		fmt.Print(" (a rotation to it is under way: finish it with cardvault keys rotate-master --finish)")
	}
	fmt.Printf("\n\n%-7s  %-8s  %-9s  %-16s  %-11s  %s\n", "KEK", "STATE", "DATA KEYS", "FINGERPRINT KEYS", "API SECRETS", "AUDIT KEY")
	for _, k := range out.KEKs {
		fmt.Printf("%-7d  %-8s  %-9d  %-16d  %-11d  %d\n", k.Version, k.State, k.DataKeys, k.FingerprintKeys, k.APISecrets, k.AuditKeys)
	}
	fmt.Printf("\n%-27s  %-8s  %s\n", "ACCOUNT", "DATA KEY", "CARDS")
	for _, a := range out.Accounts {
		for _, d := range a.DataKeys {
			fmt.Printf("%-27s  v%-7d  %d\n", a.Account, d.Version, d.Cards)
		}
	}
	return nil
}

func statusJSON(ks cardvault.KeyStatus) keyStatusJSON {
	out := keyStatusJSON{KEKs: []kekStatusJSON{}, Accounts: []accountKeysJSON{}}
	for _, k := range ks.KEKs {
		if k.Rec != nil && k.Version > out.CurrentKEKVersion {
			out.CurrentKEKVersion = k.Version
			out.Rotating = len(k.Rec.Wrapped) > 0
		}
	}
	for _, k := range ks.KEKs {
		j := kekStatusJSON{Version: k.Version, DataKeys: k.DataKeys, FingerprintKeys: k.FingerprintKeys, APISecrets: k.Seals,
			AuditKeys: k.AuditKeys}
		switch {
		case k.Rec == nil:
			j.State = "legacy"
		case !k.Rec.RetiredAt.IsZero():
			j.State = "retired"
		case k.Version == out.CurrentKEKVersion && out.Rotating:
			j.State = "rotating"
		case k.Version == out.CurrentKEKVersion:
			j.State = "current"
		default:
			j.State = "old"
		}
		if k.Rec != nil {
			j.CreatedAt = k.Rec.CreatedAt.Format(time.RFC3339)
			j.Check = base64.RawURLEncoding.EncodeToString(k.Rec.Check[:6])
			if !k.Rec.RetiredAt.IsZero() {
				j.RetiredAt = k.Rec.RetiredAt.Format(time.RFC3339)
			}
		}
		out.KEKs = append(out.KEKs, j)
	}
	for _, a := range ks.Accounts {
		aj := accountKeysJSON{Account: a.AccountID}
		for _, d := range a.DataKeys {
			aj.DataKeys = append(aj.DataKeys, dataKeyJSON{d.Version, d.Cards, d.CreatedAt.Format(time.RFC3339)})
		}
		out.Accounts = append(out.Accounts, aj)
	}
	return out
}
