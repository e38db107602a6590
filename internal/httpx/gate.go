package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Reading and decoding a body costs memory: the body, and what the decoded
// tree takes (param bounds it). Bodies are decoded by a bounded number of
// requests at once, and large bodies are also read by a bounded number at
// once, so that peak memory is bounded whatever the number of clients.
// Small bodies are read without a turn, like net/http's own per-connection
// buffers, so that clients dribbling large bodies until the read timeout
// cannot keep everyone else from being served.
const (
	// SmallBody is the largest announced body (Content-Length) read without
	// a read turn: far more than any real request (a token is ~250 bytes, a
	// customer with full metadata ~17 KiB is the largest expected).
	SmallBody = 32 << 10

	// MaxParallelReads is how many requests may read a larger body (or one
	// of unknown length) at once. A read turn is kept until the body has
	// been decoded.
	MaxParallelReads = 32

	// MaxParallelDecodes is how many requests may decode a body at once.
	// Decoding is CPU-bound and takes milliseconds, so a few dozen keep
	// every core busy.
	MaxParallelDecodes = 32

	// MaxBodyWait is how long a request waits for a turn before it is
	// refused with ErrBusy.
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
	Reads   = NewGate(MaxParallelReads, MaxBodyWait)
	Decodes = NewGate(MaxParallelDecodes, MaxBodyWait)
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
	select {
	case g.slots <- struct{}{}:
		return g.leaver(), nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrClientBody, context.Cause(ctx))
	}
}

func (g *Gate) leaver() func() {
	var once sync.Once
	return func() { once.Do(func() { <-g.slots }) }
}

// ReadForDecoding reads r's body (see ReadBody) and takes a turn to decode
// it: a body over SmallBody, or of unknown length, first waits for a read
// turn (Reads), every body then for a decoding turn (Decodes). done gives
// the turns back once the body has been decoded; it may be called more than
// once. A request without a body takes no turn.
func ReadForDecoding(r *http.Request) (body []byte, done func(), err error) {
	done = func() {}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, done, nil
	}
	if r.ContentLength < 0 || r.ContentLength > SmallBody {
		if done, err = Reads.Enter(r.Context()); err != nil {
			return nil, func() {}, err
		}
	}
	b, err := ReadBody(r)
	if err != nil {
		done()
		return nil, func() {}, err
	}
	decode, err := Decodes.Enter(r.Context())
	if err != nil {
		done()
		return nil, func() {}, err
	}
	read := done
	return b, func() { decode(); read() }, nil
}
