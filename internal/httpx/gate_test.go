package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
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

func TestReadForDecoding(t *testing.T) {
	fill := func(g *Gate) func() {
		var leaves []func()
		for range cap(g.slots) {
			l, err := g.Enter(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			leaves = append(leaves, l)
		}
		return func() {
			for _, l := range leaves {
				l()
			}
		}
	}
	post := func(body string, cl int64) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.ContentLength = cl
		return r
	}
	small, large := strings.Repeat("x", SmallBody), strings.Repeat("x", SmallBody+1)

	freeReads := fill(Reads)
	b, done, err := ReadForDecoding(post(small, SmallBody))
	if err != nil || len(b) != SmallBody {
		t.Fatalf("small body with every read turn taken: %d bytes, %v", len(b), err)
	}
	done()
	done()
	if _, _, err := ReadForDecoding(post(large, SmallBody+1)); !errors.Is(err, ErrBusy) {
		t.Errorf("large body with every read turn taken = %v, want ErrBusy", err)
	}
	if _, _, err := ReadForDecoding(post(small, -1)); !errors.Is(err, ErrBusy) {
		t.Errorf("body of unknown length with every read turn taken = %v, want ErrBusy", err)
	}
	freeReads()

	freeDecodes := fill(Decodes)
	if _, _, err := ReadForDecoding(post(small, SmallBody)); !errors.Is(err, ErrBusy) {
		t.Errorf("small body with every decoding turn taken = %v, want ErrBusy", err)
	}
	if _, _, err := ReadForDecoding(post(large, SmallBody+1)); !errors.Is(err, ErrBusy) {
		t.Errorf("large body with every decoding turn taken = %v, want ErrBusy", err)
	}
	if len(Reads.slots) != 0 {
		t.Errorf("a refused request kept %d read turns", len(Reads.slots))
	}
	if b, _, err := ReadForDecoding(post("", 0)); b != nil || err != nil {
		t.Errorf("no body = %q, %v; want no turn needed", b, err)
	}
	freeDecodes()

	b, done, err = ReadForDecoding(post(large, SmallBody+1))
	if err != nil || len(Reads.slots) != 1 || len(Decodes.slots) != 1 {
		t.Fatalf("large body: %v, turns held %d read %d decode", err, len(Reads.slots), len(Decodes.slots))
	}
	done()
	if len(Reads.slots) != 0 || len(Decodes.slots) != 0 {
		t.Errorf("done kept turns: %d read %d decode", len(Reads.slots), len(Decodes.slots))
	}
	if _, _, err := ReadForDecoding(post("abc", 10)); !errors.Is(err, ErrClientBody) || len(Decodes.slots) != 0 {
		t.Errorf("short body = %v (decode turns %d)", err, len(Decodes.slots))
	}
}

func TestBodyFault(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("abc"))
	r.ContentLength = 10
	_, err := ReadBody(r)
	if got := BodyFault(err); got != "body ended early" {
		t.Errorf("short body: %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = NewGate(0, time.Second).Enter(ctx)
	if got := BodyFault(err); got != "client gone" {
		t.Errorf("cancelled: %q", got)
	}
	r = httptest.NewRequest("POST", "/", iotest.ErrReader(os.ErrDeadlineExceeded))
	r.ContentLength = 10
	_, err = ReadBody(r)
	if got := BodyFault(err); got != "read timeout" {
		t.Errorf("timeout: %q", got)
	}
	r = httptest.NewRequest("POST", "/", iotest.ErrReader(errors.New("invalid byte in chunk length")))
	r.ContentLength = -1
	_, err = ReadBody(r)
	if got := BodyFault(err); got != "malformed or interrupted body" {
		t.Errorf("chunked: %q", got)
	}
}
