package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cardvault/cardvault/keys"
	"github.com/cardvault/cardvault/server"
	"github.com/cardvault/cardvault/sqlite"
	"github.com/cardvault/cardvault/vault"
)

// inprocTokenTTL and inprocJanitor are serve's defaults: a 30-minute token
// TTL and a janitor run every minute.
const (
	inprocTokenTTL = 30 * time.Minute
	inprocJanitor  = time.Minute
)

// serveInProcess (role inproc) serves a new SQLite store the way `cardvault
// serve` does — the same store, keyring, vault, handler, server and token
// janitor; no rate limit — so that the CPU profile of a measured window
// holds the whole server and nothing else. A control listener starts and
// stops profiles: POST /start?file=PATH, POST /stop.
func serveInProcess() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	dir := os.Getenv("CVBENCH_DATA")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := os.ReadFile(os.Getenv("CVBENCH_KEY"))
	if err != nil {
		return err
	}
	master, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return errors.New("master key file: not base64")
	}
	kr, err := keys.New(master)
	clear(master)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "cardvault.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	v := vault.New(db, kr, inprocTokenTTL, log)
	if err := v.CheckMasterKey(ctx); err != nil {
		return err
	}
	if err := writeAccount(ctx, v, os.Getenv("CVBENCH_CREDS")); err != nil {
		return err
	}
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var prof profiler
	go http.Serve(ctl, prof.handler())
	defer prof.stop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	log.Info("bench control", "addr", ctl.Addr().String())
	log.Info("cardvault serving", "addr", l.Addr().String())
	janitorCtx, stopJanitor := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { v.RunJanitor(janitorCtx, inprocJanitor) })
	err = server.Serve(ctx, l, server.Handler(v, log), log, 5*time.Second)
	stopJanitor()
	wg.Wait()
	return err
}

// writeAccount creates the account and writes its keys, as `cardvault
// account create --json` prints them, to a new file readable only by
// this user.
func writeAccount(ctx context.Context, v *vault.Vault, path string) error {
	cr, err := v.CreateAccount(ctx, "bench")
	if err != nil {
		return err
	}
	b, err := json.Marshal(accountJSON{ID: cr.ID, Test: keyPair{cr.Test.PublicKey.Reveal(), cr.Test.SecretKey.Reveal()}})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// profiler writes one CPU profile at a time.
type profiler struct {
	mu sync.Mutex
	f  *os.File
}

func (p *profiler) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /start", func(w http.ResponseWriter, r *http.Request) {
		if err := p.start(r.URL.Query().Get("file")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		if err := p.stop(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}

func (p *profiler) start(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		return errors.New("a profile is already running")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	p.f = f
	return nil
}

func (p *profiler) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}
