package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/cardvault/cardvault/ratelimit"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/vault"
)

// ServeCmd serves the HTTP API.
type ServeCmd struct {
	Addr     string        `name:"addr" env:"CARDVAULT_ADDR" default:"127.0.0.1:8080" help:"Listen address. Serving a non-loopback address without TLS draws a warning."`
	TLSCert  string        `name:"tls-cert" env:"CARDVAULT_TLS_CERT" help:"PEM certificate (chain) file: serve HTTPS, TLS 1.2 or later (needs --tls-key; both files are re-read on SIGHUP)."`
	TLSKey   string        `name:"tls-key" env:"CARDVAULT_TLS_KEY" help:"PEM private key file of --tls-cert."`
	TokenTTL time.Duration `name:"token-ttl" env:"CARDVAULT_TOKEN_TTL" default:"30m" help:"Lifetime of unused tokens (positive)."`
	Rate     *float64      `name:"rate-limit" env:"CARDVAULT_RATE_LIMIT" help:"Requests per second per API key; 0 turns every rate limit off. Default: unlimited with the development master key, 100 with a configured one."`
	Burst    int           `name:"rate-burst" env:"CARDVAULT_RATE_BURST" default:"200" help:"Burst size of the rate limits (at least 1)."`
	// The audit trail (docs/OPERATIONS.md, "Audit trail").
	AuditReads     bool          `name:"audit-reads" help:"Also record reads of masked card data (GET of tokens, cards, customers; ChargeOver GET and queries) in the audit trail: one more durable write per read."`
	AuditRetention time.Duration `name:"audit-retention" default:"0" help:"Delete audit records older than this (at least 24h; PCI DSS asks for 12 months: 8760h); the chain keeps verifying from an anchor. 0 keeps them for ever."`
}

// MinAuditRetention is the shortest --audit-retention.
const MinAuditRetention = 24 * time.Hour

// defaultRate is the rate limit, per API key, with a configured master key
// when none is given; with the development key there is none, so that a
// test suite on a laptop is never answered 429.
const defaultRate = 100

// shutdownDrain is how long in-flight requests may run on after SIGTERM.
const shutdownDrain = 30 * time.Second

// Validate checks the whole serve configuration at once (kong calls it after
// parsing, before Run): every problem is reported, none is silently mended.
func (c *ServeCmd) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("--addr: must not be empty"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key: give both or neither"))
	}
	if c.TokenTTL <= 0 {
		errs = append(errs, fmt.Errorf("--token-ttl %v: must be positive", c.TokenTTL))
	}
	if err := ratelimit.Validate(c.rate(false), c.Burst); err != nil {
		errs = append(errs, fmt.Errorf("--rate-limit/--rate-burst: %w", err))
	}
	if c.AuditRetention != 0 && c.AuditRetention < MinAuditRetention {
		errs = append(errs, fmt.Errorf("--audit-retention %v: must be 0 (keep for ever) or at least %v", c.AuditRetention, MinAuditRetention))
	}
	return errors.Join(errs...)
}

// rate returns the rate limit: the configured one, else the default for the
// kind of master key.
func (c *ServeCmd) rate(devKey bool) float64 {
	switch {
	case c.Rate != nil:
		return *c.Rate
	case devKey:
		return 0
	}
	return defaultRate
}

// Run serves until SIGINT or SIGTERM. The address is bound first, so that a
// busy port fails before a store or an account is made; keys are printed
// only once the server is listening. Shutdown is ordered: the server stops
// and every handler returns, the janitor returns, and only then is the store
// closed.
func (c *ServeCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var certs *certReloader
	if c.TLSCert != "" {
		var err error
		if certs, err = loadCerts(c.TLSCert, c.TLSKey); err != nil {
			return err
		}
		go certs.reloadOnHUP(ctx, log)
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", c.Addr, err)
	}
	defer l.Close()
	store, kr, dev, err := st.open(ctx, log, createStore)
	if err != nil {
		return err
	}
	defer store.Close()
	v := vault.New(store, kr, c.TokenTTL, log)
	v.AuditReads, v.AuditRetention = c.AuditReads, c.AuditRetention
	rate := c.rate(dev)
	if v.Limiter, err = ratelimit.NewLimiter(rate, c.Burst); err != nil {
		return err
	}
	if err := v.CheckMasterKey(ctx); err != nil {
		return err
	}
	cr, err := firstAccount(ctx, v)
	if err != nil {
		return err
	}
	base := baseURL(l.Addr(), certs != nil)
	log.Info("cardvault serving", "addr", l.Addr().String(), "url", base, "version", versionString(),
		"tls", certs != nil, "rate_limit", rateText(rate, c.Rate == nil && dev))
	warnExposed(log, l.Addr(), certs != nil)
	if cr != nil {
		printFirstKeys(os.Stdout, cr, base)
	}
	var cfg *tls.Config
	if certs != nil {
		cfg = certs.config()
	}
	return serveVault(ctx, v, l, cfg, log, janitorEvery(c.TokenTTL))
}

