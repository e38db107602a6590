package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/cardvault/cardvault/ratelimit"
)

// Reading and decoding a body costs memory: the body, what the decoded tree
// takes (param bounds it), and what the handler builds from it. Every body's
// first SmallBody bytes are read without a turn, like net/http's own
// per-connection buffers, so that clients dribbling bodies until the read
// timeout cannot keep anyone else from being served. Only a body that turns
// out to be larger needs a read turn for the rest, and keeps it until its
// request's handler has finished (so that what the handler builds from it
// is bounded too); one client address holds at most a few read turns. Every
// body is decoded with a decoding turn, given back once it is decoded. So
// peak memory is bounded whatever the number of clients.
const (
	// SmallBody is the largest body read without a read turn (announced or
	// not): far more than any real request (a token is ~250 bytes, a
	// customer with full metadata ~17 KiB is the largest expected).
	SmallBody = 32 << 10

	// MaxParallelReads is how many requests may hold a read turn (for a
	// body over SmallBody) at once. A read turn is kept until the request's
	// handler has finished.
	MaxParallelReads = 32

	// MaxReadsPerAddress is how many read turns the requests of one client
	// address (an IPv4 address, or the /64 of an IPv6 address: see
	// AddressKey) may hold at once, so that one client cannot hold them all.
	MaxReadsPerAddress = 4

	// MaxParallelDecodes is how many requests may decode a body at once.
	// Decoding is CPU-bound and takes milliseconds, so a few dozen keep
	// every core busy.
	MaxParallelDecodes = 32

	// MaxBodyWait is how long a request waits for a turn (a read turn, for
	// its address's and the process's bound together, or a decoding turn)
	// before it is refused with ErrBusy.
	MaxBodyWait = time.Second

	// BusyRetryAfter is the Retry-After, in seconds, of a request refused
	// with ErrBusy.
	BusyRetryAfter = 1
)

// ErrBusy is returned when no turn came within MaxBodyWait. Dialects answer
// it with their 429.
var ErrBusy = errors.New("too many requests are being read")

// Gate bounds how many requests do something at once.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// NewGate returns a gate letting n requests in at once; the others wait up
// to wait for a turn.
func NewGate(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, n), wait: wait}
}

// The process's gates, shared by both dialects.
var (
	Reads        = NewGate(MaxParallelReads, MaxBodyWait)
	AddressReads = NewAddressGate(MaxReadsPerAddress)
	Decodes      = NewGate(MaxParallelDecodes, MaxBodyWait)
)

// Enter waits for a turn. It fails with ErrBusy when none came within the
// gate's wait, or with ErrClientBody when ctx ended first (the client is
// gone). On success leave gives the turn back; calling it again does nothing.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.leaver(), nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	return g.enter(ctx, t.C)
}

// enter waits for a turn until expired fires or ctx ends. A free turn is
// taken even when expired has already fired.
func (g *Gate) enter(ctx context.Context, expired <-chan time.Time) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return g.leaver(), nil
	default:
	}
	select {
	case g.slots <- struct{}{}:
		return g.leaver(), nil
	case <-expired:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrClientBody, context.Cause(ctx))
	}
}

// Held returns how many turns are taken.
func (g *Gate) Held() int { return len(g.slots) }

func (g *Gate) leaver() func() {
	var once sync.Once
	return func() { once.Do(func() { <-g.slots }) }
}

// AddressGate bounds how many turns the requests of one client address
// (by ratelimit.AddressKey) hold at once.
type AddressGate struct {
	n     int
	mu    sync.Mutex
	addrs map[string]*addressTurns
}

// addressTurns are one address's turns; users counts the requests holding
// or waiting for one, so that the entry goes once nobody needs it.
type addressTurns struct {
	slots chan struct{}
	users int
}

// NewAddressGate returns a gate letting n requests of each address in at once.
func NewAddressGate(n int) *AddressGate {
	return &AddressGate{n: n, addrs: map[string]*addressTurns{}}
}

// Held returns how many turns the requests of addr hold.
func (g *AddressGate) Held(addr string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.addrs[string(ratelimit.AddressKey(addr))]; a != nil {
		return len(a.slots)
	}
	return 0
}

