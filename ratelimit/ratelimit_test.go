package ratelimit

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	l := New(2, 3)
	now := time.Unix(1700000000, 0)
	a, b := [32]byte{1}, [32]byte{2}
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow(a, now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow(a, now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request = %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow(b, now); !ok {
		t.Fatal("another key is limited too")
	}
	if ok, _ := l.Allow(a, now.Add(500*time.Millisecond)); !ok {
		t.Fatal("refill did not happen")
	}
	if ok, _ := l.Allow(a, now.Add(500*time.Millisecond)); ok {
		t.Fatal("refilled more than one token")
	}
}

func TestNilAllowsEverything(t *testing.T) {
	var l *Limiter = New(0, 0)
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow([32]byte{}, time.Now()); !ok {
			t.Fatal("nil limiter refused")
		}
	}
}

func TestForgetIdle(t *testing.T) {
	l := New(1, 1)
	now := time.Unix(1700000000, 0)
	l.Allow([32]byte{1}, now)
	l.Allow([32]byte{2}, now.Add(minIdle+2*time.Minute))
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
	l.Allow([32]byte{1}, now)
	l.Allow([32]byte{1}, now)
	l.Allow([32]byte{2}, now.Add(30*time.Minute))
	if ok, _ := l.Allow([32]byte{1}, now.Add(31*time.Minute)); ok {
		t.Fatal("a drained slow bucket was forgotten and refilled early")
	}
}
