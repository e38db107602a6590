package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// netHTTPMaxHeaderBytes is net/http's own bound on a request head, above
	// MaxHeaderBytes so that Handler sees (and answers in the dialect's format)
	// heads just past the documented limit; past this one net/http refuses the
	// head itself and conn rewrites its answer.
	netHTTPMaxHeaderBytes = 2 * MaxHeaderBytes
	// shutdownBodyGrace is how long a request whose body is still arriving
	// when shutdown begins may go on reading it: a client dribbling a body
	// must not hold shutdown for the whole drain.
	shutdownBodyGrace = time.Second
	// waitLogEvery is how often Serve says that it still waits for handlers
	// that ignore their cancelled context.
	waitLogEvery = 5 * time.Second
)

// errShutdown is the cause of the contexts of requests cancelled because the
// drain period ran out (unless net/http, seeing their connection closed,
// cancelled them first).
var errShutdown = errors.New("server: shutting down")

// Serve serves h on l until ctx ends, then shuts down in order: it stops
// accepting, closes connections that are idle or have not delivered a whole
// request head, cuts request bodies still arriving to shutdownBodyGrace, and
// gives in-flight requests up to drain to finish. Then it closes the
// connections of the requests still running, cancels their contexts, and
// returns only once every handler has returned — so the caller may close the
// store as soon as Serve returns.
func Serve(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger, drain time.Duration) error {
	return ServeTLS(ctx, l, h, log, drain, nil)
}

// ServeTLS is Serve over TLS with cfg (plain when cfg is nil). The TLS
// handshake happens on each connection's own goroutine, below the layer that
// rewrites net/http's plain-text refusals, so those come in the dialect's
// JSON over TLS too; handlers see the connection state in r.TLS as usual.
func ServeTLS(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger, drain time.Duration, cfg *tls.Config) error {
	base, cancelBase := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelBase(nil)
	tr := &tracker{reqs: map[*inflight]struct{}{}}
	fresh := &freshConns{m: map[net.Conn]struct{}{}}
	srv := &http.Server{
		Handler:           tr.wrap(withTLSState(h)),
		ConnContext:       connContext,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       RequestTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    netHTTPMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnState:         fresh.track,
		// OPTIONS * goes to the dialect too (401/404 with the usual headers).
		DisableGeneralOptionsHandler: true,
	}
	srv.RegisterOnShutdown(func() {
		fresh.closeAll()
		tr.cutBodies(time.Now().Add(shutdownBodyGrace))
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(&listener{Listener: l, log: log, tls: cfg}) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down", "drain", drain.String())
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if errors.Is(srv.Shutdown(sctx), context.DeadlineExceeded) {
		// Connections first: a handler that returns once cancelled must find
		// its connection closed, or net/http would send what it left (an
		// empty 200 if it wrote nothing).
		srv.Close()
		cancelBase(errShutdown)
		log.Warn("drain period over: requests cancelled", "running", tr.running())
	}
	tr.wait(log)
	if err == nil {
		err = <-errc
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// tracker knows the requests whose handlers are running.
type tracker struct {
	mu      sync.Mutex
	reqs    map[*inflight]struct{}
	idle    chan struct{} // closed when reqs empties; nil while nobody waits
	cutBody time.Time     // once shutdown began: the read deadline of bodies still arriving
}

// inflight is one running request.
type inflight struct {
	rc   *http.ResponseController
	eof  bool // the body was read to its end (or there is none)
	armd bool // its read deadline was cut by shutdown
}

// wrap runs h for each request, tracked from start to return.
func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := &inflight{rc: http.NewResponseController(w), eof: r.Body == nil || r.Body == http.NoBody}
		t.add(f)
		defer t.done(f)
		if !f.eof {
			// On a copy: net/http looks at its own request's body type after
			// the handler to decide whether an unread rest may be skipped;
			// wrapping that one would make it read up to 256 KiB of a stalled
			// client's body before answering.
			r = r.WithContext(r.Context())
			r.Body = &trackedBody{ReadCloser: r.Body, t: t, f: f}
		}
		h.ServeHTTP(w, r)
	})
}

func (t *tracker) add(f *inflight) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reqs[f] = struct{}{}
	if !t.cutBody.IsZero() {
		t.cutLocked(f)
	}
}

func (t *tracker) done(f *inflight) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.reqs, f)
	if len(t.reqs) == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

func (t *tracker) running() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.reqs)
}

// cutBodies gives every body still arriving until deadline.
func (t *tracker) cutBodies(deadline time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cutBody = deadline
	for f := range t.reqs {
		t.cutLocked(f)
	}
}

// cutLocked sets f's read deadline unless its body has been read: once it
// has, net/http reads on in the background to notice a client that hangs up,
// and a read deadline there would cancel a request that could still finish.
func (t *tracker) cutLocked(f *inflight) {
	if !f.eof {
		f.armd = true
		_ = f.rc.SetReadDeadline(t.cutBody)
	}
}

// bodyDone records that f's body was read to its end, and lifts a cut
// deadline from the background read that starts then.
func (t *tracker) bodyDone(f *inflight) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f.eof {
		return
	}
	f.eof = true
	if f.armd {
		_ = f.rc.SetReadDeadline(time.Time{})
	}
}

// wait returns once no handler runs.
func (t *tracker) wait(log *slog.Logger) {
	t.mu.Lock()
	if len(t.reqs) == 0 {
		t.mu.Unlock()
		return
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	tick := time.NewTicker(waitLogEvery)
	defer tick.Stop()
	for {
		select {
		case <-idle:
			return
		case <-tick.C:
			log.Warn("shutdown waits for handlers", "running", t.running())
		}
	}
}

// trackedBody tells the tracker when the body has been read to its end.
type trackedBody struct {
	io.ReadCloser
	t *tracker
	f *inflight
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.t.bodyDone(b.f)
	}
	return n, err
}

// freshConns holds the connections that have not yet delivered a whole
// request head (http.StateNew). Shutdown closes them at once: net/http itself
// would wait five seconds for them, and would not run their request anyway.
type freshConns struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
}

// testHookConnState, when set, sees every connection state change.
var testHookConnState atomic.Pointer[func(net.Conn, http.ConnState)]

func (s *freshConns) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	if st == http.StateNew {
		s.m[c] = struct{}{}
	} else {
		delete(s.m, c)
	}
	s.mu.Unlock()
	if hook := testHookConnState.Load(); hook != nil {
		(*hook)(c, st)
	}
}

func (s *freshConns) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		c.Close()
		delete(s.m, c)
	}
}
