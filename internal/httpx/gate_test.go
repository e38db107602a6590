package httpx

import (
	"context"
	"errors"
	"io"
	"log/slog"
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

	// Every body's first SmallBody bytes are read without a read turn,
	// announced or not; a larger one needs a turn.
	freeReads := fill(Reads)
	for _, cl := range []int64{SmallBody, -1} {
		b, done, err := ReadForDecoding(post(small, cl))
		if err != nil || string(b) != small {
			t.Fatalf("small body (Content-Length %d) with every read turn taken: %d bytes, %v", cl, len(b), err)
		}
		done()
		done()
	}
	for _, cl := range []int64{SmallBody + 1, -1} {
		if _, _, err := ReadForDecoding(post(large, cl)); !errors.Is(err, ErrBusy) {
			t.Errorf("large body (Content-Length %d) with every read turn taken = %v, want ErrBusy", cl, err)
		}
	}
	if n := AddressReads.Held("192.0.2.1"); n != 0 {
		t.Errorf("a refused request kept %d of its address's read turns", n)
	}
	freeReads()

	freeDecodes := fill(Decodes)
	if _, _, err := ReadForDecoding(post(small, SmallBody)); !errors.Is(err, ErrBusy) {
		t.Errorf("small body with every decoding turn taken = %v, want ErrBusy", err)
	}
	if _, _, err := ReadForDecoding(post(large, SmallBody+1)); !errors.Is(err, ErrBusy) {
		t.Errorf("large body with every decoding turn taken = %v, want ErrBusy", err)
	}
	if Reads.Held() != 0 || AddressReads.Held("192.0.2.1") != 0 {
		t.Errorf("a refused request kept read turns: %d, address %d", Reads.Held(), AddressReads.Held("192.0.2.1"))
	}
	if b, _, err := ReadForDecoding(post("", 0)); b != nil || err != nil {
		t.Errorf("no body = %q, %v; want no turn needed", b, err)
	}
	freeDecodes()

	for _, cl := range []int64{SmallBody + 1, -1} {
		b, done, err := ReadForDecoding(post(large, cl))
		if err != nil || string(b) != large || Reads.Held() != 1 || AddressReads.Held("192.0.2.1") != 1 || Decodes.Held() != 1 {
			t.Fatalf("large body (Content-Length %d): %d bytes, %v, turns held %d read (%d address) %d decode",
				cl, len(b), err, Reads.Held(), AddressReads.Held("192.0.2.1"), Decodes.Held())
		}
		if cl > 0 && cap(b) != len(b) {
			t.Errorf("large body of known length in a buffer of cap %d, want %d", cap(b), len(b))
		}
		// Without the Log middleware, done gives every turn back.
		done()
		if Reads.Held() != 0 || AddressReads.Held("192.0.2.1") != 0 || Decodes.Held() != 0 {
			t.Errorf("done kept turns: %d read %d decode", Reads.Held(), Decodes.Held())
		}
	}
	for _, tc := range []struct {
		body string
		cl   int64
	}{{"abc", 10}, {large, SmallBody + 20}} {
		if _, _, err := ReadForDecoding(post(tc.body, tc.cl)); !errors.Is(err, ErrClientBody) || Decodes.Held() != 0 || Reads.Held() != 0 {
			t.Errorf("short body (%d of %d bytes) = %v (turns %d read %d decode)", len(tc.body), tc.cl, err, Reads.Held(), Decodes.Held())
		}
	}
	if _, _, err := ReadForDecoding(post("", MaxBody+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("announced over MaxBody = %v", err)
	}
	if _, _, err := ReadForDecoding(post(strings.Repeat("x", MaxBody+1), -1)); !errors.Is(err, ErrTooLarge) || Reads.Held() != 0 {
		t.Errorf("unknown length over MaxBody = %v (read turns %d)", err, Reads.Held())
	}
}

// TestReadsPerAddress: one client address holds at most MaxReadsPerAddress
// read turns (IPv6 by /64); past that its next large body waits and gets
// ErrBusy, while other addresses' large bodies are read.
func TestReadsPerAddress(t *testing.T) {
	from := func(addr string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", SmallBody+1)))
		r.RemoteAddr = addr
		return r
	}
	for _, tc := range []struct{ holder, same, other string }{
		{"192.0.2.7:1000", "192.0.2.7:2000", "192.0.2.8:1000"},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:2000", "[2001:db8:1:3::1]:1000"},
		{"[::ffff:192.0.2.9]:1000", "192.0.2.9:2000", "[::ffff:192.0.2.10]:1000"},
	} {
		var dones []func()
		for i := range MaxReadsPerAddress {
			_, done, err := ReadForDecoding(from(tc.holder))
			if err != nil {
				t.Fatalf("%s: large body %d of the address = %v", tc.holder, i+1, err)
			}
			dones = append(dones, done)
		}
		start := time.Now()
		if _, _, err := ReadForDecoding(from(tc.same)); !errors.Is(err, ErrBusy) {
			t.Errorf("%s: large body past the address's bound = %v, want ErrBusy", tc.same, err)
		}
		if d := time.Since(start); d < MaxBodyWait {
			t.Errorf("refused after %v, before MaxBodyWait", d)
		}
		_, done, err := ReadForDecoding(from(tc.other))
		if err != nil {
			t.Errorf("%s: another address's large body = %v", tc.other, err)
		} else {
			done()
		}
		// A turn given back is taken by a waiting request of the address.
		got := make(chan error)
		go func() {
			_, done, err := ReadForDecoding(from(tc.same))
			if err == nil {
				done()
			}
			got <- err
		}()
		dones[0]()
		if err := <-got; err != nil {
			t.Errorf("%s: waiting large body after a turn was given back = %v", tc.same, err)
		}
		for _, d := range dones {
			d()
		}
		if Reads.Held() != 0 || Decodes.Held() != 0 || len(AddressReads.addrs) != 0 {
			t.Errorf("turns left: %d read %d decode, %d addresses", Reads.Held(), Decodes.Held(), len(AddressReads.addrs))
		}
	}
}

// TestReadTurnKeptUntilHandlerEnds: behind the Log middleware a large body's
// read turn is kept until the handler has returned (also after a panic),
// its decoding turn only until done; a small body keeps nothing after done.
func TestReadTurnKeptUntilHandlerEnds(t *testing.T) {
	var held [3]int
	h := Log(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, done, err := ReadForDecoding(r)
		if err != nil {
			t.Errorf("ReadForDecoding: %v", err)
			return
		}
		done()
		held = [3]int{Reads.Held(), AddressReads.Held(ClientIP(r)), Decodes.Held()}
		if r.Header.Get("Panic") != "" {
			panic("handler failed")
		}
	}), func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	for _, tc := range []struct {
		size  int
		cl    int64
		panic string
		want  [3]int
	}{
		{SmallBody, SmallBody, "", [3]int{0, 0, 0}},
		{SmallBody, -1, "", [3]int{0, 0, 0}},
		{SmallBody + 1, SmallBody + 1, "", [3]int{1, 1, 0}},
		{SmallBody + 1, -1, "", [3]int{1, 1, 0}},
		{SmallBody + 1, SmallBody + 1, "yes", [3]int{1, 1, 0}},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.size)))
		r.ContentLength = tc.cl
		r.Header.Set("Panic", tc.panic)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if held != tc.want {
			t.Errorf("%d bytes (Content-Length %d, panic %q): turns held after done = %v, want %v", tc.size, tc.cl, tc.panic, held, tc.want)
		}
		if Reads.Held() != 0 || AddressReads.Held(ClientIP(r)) != 0 || Decodes.Held() != 0 {
			t.Errorf("%d bytes: turns held after the handler returned: %d read %d decode", tc.size, Reads.Held(), Decodes.Held())
		}
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
