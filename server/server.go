// Package server puts cardvault's HTTP dialects behind one address: /healthz,
// /api/… for the ChargeOver dialect and everything else for the Omise
// dialect, with the access log, timeouts and graceful shutdown.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cardvault/cardvault/chargeoverapi"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/omiseapi"
	"github.com/cardvault/cardvault/vault"
)

// Handler returns the whole HTTP surface of a vault.
func Handler(v *vault.Vault, log *slog.Logger) http.Handler {
	omise := omiseapi.New(v, log)
	chargeover := chargeoverapi.New(v, log)
	health := healthz(v, log)
	// No ServeMux here: it would redirect unclean paths (//, ..) before either
	// dialect authenticates; each dialect answers those itself.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz":
			health(w, r)
		case isChargeOver(r):
			chargeover.ServeHTTP(w, r)
		default:
			omise.ServeHTTP(w, r)
		}
	})
	return httpx.Log(log, root, func(w http.ResponseWriter, r *http.Request) {
		if isChargeOver(r) {
			chargeoverapi.WritePanic(w, r)
			return
		}
		omiseapi.WritePanic(w, r)
	})
}

// healthz answers 200 while the store answers, 503 otherwise. No auth.
func healthz(v *vault.Vault, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpx.SetRoute(r, "/healthz")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := v.Ping(ctx); err != nil {
			log.Error("health check", "err", err)
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// isChargeOver reports whether a request belongs to the ChargeOver dialect.
func isChargeOver(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// Serve serves h on l until ctx ends, then shuts down gracefully: in-flight
// requests finish (up to drain), new connections are refused.
func Serve(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger, drain time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	return err
}