// rateText describes the rate limit for the start-up log line.
func rateText(rate float64, devDefault bool) string {
	switch {
	case rate > 0:
		return fmt.Sprintf("%v/s per API key", rate)
	case devDefault:
		return "unlimited (development key; --rate-limit sets one)"
	}
	return "unlimited"
}

// baseURL is the URL clients on this machine reach the server at.
func baseURL(a net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host := a.String()
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return scheme + "://" + host
}

// warnExposed warns loudly when the server is reachable from other machines
// without TLS: card numbers and keys would cross the network in clear text.
func warnExposed(log *slog.Logger, a net.Addr, tls bool) {
	if ta, ok := a.(*net.TCPAddr); ok && !tls && !ta.IP.IsLoopback() {
		log.Warn("NOT ENCRYPTED: listening on a non-loopback address without TLS; card numbers and API keys "+
			"will cross the network in clear text. Use --tls-cert/--tls-key, or a TLS-terminating proxy in front "+
			"of a loopback address", "addr", a.String())
	}
}

// janitorEvery is how often the token janitor runs for a token TTL.
func janitorEvery(ttl time.Duration) time.Duration {
	return max(time.Second, min(time.Minute, ttl/2))
}

// serveVault serves v on l (TLS with cfg unless nil) and runs the token
// janitor every interval until ctx ends. It returns once the server has
// stopped, every handler has returned and the janitor has returned, so the
// caller may close the store.
func serveVault(ctx context.Context, v *vault.Vault, l net.Listener, cfg *tls.Config, log *slog.Logger, interval time.Duration) error {
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	janitorDone := make(chan struct{})
	go func() {
		defer close(janitorDone)
		v.RunJanitor(janitorCtx, interval)
	}()
	err := server.ServeTLS(ctx, l, server.Handler(v, log), log, shutdownDrain, cfg)
	stopJanitor()
	<-janitorDone
	log.Info("stopped: every request and the janitor have returned")
	return err
}

// firstAccount creates an account on an empty store (nil when the store
// already has one). Counting first spares a started store the keys and the
// write; the creation itself checks again atomically, so that of instances
// starting together on an empty database one creates it and prints its keys.
func firstAccount(ctx context.Context, v *vault.Vault) (*vault.Credentials, error) {
	n, err := v.CountAccounts(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	return v.CreateFirstAccount(ctx, "default")
}

// printFirstKeys prints the first account's key pairs once, to standard
// output (never to the log), with a line to paste into a shell for the
// README's examples.
func printFirstKeys(w io.Writer, cr *vault.Credentials, base string) {
	printKeys(w, cr)
	fmt.Fprintf(w, "To follow the README's examples, paste into a shell:\n  export CV=%s PKEY=%s SKEY=%s\n",
		base, cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal())
}

// printKeys prints a new account's two key pairs, the live one marked.
func printKeys(w io.Writer, cr *vault.Credentials) {
	fmt.Fprintf(w, `Created account %s (%q). Its keys are shown only this once; keep them.
  test mode (no real cards; use these while developing):
    public key: %s
    secret key: %s
  LIVE mode (real cards; keep the secret key out of shells, logs and tickets):
    public key: %s
    secret key: %s
`, cr.ID, cr.Name, cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal(), cr.Live.PublicKey.Reveal(), cr.Live.SecretKey.Reveal())
}

// AccountCreateCmd creates an account.
type AccountCreateCmd struct {
	Name string `name:"name" help:"A label for the account (stored, at most 255 characters)."`
	JSON bool   `name:"json" help:"Print the account and keys as JSON."`
}

// Run creates the account and prints its keys.
func (c *AccountCreateCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	v, closeStore, err := st.openVault(ctx, log, createStore)
	if err != nil {
		return err
	}
	defer closeStore()
	cr, err := v.CreateAccount(ctx, c.Name)
	if err != nil {
		return err
	}
	if c.JSON {
		return json.NewEncoder(os.Stdout).Encode(revealed(cr, c.Name))
	}
	printKeys(os.Stdout, cr)
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
	store, _, _, err := st.open(ctx, log, readStore)
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
