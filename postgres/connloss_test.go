package postgres

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
	"github.com/cardvault/cardvault/storetest"
)

// proxy forwards TCP connections from a local address to the database, and
// can be cut (listener and every connection closed) and restored on the same
// address: a database that goes away and comes back.
type proxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn

	gate sync.RWMutex // held for writing while frozen: no byte passes
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { p.copy(s, c); s.Close() }()
	p.copy(c, s)
	c.Close()
}

// copy forwards src to dst, holding what it read while the proxy is frozen.
func (p *proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate.RLock()
			_, werr := dst.Write(buf[:n])
			p.gate.RUnlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze stops every byte in both directions without closing anything, as
// a hung database host or a network partition does; thaw lets them pass.
func (p *proxy) freeze() { p.gate.Lock() }
func (p *proxy) thaw()   { p.gate.Unlock() }

// cut closes the listener and every forwarded connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens on the proxy's address again.
func (p *proxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestConnectionLoss: with the database gone, every method answers promptly
// with an internal error that wraps ErrUnavailable and names no host, port
// or driver text (the log has the detail); nothing panics; once the database
// is back, the same store serves again without being reopened.
func TestConnectionLoss(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	var logs syncBuffer
	db := MustOpen(t, u.String(), Logger(slog.New(slog.NewTextHandler(&logs, nil))))
	v, clock := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	tok := storetest.MustToken(t, v, s, storetest.Visa)

	p.cut()
	_, port, _ := net.SplitHostPort(p.addr)
	now := clock.Now()
	calls := map[string]func() error{
		"Ping":          func() error { return db.Ping(t.Context()) },
		"CountAccounts": func() error { _, err := db.CountAccounts(t.Context()); return err },
		"Token":         func() error { _, err := db.Token(t.Context(), s, tok.ID); return err },
		"CreateCustomer": func() error {
			c := &cardvault.Customer{ID: "cust_x", AccountID: s.AccountID, Mode: s.Mode, Token: "t", Metadata: []byte("{}"),
				CreatedAt: now, ModifiedAt: now}
			return db.CreateCustomer(t.Context(), c, &cardvault.Attach{TokenID: tok.ID, ExpiredBefore: now.Add(-time.Hour)})
		},
		"UseNonce": func() error {
			_, err := db.UseNonce(t.Context(), [32]byte{1}, "n", now, now.Add(-time.Minute))
			return err
		},
		"QueryCustomers": func() error {
			_, err := db.QueryCustomers(t.Context(), s, query.Query{Limit: 10, Order: []query.OrderKey{{Field: query.Customer.IDField()}}})
			return err
		},
		"ListCustomers": func() error {
			_, _, err := db.ListCustomers(t.Context(), s, cardvault.ListParams{Limit: 10, To: now})
			return err
		},
		"PurgeTokens": func() error { _, err := db.PurgeTokens(t.Context(), now, now.Add(-time.Hour)); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s with the database gone took %v", name, took)
		}
		if cardvault.ErrorCode(err) != cardvault.EInternal || !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with the database gone: %v; want an internal error wrapping ErrUnavailable", name, err)
			continue
		}
		for _, leak := range []string{"127.0.0.1", port, "dial", "pgconn", "pgx", "connect", "refused", "EOF"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s error %q contains %q", name, err, leak)
			}
		}
	}
	if !strings.Contains(logs.String(), "database unavailable") {
		t.Errorf("nothing logged about the unavailable database; the log holds %q", logs.String())
	}

	p.restore(t)
	deadline := time.Now().Add(10 * time.Second)
	for db.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store does not answer within 10 s of the database coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := db.Token(t.Context(), s, tok.ID); err != nil || got.Used {
		t.Errorf("Token after the database came back: %v, %v; want the unused token (the attach while it was gone wrote nothing)", got, err)
	}
}

// TestSilentServer: a database address that accepts connections and never
// answers fails Open within the connect timeout, not never.
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	start := time.Now()
	db, err := Open(t.Context(), "postgres://cv:pw@"+ln.Addr().String()+"/cardvault?sslmode=disable")
	if err == nil {
		db.Close()
		t.Fatal("Open of a silent server succeeded")
	}
	if took := time.Since(start); took > 3*defaultConnectTimeout {
		t.Errorf("Open of a silent server failed after %v, want within about %v", took, defaultConnectTimeout)
	}
}

// TestFrozenDatabase: with the database silent (connections open, nothing
// answered), every method on a request's path fails within opTimeout as
// unavailable, naming no host, port or driver text; once it answers again
// the store serves without being reopened.
func TestFrozenDatabase(t *testing.T) {
	dsn := FreshSchema(t, BaseURL(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.addr
	db := MustOpen(t, u.String(), Logger(slog.New(slog.DiscardHandler)))
	v, clock := storetest.MustVault(t, db)
	cr := storetest.MustAccount(t, v)
	s := cardvault.Scope{AccountID: cr.ID, Mode: cardvault.Test}
	tok := storetest.MustToken(t, v, s, storetest.Visa)
	now := clock.Now()

	p.freeze()
	frozen := true
	defer func() {
		if frozen {
			p.thaw()
		}
	}()
	_, port, _ := net.SplitHostPort(p.addr)
	calls := map[string]func() error{
		"Ping":  func() error { return db.Ping(t.Context()) },
		"Token": func() error { _, err := db.Token(t.Context(), s, tok.ID); return err },
		"CreateCustomer": func() error {
			c := &cardvault.Customer{ID: "cust_y", AccountID: s.AccountID, Mode: s.Mode, Token: "t", Metadata: []byte("{}"),
				CreatedAt: now, ModifiedAt: now}
			return db.CreateCustomer(t.Context(), c, &cardvault.Attach{TokenID: tok.ID, ExpiredBefore: now.Add(-time.Hour)})
		},
		"ListCustomers": func() error {
			_, _, err := db.ListCustomers(t.Context(), s, cardvault.ListParams{Limit: 10, To: now})
			return err
		},
	}
	var wg sync.WaitGroup
	for name, call := range calls {
		wg.Go(func() {
			start := time.Now()
			err := call()
			if took := time.Since(start); took > opTimeout+time.Second {
				t.Errorf("%s with the database frozen took %v, want about %v", name, took, opTimeout)
			}
			if cardvault.ErrorCode(err) != cardvault.EInternal || !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s with the database frozen: %v; want an internal error wrapping ErrUnavailable", name, err)
				return
			}
			for _, leak := range []string{"127.0.0.1", port, "pgconn", "pgx", "timeout:"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("%s error %q contains %q", name, err, leak)
				}
			}
		})
	}
	wg.Wait()
	// Known to be down: later requests fail fast.
	start := time.Now()
	if err := db.Ping(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping once the store knows the database is down: %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > degradedTimeout+500*time.Millisecond {
		t.Errorf("Ping once the store knows the database is down took %v, want about %v", took, degradedTimeout)
	}

	p.thaw()
	frozen = false
	deadline := time.Now().Add(10 * time.Second)
	for db.Ping(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store does not answer within 10 s of the database answering again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := db.Token(t.Context(), s, tok.ID); err != nil || got.Used {
		t.Errorf("Token after the database answered again: %v, %v; want the unused token", got, err)
	}
}
