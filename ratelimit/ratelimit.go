// Package ratelimit limits request rates with token buckets
// (golang.org/x/time/rate), one per key: the caller decides what a key
// names (an API key, a client address). Limits are per process: with several instances
// behind a balancer, each enforces the configured rate on its own.
package ratelimit

import (
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// minIdle is the least time an unused bucket is kept. A bucket idle for
// longer than it takes to refill carries no state and can go.
const minIdle = 10 * time.Minute

// MaxBuckets bounds the buckets a limiter holds (about 200 bytes each), since
// clients choose keys (their addresses) freely. When it is reached, full
// buckets are dropped at once; if every bucket still holds state, new keys
// share one overflow bucket until some refill.
const MaxBuckets = 1 << 17

// overflow is the key of the bucket new keys share when MaxBuckets is reached.
var overflow = [32]byte{'o', 'v', 'e', 'r', 'f', 'l', 'o', 'w'}

// Limiter holds one token bucket per key, all with the same rate and burst.
type Limiter struct {
	limit      rate.Limit
	burst      int
	refill     time.Duration // an empty bucket is full again after this
	idleAfter  time.Duration
	maxBuckets int

	mu      sync.Mutex
	buckets map[[32]byte]*bucket
	sweep   time.Time
	pressed time.Time // last scan for full buckets at the MaxBuckets bound
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// Validate checks a configured rate and burst: the rate must be a finite
// number ≥ 0 (0 turns limiting off) and the burst at least 1.
func Validate(perSecond float64, burst int) error {
	if math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond < 0 || (perSecond > 0 && perSecond < MinRate) {
		return fmt.Errorf("rate limit %v: must be 0 (limiting off) or from %v (one request an hour) up", perSecond, MinRate)
	}
	if burst < 1 || burst > MaxBurst {
		return fmt.Errorf("rate burst %d: must be from 1 to %d", burst, MaxBurst)
	}
	return nil
}

// The bounds Validate puts on a limiter's settings. Within them the time a
// bucket takes to refill (burst / rate) fits a time.Duration.
const (
	// MinRate is the slowest rate, in requests per second: one an hour.
	MinRate = 1.0 / 3600
	// MaxBurst is the largest burst.
	MaxBurst = 1_000_000
)

// NewLimiter returns a limiter allowing perSecond requests per bucket with
// bursts of burst. perSecond = 0 returns nil, which allows everything; an
// invalid rate or burst (see Validate) is an error.
func NewLimiter(perSecond float64, burst int) (*Limiter, error) {
	if err := Validate(perSecond, burst); err != nil {
		return nil, err
	}
	if perSecond == 0 {
		return nil, nil
	}
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &Limiter{limit: rate.Limit(perSecond), burst: burst, refill: refill, idleAfter: max(minIdle, refill),
		maxBuckets: MaxBuckets, buckets: map[[32]byte]*bucket{}}, nil
}

// New is NewLimiter for values already validated: it panics on an invalid
// rate or burst.
func New(perSecond float64, burst int) *Limiter {
	l, err := NewLimiter(perSecond, burst)
	if err != nil {
		panic("ratelimit: " + err.Error())
	}
	return l
}

// Allow takes one token from each named bucket at now, all or none: when any
// bucket is empty nothing is taken, and it returns false and how long until
// every one of them will have a token.
func (l *Limiter) Allow(now time.Time, keys ...[32]byte) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(now)
	taken := make([]*rate.Reservation, 0, len(keys))
	var wait time.Duration
	for _, key := range keys {
		b := l.bucket(key, now)
		b.seen = now
		r := b.lim.ReserveN(now, 1)
		taken = append(taken, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > 0 {
		for _, r := range taken {
			r.CancelAt(now)
		}
		return false, wait
	}
	return true, 0
}

// bucket returns key's bucket, making it if need be (see MaxBuckets).
func (l *Limiter) bucket(key [32]byte, now time.Time) *bucket {
	if b := l.buckets[key]; b != nil {
		return b
	}
	if len(l.buckets) >= l.maxBuckets && now.Sub(l.pressed) >= min(l.refill, time.Second) {
		l.pressed = now // a scan frees nothing before buckets can have refilled
		for k, b := range l.buckets {
			if now.Sub(b.seen) >= l.refill {
				delete(l.buckets, k)
			}
		}
	}
	if len(l.buckets) >= l.maxBuckets {
		key = overflow
		if b := l.buckets[key]; b != nil {
			return b
		}
	}
	b := &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
	l.buckets[key] = b
	return b
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

// AddressKey is what one client address is bounded
// by: an IPv4 address (also written as an IPv4-mapped IPv6 one), or the /64
// of an IPv6 address (one end site holds a whole /64, so a client could
// otherwise pick a fresh address per request). Text that is no IP address
// is its own key.
func AddressKey(addr string) []byte {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return []byte(addr)
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.WithZone("").Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	b, _ := ip.MarshalBinary()
	return b
}
