package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// purgeGate is a real store whose token purge, once its context has ended,
// holds on until the test lets it go: a purge still running at shutdown.
type purgeGate struct {
	*sqlite.DB
	started chan struct{} // closed when the first purge begins
	release chan struct{} // closed by the test
	once    sync.Once
}

func (p *purgeGate) PurgeTokens(ctx context.Context, expiredBefore, forgetBefore time.Time) (int, error) {
	p.once.Do(func() { close(p.started) })
	<-ctx.Done()
	<-p.release
	return p.DB.PurgeTokens(context.Background(), expiredBefore, forgetBefore)
}

// TestServeJoinsJanitor: serveVault returns only after the janitor has
// returned, so the store is never closed under a running purge.
func TestServeJoinsJanitor(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cardvault.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr, err := keys.New(make([]byte, keys.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	gate := &purgeGate{DB: db, started: make(chan struct{}), release: make(chan struct{})}
	v := vault.New(gate, kr, time.Hour, slog.New(slog.DiscardHandler))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	returned := make(chan error, 1)
	go func() { returned <- serveVault(ctx, v, l, nil, slog.New(slog.DiscardHandler), time.Hour) }()
	<-gate.started
	cancel()
	select {
	case err := <-returned:
		t.Fatalf("serveVault returned (%v) while the janitor was still purging", err)
	case <-time.After(300 * time.Millisecond): // the server has long stopped: nothing is in flight
	}
	close(gate.release)
	if err := <-returned; err != nil {
		t.Fatalf("serveVault: %v", err)
	}
}

// TestServeValidate: one Validate for the serve configuration; rate 0 is
// unlimited, nothing invalid is mended silently, every problem is named.
func TestServeValidate(t *testing.T) {
	rate := func(r float64) *float64 { return &r }
	ok := ServeCmd{Addr: "127.0.0.1:0", TokenTTL: 30 * time.Minute, Rate: rate(100), Burst: 200}
	tests := []struct {
		name string
		edit func(*ServeCmd)
		want []string // substrings of the error; none: valid
	}{
		{"defaults", func(*ServeCmd) {}, nil},
		{"rate 0 is unlimited", func(c *ServeCmd) { c.Rate = rate(0) }, nil},
		{"burst 1", func(c *ServeCmd) { c.Burst = 1 }, nil},
		{"ttl 1ns", func(c *ServeCmd) { c.TokenTTL = time.Nanosecond }, nil},
		{"negative rate", func(c *ServeCmd) { c.Rate = rate(-1) }, []string{"--rate-limit", "-1"}},
		{"burst 0", func(c *ServeCmd) { c.Burst = 0 }, []string{"--rate-burst", "burst 0"}},
		{"negative burst with rate 0", func(c *ServeCmd) { c.Rate, c.Burst = rate(0), -5 }, []string{"burst -5"}},
		{"ttl 0", func(c *ServeCmd) { c.TokenTTL = 0 }, []string{"--token-ttl 0s: must be positive"}},
		{"negative ttl", func(c *ServeCmd) { c.TokenTTL = -time.Minute }, []string{"--token-ttl -1m0s"}},
		{"empty addr", func(c *ServeCmd) { c.Addr = "" }, []string{"--addr"}},
		{"no rate: the default", func(c *ServeCmd) { c.Rate = nil }, nil},
		{"TLS pair", func(c *ServeCmd) { c.TLSCert, c.TLSKey = "c.pem", "k.pem" }, nil},
		{"TLS cert without key", func(c *ServeCmd) { c.TLSCert = "c.pem" }, []string{"--tls-cert and --tls-key"}},
		{"TLS key without cert", func(c *ServeCmd) { c.TLSKey = "k.pem" }, []string{"--tls-cert and --tls-key"}},
		{"audit retention 0 keeps for ever", func(c *ServeCmd) { c.AuditRetention = 0 }, nil},
		{"audit retention at its minimum", func(c *ServeCmd) { c.AuditRetention = MinAuditRetention }, nil},
		{"audit retention below its minimum", func(c *ServeCmd) { c.AuditRetention = MinAuditRetention - time.Second },
			[]string{"--audit-retention 23h59m59s: must be 0 (keep for ever) or at least 24h0m0s"}},
		{"negative audit retention", func(c *ServeCmd) { c.AuditRetention = -time.Hour }, []string{"--audit-retention -1h0m0s"}},
		{"every problem at once", func(c *ServeCmd) { *c = ServeCmd{Rate: rate(-1)} },
			[]string{"--addr", "--token-ttl", "--rate-limit"}},
	}
	for _, tt := range tests {
		c := ok
		tt.edit(&c)
		err := c.Validate()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%s: Validate() = %v; want nil", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Validate() = nil; want an error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate() = %q; want it to say %q", tt.name, err, w)
			}
		}
	}
}

// TestRateDefault: with no --rate-limit, the development key serves without
// limits and a configured key at defaultRate; an explicit value always wins.
func TestRateDefault(t *testing.T) {
	r := func(v float64) *float64 { return &v }
	tests := []struct {
		rate *float64
		dev  bool
		want float64
	}{
		{nil, true, 0}, {nil, false, defaultRate}, {r(5), true, 5}, {r(0), false, 0}, {r(7), false, 7},
	}
	for _, tt := range tests {
		c := ServeCmd{Rate: tt.rate}
		if got := c.rate(tt.dev); got != tt.want {
			t.Errorf("rate(%v) with --rate-limit %v = %v, want %v", tt.dev, tt.rate, got, tt.want)
		}
	}
}

// TestSuggest: a mistyped top-level command names the nearest one.
func TestSuggest(t *testing.T) {
	for word, want := range map[string]string{"acount": `did you mean "account"`, "serv": `did you mean "serve"`,
		"verison": `did you mean "version"`, "hlep": `did you mean "help"`, "zzzzzz": "commands: serve, account"} {
		var cli CLI
		parser := kong.Must(&cli, kong.Vars{"version": "x"})
		_, err := parser.Parse([]string{word})
		if err == nil {
			t.Fatalf("%s: parsed", word)
		}
		if got := suggest(err, parser.Model.Node).Error(); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to say %q", word, got, want)
		}
	}
}
