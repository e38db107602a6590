package httpx

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Log wraps next with a request id, a body size limit, panic recovery and one
// access-log line per request. The line holds method, route pattern, status,
// duration and request id — never the raw path, query, body or headers, any of
// which may carry a card number or a key. onPanic writes the dialect's 500.
func Log(log *slog.Logger, next http.Handler, onPanic func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{ID: requestID(r), Route: "unmatched"}
		w.Header().Set("X-Request-Id", info.ID)
		r = r.WithContext(WithInfo(r.Context(), info))
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody+1)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				// The panic value is not logged: it could hold request data.
				log.Error("panic", "request_id", info.ID, "route", info.Route, "stack", string(debug.Stack()))
				if rec.status == 0 {
					onPanic(rec, r)
				}
			}
			log.Info("request", "method", logMethod(r.Method), "route", info.Route, "status", rec.status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", info.ID)
		}()
		next.ServeHTTP(rec, r)
	})
}

// requestID takes a well-formed X-Request-Id from the client or makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && Echo(id) == id && len(id) <= 64 {
		return id
	}
	return "req_" + randomID()
}

// logMethod returns the method for the log: a standard one as is, anything
// else as "OTHER", since the method is client text too.
func logMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
