package ratelimit

import (
	"math"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	l := New(2, 3)
	now := time.Unix(1700000000, 0)
	a, b := [32]byte{1}, [32]byte{2}
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow(now, a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow(now, a)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request = %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow(now, b); !ok {
		t.Fatal("another key is limited too")
	}
	if ok, _ := l.Allow(now.Add(500*time.Millisecond), a); !ok {
		t.Fatal("refill did not happen")
	}
	if ok, _ := l.Allow(now.Add(500*time.Millisecond), a); ok {
		t.Fatal("refilled more than one token")
	}
}

func TestNilAllowsEverything(t *testing.T) {
	var l *Limiter = New(0, 1)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow(time.Now(), [32]byte{}); !ok {
			t.Fatal("nil limiter refused")
		}
	}
}

func TestForgetIdle(t *testing.T) {
	l := New(1, 1)
	now := time.Unix(1700000000, 0)
	l.Allow(now, [32]byte{1})
	l.Allow(now.Add(minIdle+2*time.Minute), [32]byte{2})
	if len(l.buckets) != 1 {
		t.Fatalf("%d buckets kept, want 1", len(l.buckets))
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2} {
		if got := RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestSlowBucketsAreKept(t *testing.T) {
	l := New(1.0/3600, 2) // two per two hours: a drained bucket refills in 2 h
	now := time.Unix(1700000000, 0)
	l.Allow(now, [32]byte{1})
	l.Allow(now, [32]byte{1})
	l.Allow(now.Add(30*time.Minute), [32]byte{2})
	if ok, _ := l.Allow(now.Add(31*time.Minute), [32]byte{1}); ok {
		t.Fatal("a drained slow bucket was forgotten and refilled early")
	}
}

func TestAllowAllOrNothing(t *testing.T) {
	l := New(1, 2)
	now := time.Unix(1700000000, 0)
	a, b := [32]byte{1}, [32]byte{2}
	l.Allow(now, b)
	l.Allow(now, b)
	if ok, wait := l.Allow(now, a, b); ok || wait != time.Second {
		t.Fatalf("a and b with b empty = %v, %v; want refused, 1s", ok, wait)
	}
	// a was not charged by the refused request: its whole burst is left.
	for i := 0; i < 2; i++ {
		if ok, _ := l.Allow(now, a); !ok {
			t.Fatalf("a request %d refused: the refused pair took a token", i+1)
		}
	}
	// b refills at now+1s; a, drained at now too, refills as well.
	if ok, _ := l.Allow(now.Add(time.Second), a, b); !ok {
		t.Fatal("the pair was refused after both refilled")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		burst int
		ok    bool
	}{
		{0, 1, true}, {100, 200, true}, {0.5, 1, true},
		{-1, 200, false}, {-0.001, 1, false}, {math.NaN(), 1, false}, {math.Inf(1), 1, false},
		{100, 0, false}, {100, -5, false}, {0, 0, false},
		{MinRate, MaxBurst, true}, {MinRate * 0.99, 1, false}, {1e-300, 1, false}, {100, MaxBurst + 1, false},
	} {
		l, err := NewLimiter(tc.rate, tc.burst)
		if (err == nil) != tc.ok || (Validate(tc.rate, tc.burst) == nil) != tc.ok {
			t.Errorf("NewLimiter(%v, %d) error = %v, want ok %v", tc.rate, tc.burst, err, tc.ok)
		}
		if l != nil && l.refill <= 0 {
			t.Errorf("NewLimiter(%v, %d): refill %v overflowed", tc.rate, tc.burst, l.refill)
		}
		if tc.ok && (l == nil) != (tc.rate == 0) {
			t.Errorf("NewLimiter(%v, %d) = %v: nil exactly when the rate is 0", tc.rate, tc.burst, l)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("New(-1, 1) did not panic")
		}
	}()
	New(-1, 1)
}

func TestMaxBuckets(t *testing.T) {
	l := New(1, 1) // refills in 1 s
	l.maxBuckets = 2
	now := time.Unix(1700000000, 0)
	l.Allow(now, [32]byte{1})
	l.Allow(now, [32]byte{2})
	// Both buckets hold state: a third key shares the overflow bucket.
	if ok, _ := l.Allow(now, [32]byte{3}); !ok {
		t.Fatal("first request of a new key refused")
	}
	if ok, _ := l.Allow(now, [32]byte{4}); ok {
		t.Fatal("a fourth key got a bucket of its own past the bound")
	}
	if len(l.buckets) > 3 {
		t.Fatalf("%d buckets, want at most 2 and the overflow", len(l.buckets))
	}
	// Once they have refilled, the full buckets go and new keys get their own.
	later := now.Add(time.Second)
	if ok, _ := l.Allow(later, [32]byte{5}); !ok {
		t.Fatal("a new key refused after the others refilled")
	}
	if ok, _ := l.Allow(later, [32]byte{5}); ok {
		t.Fatal("key 5 shares a bucket instead of having its own")
	}
	if _, kept := l.buckets[[32]byte{1}]; kept {
		t.Error("a full bucket was kept at the bound")
	}
}

func TestAddressKey(t *testing.T) {
	same := [][2]string{
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"2001:db8::1", "2001:db8::ffff:1"},
		{"2001:db8::1", "2001:db8::1%eth0"},
		{"not an address", "not an address"},
	}
	for _, p := range same {
		if string(AddressKey(p[0])) != string(AddressKey(p[1])) {
			t.Errorf("AddressKey(%q) != AddressKey(%q)", p[0], p[1])
		}
	}
	differ := [][2]string{{"192.0.2.1", "192.0.2.2"}, {"2001:db8::1", "2001:db8:0:1::1"}, {"192.0.2.1", "2001:db8::1"}}
	for _, p := range differ {
		if string(AddressKey(p[0])) == string(AddressKey(p[1])) {
			t.Errorf("AddressKey(%q) == AddressKey(%q)", p[0], p[1])
		}
	}
}