// enter waits for a turn of addr until expired fires or ctx ends; see Gate.Enter.
func (g *AddressGate) enter(ctx context.Context, addr string, expired <-chan time.Time) (func(), error) {
	key := string(ratelimit.AddressKey(addr))
	g.mu.Lock()
	a := g.addrs[key]
	if a == nil {
		a = &addressTurns{slots: make(chan struct{}, g.n)}
		g.addrs[key] = a
	}
	a.users++
	g.mu.Unlock()
	gone := func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if a.users--; a.users == 0 {
			delete(g.addrs, key)
		}
	}
	select {
	case a.slots <- struct{}{}:
	default:
		select {
		case a.slots <- struct{}{}:
		case <-expired:
			gone()
			return nil, ErrBusy
		case <-ctx.Done():
			gone()
			return nil, fmt.Errorf("%w: %w", ErrClientBody, context.Cause(ctx))
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-a.slots; gone() }) }, nil
}

// readTurn takes a read turn for a request from addr: one of its address's
// (AddressReads), then one of the process's (Reads), both within MaxBodyWait.
func readTurn(ctx context.Context, addr string) (leave func(), err error) {
	t := time.NewTimer(MaxBodyWait)
	defer t.Stop()
	leaveAddr, err := AddressReads.enter(ctx, addr, t.C)
	if err != nil {
		return nil, err
	}
	leaveAll, err := Reads.enter(ctx, t.C)
	if err != nil {
		leaveAddr()
		return nil, err
	}
	return func() { leaveAll(); leaveAddr() }, nil
}

// ReadForDecoding reads r's body (as ReadBody) and takes a turn to decode
// it. The first SmallBody bytes of any body (of known length or not) are
// read without a turn; a body that is larger waits for a read turn
// (readTurn) before the rest is read. Every body then waits for a decoding
// turn (Decodes). done gives the decoding turn back once the body has been
// decoded; it may be called more than once. A read turn is kept until the
// request's handler has finished: the httpx.Log middleware gives it back
// (without that middleware, done gives it back too). A request without a
// body takes no turn.
func ReadForDecoding(r *http.Request) (body []byte, done func(), err error) {
	done = func() {}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, done, nil
	}
	if r.ContentLength > MaxBody {
		return nil, done, ErrTooLarge
	}
	b, more, err := readFirst(r)
	if err != nil {
		return nil, done, err
	}
	read := func() {}
	if more {
		if read, err = readTurn(r.Context(), ClientIP(r)); err != nil {
			return nil, done, err
		}
		if b, err = readRest(r, b); err != nil {
			read()
			return nil, done, err
		}
		if atEnd(r.Context(), read) {
			read = func() {}
		}
	}
	decode, err := Decodes.Enter(r.Context())
	if err != nil {
		read()
		return nil, done, err
	}
	return b, func() { decode(); read() }, nil
}

// readFirst reads up to SmallBody bytes of r's body: all of it when it is
// no larger (more is false), else its first SmallBody bytes (more is true).
// A body of known length is read into one buffer of exactly that size.
func readFirst(r *http.Request) (b []byte, more bool, err error) {
	switch n := r.ContentLength; {
	case n > SmallBody:
		b = make([]byte, SmallBody)
		_, err = io.ReadFull(r.Body, b)
		more = true
	case n >= 0:
		b = make([]byte, n)
		_, err = io.ReadFull(r.Body, b)
	default:
		b, err = io.ReadAll(io.LimitReader(r.Body, SmallBody+1))
		more = len(b) > SmallBody
	}
	if err != nil {
		return nil, false, readFault(err)
	}
	return b, more, nil
}

// readRest reads the rest of a body whose first bytes are b. A body of
// known length ends in one buffer of exactly that size.
func readRest(r *http.Request, b []byte) ([]byte, error) {
	var err error
	if r.ContentLength >= 0 {
		whole := make([]byte, r.ContentLength)
		copy(whole, b)
		_, err = io.ReadFull(r.Body, whole[len(b):])
		b = whole
	} else {
		// As io.ReadAll, appending to b.
		lr := io.LimitReader(r.Body, MaxBody+1-int64(len(b)))
		for {
			if len(b) == cap(b) {
				b = append(b, 0)[:len(b)]
			}
			var n int
			n, err = lr.Read(b[len(b):cap(b)])
			b = b[:len(b)+n]
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				break
			}
		}
	}
	if err != nil {
		return nil, readFault(err)
	}
	if len(b) > MaxBody {
		return nil, ErrTooLarge
	}
	return b, nil
}

// readFault maps a body read error: past the MaxBytesReader of the Log
// middleware ErrTooLarge, else ErrClientBody wrapping it.
func readFault(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrTooLarge
	}
	return fmt.Errorf("%w: %w", ErrClientBody, err)
}
