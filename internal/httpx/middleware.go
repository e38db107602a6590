package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// StatusClientClosed is the status the access log records for a request that
// was cancelled (client gone, shutdown) before anything was answered: nothing
// is sent, the connection is closed.
const StatusClientClosed = 499

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

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// SetHygieneHeaders sets the headers every API response carries: nothing a
// response holds (cards, keys, errors) may be stored by a cache, and no
// browser may guess a content type other than the declared one.
func SetHygieneHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

// Log wraps next with a request id, the hygiene headers, a body size limit,
// panic recovery and one access-log line per request, and gives back, once
// next has returned, what the request kept until then (see ReadForDecoding). The line holds method,
// route pattern, status, duration and request id — never the raw path, query,
// body or headers, any of which may carry a card number or a key. onPanic
// writes the dialect's 500. The headers are set before next runs, so every
// answer (success, error, 404, panic) carries them.
func Log(log *slog.Logger, next http.Handler, onPanic func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{ID: requestID(r), Route: "unmatched", kept: true}
		// Last, even on a panic: give back what the request kept until its
		// handler finished (a large body's read turn).
		defer info.end()
		w.Header().Set("X-Request-Id", info.ID)
		SetHygieneHeaders(w.Header())
		r = r.WithContext(WithInfo(r.Context(), info))
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody+1)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					// Nothing is sent: the client is gone or the request was cancelled.
					log.InfoContext(r.Context(), "request", "method", logMethod(r.Method), "route", info.Route, "status", StatusClientClosed,
						"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", info.ID)
					panic(p)
				}
				// The panic value is not logged: it could hold request data.
				log.ErrorContext(r.Context(), "panic", "request_id", info.ID, "route", info.Route, "stack", string(debug.Stack()))
				if rec.status == 0 {
					onPanic(rec, r)
				}
			}
			log.InfoContext(r.Context(), "request", "method", logMethod(r.Method), "route", info.Route, "status", rec.status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", info.ID)
		}()
		next.ServeHTTP(rec, r)
	})
}

// Deadline gives each request a context that ends after d, so that the
// store's statements stop with it (a client's disconnect ends it too). When
// that context has ended and the handler wrote nothing, or a 500 (an internal
// error after the end is the end's doing), the request is answered here:
// onTimeout writes the dialect's 503 when the deadline passed; when the
// request was cancelled (client gone, server shutting down) nothing is sent
// and the connection is closed, so that no client ever reads an empty 200.
func Deadline(d time.Duration, next http.Handler, onTimeout func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		r = r.WithContext(ctx)
		dw := &deadlineWriter{ResponseWriter: w, ctx: ctx}
		next.ServeHTTP(dw, r)
		if dw.written && !dw.dropped {
			return
		}
		switch err := ctx.Err(); {
		case errors.Is(err, context.DeadlineExceeded):
			onTimeout(w, r)
		case err != nil:
			panic(http.ErrAbortHandler)
		}
	})
}

// deadlineWriter passes a handler's answer through, except a 500 written
// after the request's context ended: that one is dropped, body and all.
type deadlineWriter struct {
	http.ResponseWriter
	ctx     context.Context
	written bool // the status is decided
	dropped bool // the handler's 500 was dropped
}

func (d *deadlineWriter) WriteHeader(code int) {
	if d.written {
		if !d.dropped {
			d.ResponseWriter.WriteHeader(code)
		}
		return
	}
	d.written = true
	if code == http.StatusInternalServerError && d.ctx.Err() != nil {
		d.dropped = true
		return
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	if !d.written {
		d.WriteHeader(http.StatusOK)
	}
	if d.dropped {
		return len(b), nil
	}
	return d.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// requestID takes a well-formed X-Request-Id from the client or makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && Echo(id) == id && len(id) <= 64 {
		return id
	}
	return "req_" + randomID()
}

// NewRequestID returns a fresh request id, for answers written before any
// handler ran.
func NewRequestID() string { return "req_" + randomID() }

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
