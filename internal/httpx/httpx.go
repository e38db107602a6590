// Package httpx holds the HTTP plumbing both dialects share: per-request info
// for the access log, body reading with a size limit, client addresses, the
// echo rule for client text in error messages, and JSON writing.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
)

// MaxBody is the largest request body accepted (1 MiB).
const MaxBody = 1 << 20

// ErrTooLarge is returned by ReadBody for bodies over MaxBody.
var ErrTooLarge = errors.New("request body is too large")

// ErrClientBody is returned by ReadBody, wrapping the cause, when the client
// did not deliver the body it announced: shorter than its Content-Length,
// broken chunked framing, too slow for the server's read deadline, or the
// connection went away. It is the client's fault, never a server error.
var ErrClientBody = errors.New("request body could not be read")

type infoKey struct{}

// Info is what the access log records of a request besides method, status and
// duration. Handlers fill in Route; the middleware sets ID. It also holds
// what is to be given back once the request's handler has finished.
type Info struct {
	ID    string
	Route string

	kept  bool     // the Log middleware made it and runs atEnd
	atEnd []func() // run by the Log middleware after the handler returned
}

// atEnd arranges for f to run once the request's handler has returned (by
// the Log middleware). It reports false, and does nothing, when ctx holds no
// Info of that middleware: the caller must run f itself.
func atEnd(ctx context.Context, f func()) bool {
	i, ok := ctx.Value(infoKey{}).(*Info)
	if !ok || !i.kept {
		return false
	}
	i.atEnd = append(i.atEnd, f)
	return true
}

// end runs what atEnd registered, last registered first.
func (i *Info) end() {
	for n := len(i.atEnd) - 1; n >= 0; n-- {
		i.atEnd[n]()
	}
	i.atEnd = nil
}

// WithInfo attaches i to ctx.
func WithInfo(ctx context.Context, i *Info) context.Context {
	return context.WithValue(ctx, infoKey{}, i)
}

// InfoFrom returns the request's Info (a throwaway one when there is none).
func InfoFrom(ctx context.Context) *Info {
	if i, ok := ctx.Value(infoKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}

// SetRoute records the route pattern that served r.
func SetRoute(r *http.Request, pattern string) { InfoFrom(r.Context()).Route = pattern }

// ReadBody reads the whole body, failing with ErrTooLarge past MaxBody and
// with ErrClientBody when the client does not deliver it. With a known
// Content-Length it reads into one buffer of exactly that size.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > MaxBody {
		return nil, ErrTooLarge
	}
	var b []byte
	var err error
	if r.ContentLength >= 0 {
		b = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, b)
	} else {
		b, err = io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	}
	if err != nil {
		return nil, readFault(err)
	}
	if len(b) > MaxBody {
		return nil, ErrTooLarge
	}
	return b, nil
}

// BodyFault names, for the log, why a body could not be read (an error
// wrapping ErrClientBody), in fixed words: the underlying error's text may
// hold addresses.
func BodyFault(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "client gone"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "read timeout"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "body ended early"
	}
	return "malformed or interrupted body"
}

// ClientIP returns the host part of the connection's remote address. Proxy
// headers are not trusted.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Echo applies the echo rule to client-supplied text that is to appear in an
// error message: 1–64 chars of [0-9A-Za-z_.:-] with no run of 12 or more
// digits pass unchanged; anything else becomes "[redacted]".
func Echo(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return "[redacted]"
	}
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if run++; run >= 12 {
				return "[redacted]"
			}
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '.', c == ':', c == '-':
		default:
			return "[redacted]"
		}
		run = 0
	}
	return s
}

// Interrupted reports whether err is the request's own context ending (its
// deadline, the client going away, shutdown): nothing went wrong on the
// server, and the middleware decides what, if anything, the client gets.
func Interrupted(r *http.Request, err error) bool {
	return r.Context().Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))
}
