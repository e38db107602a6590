package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// ceilingSize is the size of the ceiling server's answer: about a token's.
const ceilingSize = 600

// ceilingBody is a token-shaped JSON object of exactly ceilingSize bytes.
var ceilingBody = func() []byte {
	tok := map[string]any{
		"object": "token", "id": "tokn_test_0mwq95bdck9p34y6n3w", "livemode": false,
		"location": "/tokens/tokn_test_0mwq95bdck9p34y6n3w", "used": false, "charge_status": "unknown",
		"card": map[string]any{
			"object": "card", "id": "card_test_0mwq95c54d25rq4f5zr", "livemode": false, "location": nil,
			"country": "us", "financing": "", "bank": "", "brand": "Visa",
			"fingerprint": "h7CYITkWk/z3scTKqZuO1wPsLOeB862x0FThKNp0ED0=", "first_digits": nil,
			"last_digits": "4242", "name": "JOHN DOE", "expiration_month": 12, "expiration_year": 2030,
			"security_code_check": true, "created_at": "2026-11-21T10:15:30Z",
		},
		"created_at": "2026-11-21T10:15:30Z",
	}
	b, _ := json.Marshal(tok)
	pad := ceilingSize - len(b) - len(`,"pad":""`)
	tok["pad"] = strings.Repeat(".", max(pad, 0))
	b, _ = json.Marshal(tok)
	return b
}()

// ceilingHandler is the ceiling: it parses the form body as a handler of
// POST /tokens must, and answers a fixed token-sized JSON object.
func ceilingHandler(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("card[number]") == "" {
		http.Error(w, `{"object":"error","code":"bad_request"}`, http.StatusBadRequest)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(ceilingBody)
}

// serveCeiling runs the ceiling server (role ceiling) until SIGTERM.
func serveCeiling() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(ceilingHandler), ReadHeaderTimeout: 10 * time.Second}
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info("ceiling serving", "addr", l.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
