package httpx

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLogSetsHygieneHeaders: every answer passing through Log — written,
// unwritten, an error, a panic — carries the headers of API.md §1.5.
func TestLogSetsHygieneHeaders(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"ok":            func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "{}") },
		"nothing":       func(http.ResponseWriter, *http.Request) {},
		"not found":     http.NotFound,
		"header reset":  func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) },
		"panic":         func(http.ResponseWriter, *http.Request) { panic("x") },
		"panic after 1": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201); panic("x") },
	} {
		rec := httptest.NewRecorder()
		Log(slog.New(slog.NewJSONHandler(io.Discard, nil)), h, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q", name, got)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", name, got)
		}
	}
}
