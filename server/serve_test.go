package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// served is a Serve running on 127.0.0.1:0.
type served struct {
	addr   string
	stop   context.CancelFunc
	done   chan error
	logs   *syncBuffer
	stopAt time.Time
}

// mustServe runs Serve(h) with drain until the test ends.
func mustServe(t *testing.T, h http.Handler, drain time.Duration) *served {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{addr: l.Addr().String(), stop: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(s.logs, nil))
	go func() { s.done <- Serve(ctx, l, h, log, drain) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return s
}

// shutdown starts the shutdown and notes when.
func (s *served) shutdown() { s.stopAt = time.Now(); s.stop() }

// mustReturn waits for Serve to return within limit of the shutdown.
func (s *served) mustReturn(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
		if took := time.Since(s.stopAt); took > limit {
			t.Errorf("Serve returned %v after shutdown began, want within %v", took, limit)
		}
		s.done <- nil // for the cleanup
	case <-time.After(limit):
		t.Fatalf("Serve still running %v after shutdown began", limit)
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawDial opens a TCP connection to s.
func rawDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestServeDrainsInFlight: a request in flight when shutdown begins finishes
// with 200, and Serve returns once it has.
func TestServeDrainsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s := mustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if r.Context().Err() != nil {
			t.Errorf("request context ended during the drain: %v", context.Cause(r.Context()))
		}
		io.WriteString(w, "done")
	}), 10*time.Second)
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+s.addr+"/", "text/plain", strings.NewReader("a body"))
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	s.shutdown()
	waitFor(t, "the listener to close", func() bool {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	// Past the shutdown's body grace: a request whose body was read is not cut.
	time.Sleep(shutdownBodyGrace + 200*time.Millisecond)
	close(release)
	r := <-res
	if r.err != nil || r.status != 200 || r.body != "done" {
		t.Errorf("in-flight request = %d %q %v, want 200 done", r.status, r.body, r.err)
	}
	s.mustReturn(t, 5*time.Second)
}

// TestServeCancelsAfterDrain: a handler still running when the drain period
// ends has its context cancelled; Serve returns shortly after the drain and
// the client gets no answer (certainly not a 200).
func TestServeCancelsAfterDrain(t *testing.T) {
	const drain = 300 * time.Millisecond
	started := make(chan struct{})
	cause := make(chan error, 1)
	s := mustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		cause <- context.Cause(r.Context())
	}), drain)
	c := rawDial(t, s.addr)
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	s.shutdown()
	s.mustReturn(t, drain+5*time.Second)
	if took := time.Since(s.stopAt); took < drain {
		t.Errorf("Serve returned after %v, before the drain of %v", took, drain)
	}
	select {
	case err := <-cause:
		if !errors.Is(err, errShutdown) && !errors.Is(err, context.Canceled) {
			t.Errorf("cause = %v, want cancellation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not cancelled")
	}
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Errorf("cancelled request answered %q", b)
	}
}

// TestServeWaitsForHandlers: Serve never returns while a handler runs, even
// one that ignores its cancelled context.
func TestServeWaitsForHandlers(t *testing.T) {
	started, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	s := mustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		close(finished)
	}), 50*time.Millisecond)
	c := rawDial(t, s.addr)
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	s.shutdown()
	waitFor(t, "the drain period to end", func() bool { return strings.Contains(s.logs.String(), "drain period over") })
	select {
	case <-s.done:
		t.Fatal("Serve returned while a handler was running")
	default:
	}
	close(release)
	<-finished
	s.mustReturn(t, 5*time.Second)
}

// TestServeSlowBodyDoesNotHoldShutdown: a client dribbling its body holds
// shutdown for shutdownBodyGrace, not for the drain.
func TestServeSlowBodyDoesNotHoldShutdown(t *testing.T) {
	started := make(chan struct{})
	readErr := make(chan error, 1)
	s := mustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		_, err := io.ReadAll(r.Body)
		readErr <- err
		w.WriteHeader(http.StatusBadRequest)
	}), 20*time.Second)
	c := rawDial(t, s.addr)
	fmt.Fprint(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	<-started
	s.shutdown()
	s.mustReturn(t, shutdownBodyGrace+4*time.Second)
	if err := <-readErr; err == nil {
		t.Error("the body read did not fail")
	}
}

// TestServeFreshConnDoesNotHoldShutdown: a connection that has not sent a
// whole request head is closed when shutdown begins (net/http alone would
// wait five seconds for it).
func TestServeFreshConnDoesNotHoldShutdown(t *testing.T) {
	accepted := make(chan struct{}, 1)
	hook := func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}
	testHookConnState.Store(&hook)
	t.Cleanup(func() { testHookConnState.Store(nil) })
	s := mustServe(t, http.NotFoundHandler(), 20*time.Second)
	c := rawDial(t, s.addr)
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	<-accepted
	s.shutdown()
	s.mustReturn(t, 4*time.Second) // net/http alone: over 5 s
	if _, err := bufio.NewReader(c).ReadByte(); err == nil {
		t.Error("the fresh connection got an answer")
	}
}

// TestRefusalBeforeTheBodyIsAnsweredAtOnce: a handler that answers without
// reading the body (a 429, a body too large) reaches a client whose large
// body (256 KiB or more) has stalled at once, not when the read timeout ends:
// net/http must still see its own body type, or it tries to read 256 KiB of
// the rest first. (A smaller unread body net/http always reads on.)
func TestRefusalBeforeTheBodyIsAnsweredAtOnce(t *testing.T) {
	s := mustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}), time.Second)
	c := rawDial(t, s.addr)
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST /tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\nabc")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(status, "429") {
		t.Fatalf("status line %q, %v", status, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v; want at once", took)
	}
}
