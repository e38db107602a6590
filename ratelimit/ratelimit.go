// Package ratelimit limits request rates per API key with token buckets
// (golang.org/x/time/rate). Limits are per process: with several instances
// behind a balancer, each enforces the configured rate on its own.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// minIdle is the least time an unused bucket is kept. A bucket idle for
// longer than it takes to refill carries no state and can go.
const minIdle = 10 * time.Minute

// Limiter holds one token bucket per key.
type Limiter struct {
	limit     rate.Limit
	burst     int
	idleAfter time.Duration

	mu      sync.Mutex
	buckets map[[32]byte]*bucket
	sweep   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter allowing perSecond requests per key with bursts of
// burst; perSecond ≤ 0 returns nil, which allows everything.
func New(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = int(math.Max(1, math.Ceil(perSecond)))
	}
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &Limiter{limit: rate.Limit(perSecond), burst: burst, idleAfter: max(minIdle, refill),
		buckets: map[[32]byte]*bucket{}}
}

// Allow takes one token from key's bucket at now. When none is left it
// returns false and how long until one will be.
func (l *Limiter) Allow(key [32]byte, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	l.forgetIdle(now)
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forgetIdle drops buckets unused for l.idleAfter, at most once a minute.
func (l *Limiter) forgetIdle(now time.Time) {
	if now.Sub(l.sweep) < time.Minute {
		return
	}
	l.sweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) > l.idleAfter {
			delete(l.buckets, k)
		}
	}
}

// RetryAfter renders a wait as whole seconds for the Retry-After header (at least 1).
func RetryAfter(d time.Duration) int {
	return int(math.Max(1, math.Ceil(d.Seconds())))
}
