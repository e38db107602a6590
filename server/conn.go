package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/cardvault/cardvault/internal/httpx"
)

// net/http answers a request it cannot parse (malformed request line or
// header, head past its MaxHeaderBytes, missing Host, unsupported protocol
// version, transfer coding or Expect) itself, before any handler runs, in plain text
// written straight to the connection in one Write:
//
//	HTTP/1.1 <status line>\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n<text>
//
// conn recognises that reply (no handler's answer looks like it: ours carry
// Cache-Control first and are JSON) and writes the dialect's JSON error with
// the same status instead, choosing the dialect from the request target it
// has read, as Handler would.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// headKeep is how much of a request conn keeps to tell its dialect: enough
// for any standard method and "/api/".
const headKeep = 512

// listener wraps each accepted connection in a conn, above TLS when tls is
// set (conn must see the plain text).
type listener struct {
	net.Listener
	log *slog.Logger
	tls *tls.Config
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if _, ok := c.(*tls.Conn); ok {
		return c, nil // a TLS listener from elsewhere: net/http handles *tls.Conn itself
	}
	if l.tls != nil {
		// The handshake runs on the connection's first Read, in its own
		// goroutine, bounded by net/http's read deadlines.
		c = tls.Server(c, l.tls)
	}
	return &conn{Conn: c, log: l.log}, nil
}

type connKey struct{}

// connContext remembers the connection, so that withTLSState can find its
// TLS state: net/http fills r.TLS only for a *tls.Conn it accepted itself.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// withTLSState sets r.TLS for requests that came over TLS below a conn.
func withTLSState(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*conn); ok && r.TLS == nil {
			if tc, ok := c.Conn.(*tls.Conn); ok {
				st := tc.ConnectionState()
				r.TLS = &st
			}
		}
		h.ServeHTTP(w, r)
	})
}

// conn keeps the start of what was read since the last write (the current
// request's head, unless the client pipelines) and rewrites net/http's own
// error replies.
type conn struct {
	net.Conn
	log  *slog.Logger
	mu   sync.Mutex
	head []byte
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if room := headKeep - len(c.head); room > 0 {
			c.head = append(c.head, p[:min(n, room)]...)
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	if status, ok := netHTTPError(p); ok {
		return len(p), c.answer(status)
	}
	c.mu.Lock()
	c.head = c.head[:0]
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// CloseWrite lets net/http half-close the connection after a 431, as it does
// with a bare TCP connection.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// answer writes the dialect's error for a request net/http refused.
func (c *conn) answer(status int) error {
	c.mu.Lock()
	path := targetPath(c.head)
	c.mu.Unlock()
	body := refusal(path, status)
	id := httpx.NewRequestID()
	h := http.Header{"Content-Type": {"application/json"}, "Connection": {"close"},
		"Content-Length": {strconv.Itoa(len(body))}, "X-Request-Id": {id}}
	httpx.SetHygieneHeaders(h)
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	c.log.Info("request", "route", "refused by net/http", "status", status, "request_id", id)
	_, err := c.Conn.Write(b.Bytes())
	return err
}

// netHTTPError reports whether p is net/http's own error reply, and its
// status. The 417 net/http sends for an Expect other than 100-continue comes
// through the response path (no handler of ours answers 417).
func netHTTPError(p []byte) (int, bool) {
	const prefix = "HTTP/1.1 "
	if len(p) < len(prefix)+3 || !bytes.HasPrefix(p, []byte(prefix)) {
		return 0, false
	}
	if bytes.HasPrefix(p, []byte(prefix+"417 ")) {
		return http.StatusExpectationFailed, true
	}
	i := bytes.Index(p, []byte("\r\n"))
	if i < 0 || !bytes.HasPrefix(p[i:], []byte(netHTTPErrorHeaders)) {
		return 0, false
	}
	status, err := strconv.Atoi(string(p[len(prefix) : len(prefix)+3]))
	if err != nil || status < 400 || status > 599 {
		return 0, false
	}
	return status, true
}

// targetPath returns the path of the request target in head's request line
// ("" when there is none), decoded as net/http decodes URL.Path.
func targetPath(head []byte) string {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return ""
	}
	target, _, _ := bytes.Cut(rest, []byte(" "))
	t := strings.TrimRight(string(target), "\r")
	if u, err := url.ParseRequestURI(t); err == nil {
		return u.Path
	}
	return t
}
