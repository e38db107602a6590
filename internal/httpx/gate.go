package httpx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Reading and decoding a body costs memory: up to the body once more, and
// what the decoded tree takes (param bounds it). Bodies are read and decoded
// only by a bounded number of requests at once, so that peak memory is
// bounded whatever the number of clients.
const (
	// MaxParallelBodies is how many requests may read and decode a body at
	// once. Decoding is CPU-bound and takes milliseconds, so a few dozen keep
	// every core busy.
	MaxParallelBodies = 32

	// MaxBodyWait is how long a request waits for its turn before it is
	// refused with ErrBusy.
	MaxBodyWait = time.Second

	// BusyRetryAfter is the Retry-After, in seconds, of a request refused
	// with ErrBusy.
	BusyRetryAfter = 1
)

// ErrBusy is returned by Gate.Enter when no turn came within the gate's wait.
// Dialects answer it with their 429.
var ErrBusy = errors.New("too many requests are being read")

// Gate bounds how many requests read and decode a body at once.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// NewGate returns a gate letting n requests in at once; the others wait up
// to wait for a turn.
func NewGate(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, n), wait: wait}
}

// Bodies is the process's gate for request bodies, shared by both dialects.
var Bodies = NewGate(MaxParallelBodies, MaxBodyWait)

// Enter waits for a turn. It fails with ErrBusy when none came within the
// gate's wait, or with ErrClientBody when ctx ended first (the client is
// gone). On success leave must be called once the body has been decoded;
// calling it again does nothing.
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
