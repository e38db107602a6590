package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/cardvault/cardvault/ratelimit"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/vault"
)

// ServeCmd serves the HTTP API.
type ServeCmd struct {
	Addr     string        `name:"addr" env:"CARDVAULT_ADDR" default:"127.0.0.1:8080" help:"Listen address."`
	TokenTTL time.Duration `name:"token-ttl" env:"CARDVAULT_TOKEN_TTL" default:"30m" help:"Lifetime of unused tokens (positive)."`
	Rate     float64       `name:"rate-limit" env:"CARDVAULT_RATE_LIMIT" default:"100" help:"Requests per second per API key (0: unlimited, every rate limit off)."`
	Burst    int           `name:"rate-burst" env:"CARDVAULT_RATE_BURST" default:"200" help:"Burst size of the rate limits (at least 1)."`
}

// shutdownDrain is how long in-flight requests may run on after SIGTERM.
const shutdownDrain = 30 * time.Second

// Validate checks the whole serve configuration at once (kong calls it after
// parsing, before Run): every problem is reported, none is silently mended.
func (c *ServeCmd) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("--addr: must not be empty"))
	}
	if c.TokenTTL <= 0 {
		errs = append(errs, fmt.Errorf("--token-ttl %v: must be positive", c.TokenTTL))
	}
	if err := ratelimit.Validate(c.Rate, c.Burst); err != nil {
		errs = append(errs, fmt.Errorf("--rate-limit/--rate-burst: %w", err))
	}
	return errors.Join(errs...)
}

// Run serves until SIGINT or SIGTERM. Shutdown is ordered: the server stops
// and every handler returns, the janitor returns, and only then is the store
// closed.
func (c *ServeCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	if err := c.Validate(); err != nil {
		return err
	}
	store, kr, err := st.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer store.Close()
	v := vault.New(store, kr, c.TokenTTL, log)
	if v.Limiter, err = ratelimit.NewLimiter(c.Rate, c.Burst); err != nil {
		return err
	}
	if err := v.CheckMasterKey(ctx); err != nil {
		return err
	}
	if err := firstAccount(ctx, v); err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	log.Info("cardvault serving", "addr", l.Addr().String(), "version", versionString())
	return serveVault(ctx, v, l, log, janitorEvery(c.TokenTTL))
}

// janitorEvery is how often the token janitor runs for a token TTL.
func janitorEvery(ttl time.Duration) time.Duration {
	return max(time.Second, min(time.Minute, ttl/2))
}

// serveVault serves v on l and runs the token janitor every interval until
// ctx ends. It returns once the server has stopped, every handler has
// returned and the janitor has returned, so the caller may close the store.
func serveVault(ctx context.Context, v *vault.Vault, l net.Listener, log *slog.Logger, interval time.Duration) error {
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		v.RunJanitor(janitorCtx, interval)
	}()
	err := server.Serve(ctx, l, server.Handler(v, log), log, shutdownDrain)
	stopJanitor()
	<-janitorDone
	log.Info("stopped: every request and the janitor have returned")
	return err
}

// firstAccount creates an account on an empty store and prints its test key
// pair once, to standard output (never to the log).
func firstAccount(ctx context.Context, v *vault.Vault) error {
	n, err := v.CountAccounts(ctx)
	if err != nil || n > 0 {
		return err
	}
	cr, err := v.CreateAccount(ctx, "default")
	if err != nil {
		return err
	}
	fmt.Printf("Created account %s. Its test keys (shown once):\n  public key: %s\n  secret key: %s\n",
		cr.ID, cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal())
	fmt.Println("Live keys: run `cardvault account create --json` for a new account with both pairs.")
	return nil
}

// AccountCreateCmd creates an account.
type AccountCreateCmd struct {
	Name string `name:"name" help:"A label for the account (stored, at most 255 characters)."`
	JSON bool   `name:"json" help:"Print the account and keys as JSON."`
}

// Run creates the account and prints its keys.
func (c *AccountCreateCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	store, kr, err := st.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer store.Close()
	v := vault.New(store, kr, time.Hour, log)
	if err := v.CheckMasterKey(ctx); err != nil {
		return err
	}
	cr, err := v.CreateAccount(ctx, c.Name)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(revealed(cr, c.Name))
	}
	fmt.Printf("Account %s %s\n  test: %s %s\n  live: %s %s\n", cr.ID, c.Name,
		cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal(), cr.Live.PublicKey.Reveal(), cr.Live.SecretKey.Reveal())
	return nil
}

type pairJSON struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

type accountJSON struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	Test pairJSON `json:"test"`
	Live pairJSON `json:"live"`
}

func revealed(cr *vault.Credentials, name string) accountJSON {
	return accountJSON{ID: cr.ID, Name: name,
		Test: pairJSON{cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal()},
		Live: pairJSON{cr.Live.PublicKey.Reveal(), cr.Live.SecretKey.Reveal()}}
}

// AccountListCmd lists accounts.
type AccountListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

type accountRow struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// Run prints every account. Keys cannot be listed: only their hashes are stored.
func (c *AccountListCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	store, _, err := st.open(ctx, log, false)
	if err != nil {
		return err
	}
	defer store.Close()
	accts, err := store.Accounts(ctx)
	if err != nil {
		return err
	}
	rows := make([]accountRow, len(accts))
	for i, a := range accts {
		rows[i] = accountRow{a.ID, a.Name, a.CreatedAt.UTC().Format(time.RFC3339)}
	}
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(rows)
	}
	for _, r := range rows {
		fmt.Printf("%s\t%s\t%s\n", r.ID, r.CreatedAt, r.Name)
	}
	return nil
}
