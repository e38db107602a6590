package httpx

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestGate(t *testing.T) {
	g := NewGate(2, 20*time.Millisecond)
	a, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Enter(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("third Enter = %v, want ErrBusy", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Enter(ctx); !errors.Is(err, ErrClientBody) {
		t.Fatalf("Enter with an ended context = %v, want ErrClientBody", err)
	}
	a()
	a() // leaving twice frees one turn only
	c, err := g.Enter(context.Background())
	if err != nil {
		t.Fatalf("Enter after a leave: %v", err)
	}
	if _, err := g.Enter(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("a double leave freed two turns: %v", err)
	}
	// A waiting request gets the turn given back during its wait.
	done := make(chan error)
	waiter := NewGate(1, 5*time.Second)
	hold, _ := waiter.Enter(context.Background())
	go func() {
		_, err := waiter.Enter(context.Background())
		done <- err
	}()
	hold()
	if err := <-done; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	b()
	c()
}

func TestReadBodyFaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		body io.Reader
		cl   int64
		want error
	}{
		{"short", strings.NewReader("abc"), 10, ErrClientBody},
		{"reset", iotest.ErrReader(errors.New("connection reset by peer")), 10, ErrClientBody},
		{"unknown length reset", iotest.ErrReader(errors.New("connection reset by peer")), -1, ErrClientBody},
		{"announced too large", strings.NewReader(""), MaxBody + 1, ErrTooLarge},
		{"unknown length too large", strings.NewReader(strings.Repeat("x", MaxBody+1)), -1, ErrTooLarge},
	} {
		r := httptest.NewRequest("POST", "/", tc.body)
		r.ContentLength = tc.cl
		if _, err := ReadBody(r); !errors.Is(err, tc.want) {
			t.Errorf("%s: ReadBody error = %v, want %v", tc.name, err, tc.want)
		}
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader("abcdef"))
	b, err := ReadBody(r)
	if err != nil || string(b) != "abcdef" || cap(b) != 6 {
		t.Errorf("ReadBody = %q (cap %d), %v; want the body in a buffer of its exact length", b, cap(b), err)
	}
}
