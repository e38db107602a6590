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

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/omiseapi"
	"github.com/cardvault/cardvault/vault"
)

// Handler returns the whole HTTP surface of a vault.
func Handler(v *vault.Vault, log *slog.Logger) http.Handler {
	omise := omiseapi.New(v, log)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.SetRoute(r, "/healthz")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := v.Ping(ctx); err != nil {
			log.Error("health check", "err", err)
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/", omise)
	return httpx.Log(log, mux, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			httpx.WriteJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "status": "Error",
				"message": "Internal server error.", "details": map[string]any{}, "response": false})
			return
		}
		omiseapi.WritePanic(w, r)
	})
}

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
