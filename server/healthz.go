package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/vault"
)

const (
	// healthTimeout bounds the store check of one /healthz.
	healthTimeout = 2 * time.Second
	// healthLogEvery is how often a failing /healthz may log: a probe flood
	// against a failing store must not flood the log.
	healthLogEvery = 10 * time.Second
)

// healthz answers 200 while the store answers (reads, and writes as far as
// its Ping tells), 503 otherwise. No auth.
func healthz(v *vault.Vault, log *slog.Logger) http.HandlerFunc {
	var limit logLimit
	return func(w http.ResponseWriter, r *http.Request) {
		httpx.SetRoute(r, "/healthz")
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		if err := v.Ping(ctx); err != nil {
			if r.Context().Err() == nil {
				if suppressed, ok := limit.allow(time.Now()); ok {
					log.ErrorContext(r.Context(), "health check failed", "err", err, "suppressed", suppressed)
				}
			}
			httpx.WriteJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable", Reason: "store"})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, health{Status: "ok"})
	}
}

// health is the body of /healthz.
type health struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"` // what failed
}

// logLimit lets one log line through per healthLogEvery and counts the rest.
type logLimit struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a line may be logged now, and how many were
// suppressed since the last one.
func (l *logLimit) allow(now time.Time) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < healthLogEvery {
		l.suppressed++
		return 0, false
	}
	suppressed, l.suppressed, l.last = l.suppressed, 0, now
	return suppressed, true
}
