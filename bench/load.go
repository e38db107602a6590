package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request of the load generator: past it the
// request counts as an error and its connection is replaced.
const requestTimeout = 30 * time.Second

// drainLimit is how long after the end of an open-loop window requests that
// were scheduled inside it may still be sent; the rest are counted as errors.
const drainLimit = 5 * time.Second

// maxSamples is how many error samples a round keeps.
const maxSamples = 5

// conn is one keep-alive HTTP/1.1 connection of the load generator. It
// writes requests serialized once by the scenario and reads the answers
// one at a time with a minimal response reader, as wrk does (net/http's
// client costs the shared CPUs about a tenth of the ceiling's rate).
type conn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
	body bytes.Buffer
}

// do sends one request and returns its status and body (valid until the
// next call). Any failure closes the connection; the next call redials.
func (k *conn) do(raw []byte) (int, []byte, error) {
	if k.c == nil {
		c, err := net.Dial("tcp", k.addr)
		if err != nil {
			return 0, nil, err
		}
		k.c, k.br = c, bufio.NewReaderSize(c, 32<<10)
	}
	k.c.SetDeadline(time.Now().Add(requestTimeout))
	if _, err := k.c.Write(raw); err != nil {
		k.close()
		return 0, nil, err
	}
	status, closing, err := readResponse(k.br, &k.body)
	if err != nil || closing {
		k.close()
	}
	if err != nil {
		return 0, nil, err
	}
	return status, k.body.Bytes(), nil
}

// readResponse reads one HTTP/1.x response into body: a body framed by
// Content-Length, chunked (trailer skipped) or by the end of the
// connection. closing reports that the connection cannot be reused.
func readResponse(br *bufio.Reader, body *bytes.Buffer) (status int, closing bool, err error) {
	body.Reset()
	line, err := readLine(br)
	if err != nil {
		return 0, true, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, true, errors.New("malformed status line")
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, true, errors.New("malformed status line")
	}
	closing = line[7] == '0'
	length, chunked := int64(-1), false
	for {
		line, err := readLine(br)
		if err != nil {
			return 0, true, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, true, errors.New("malformed header line")
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
				return 0, true, errors.New("malformed Content-Length")
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(value), []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closing = closing || bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case status < 200 || status == http.StatusNoContent || status == http.StatusNotModified:
	case chunked:
		if _, err := body.ReadFrom(httputil.NewChunkedReader(br)); err != nil {
			return 0, true, err
		}
		for { // the trailer, up to its blank line
			line, err := readLine(br)
			if err != nil {
				return 0, true, err
			}
			if len(line) == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := io.CopyN(body, br, length); err != nil {
			return 0, true, err
		}
	default:
		if _, err := body.ReadFrom(br); err != nil {
			return 0, true, err
		}
		closing = true
	}
	return status, closing, nil
}

// readLine returns the next line without its CRLF (valid until the next read).
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

func (k *conn) close() {
	if k.c != nil {
		k.c.Close()
		k.c, k.br = nil, nil
	}
}

// rawRequest serializes one HTTP/1.1 request.
func rawRequest(method, path, host, auth, contentType string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host)
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
	}
	if len(body) > 0 || method == http.MethodPost {
		if contentType != "" {
			fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// A source gives one worker its requests; false means there are no more
// (a pool of single-use tokens ran out).
type source func() ([]byte, bool)

// load is one round's shape: connections, warm-up, measured window, and a
// rate (requests per second on a timetable) or 0 for a closed loop.
type load struct {
	addr        string
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	rate        float64
}

// window is what a round measured: requests started (or, open-loop,
// scheduled) inside the window after warm-up.
type window struct {
	requests  int
	errors    int
	seconds   float64
	latencies []time.Duration // sorted
	samples   []string        // the first error samples, redacted
	shortened bool            // the source ran out before the window ended
	lags      []time.Duration // open loop: how late each request was sent, sorted
	cpu       time.Duration   // the server's CPU time during the window
}

// hooks let the caller observe a round: every 2xx answer (from any phase,
// warm-up included), and the start and end of the measured window.
type hooks struct {
	answer      func(body []byte)
	windowStart func()
	windowEnd   func()
}

// worker is one connection's loop and what it recorded.
type worker struct {
	conn      conn
	next      source
	lats      []time.Duration
	lags      []time.Duration
	errs      int
	samples   []string
	exhausted time.Time
}

// run drives one round. mk builds each worker's source.
func (l load) run(ctx context.Context, mk func(w int) source, h hooks, cpu func() time.Duration) (window, error) {
	begin := time.Now()
	t0 := begin.Add(l.warmup)
	t1 := t0.Add(l.duration)
	ws := make([]*worker, l.concurrency)
	var scheduled atomic.Int64
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &worker{conn: conn{addr: l.addr}, next: mk(i)}
		wg.Go(func() {
			defer ws[i].conn.close()
			if l.rate > 0 {
				ws[i].openLoop(ctx, l.rate, begin, t0, t1, &scheduled, h.answer)
			} else {
				ws[i].closedLoop(ctx, t0, t1, h.answer)
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	var cpu0, cpu1 time.Duration
	stopped := sleepUntil(ctx, t0, allDone)
	if stopped == nil {
		cpu0 = cpu()
		if h.windowStart != nil {
			h.windowStart()
		}
		stopped = sleepUntil(ctx, t1, allDone)
		cpu1 = cpu()
		if h.windowEnd != nil {
			h.windowEnd()
		}
	}
	<-allDone
	if stopped != nil {
		return window{}, stopped
	}
	return merge(ws, t0, t1, cpu1-cpu0)
}

// merge joins the workers' records into the round's window.
func merge(ws []*worker, t0, t1 time.Time, cpu time.Duration) (window, error) {
	win := window{cpu: cpu}
	end := t1
	for _, w := range ws {
		win.latencies = append(win.latencies, w.lats...)
		win.lags = append(win.lags, w.lags...)
		win.errors += w.errs
		for _, s := range w.samples {
			if len(win.samples) < maxSamples {
				win.samples = append(win.samples, s)
			}
		}
		if !w.exhausted.IsZero() && w.exhausted.Before(end) {
			end, win.shortened = w.exhausted, true
		}
	}
	if !end.After(t0) {
		return win, errors.New("the scenario's pool of single-use requests ran out during the warm-up")
	}
	slices.Sort(win.latencies)
	slices.Sort(win.lags)
	win.requests = len(win.latencies) + win.errors
	win.seconds = end.Sub(t0).Seconds()
	return win, nil
}

// closedLoop sends requests back to back until t1, recording those started
// at or after t0.
func (w *worker) closedLoop(ctx context.Context, t0, t1 time.Time, answer func([]byte)) {
	for ctx.Err() == nil {
		if !time.Now().Before(t1) {
			return
		}
		raw, ok := w.next()
		if !ok {
			w.exhausted = time.Now()
			return
		}
		start := time.Now()
		status, body, err := w.conn.do(raw)
		w.record(start, t0, status, body, err, answer)
	}
}

// openLoop sends the requests of a timetable of rate per second, shared by
// all workers, and measures each from its scheduled time, so that time a
// request spends waiting for a free connection counts (no coordinated
// omission). Requests scheduled in the window but not sent within
// drainLimit after it count as errors.
func (w *worker) openLoop(ctx context.Context, rate float64, begin, t0, t1 time.Time, scheduled *atomic.Int64, answer func([]byte)) {
	every := float64(time.Second) / rate
	for ctx.Err() == nil {
		k := scheduled.Add(1) - 1
		at := begin.Add(time.Duration(math.Round(float64(k) * every)))
		if !at.Before(t1) {
			return
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if time.Since(t1) > drainLimit {
			if !at.Before(t0) {
				w.fail("not sent: the server fell more than " + drainLimit.String() + " behind the timetable")
			}
			continue
		}
		raw, ok := w.next()
		if !ok {
			w.exhausted = time.Now()
			return
		}
		if !at.Before(t0) {
			w.lags = append(w.lags, time.Since(at))
		}
		status, body, err := w.conn.do(raw)
		w.record(at, t0, status, body, err, answer)
	}
}

// record counts one answer: for a request started (or scheduled) at start
// inside the window, its latency if 2xx, else an error with a redacted
// sample.
func (w *worker) record(start, t0 time.Time, status int, body []byte, err error, answer func([]byte)) {
	ok := err == nil && status >= 200 && status < 300
	if ok && answer != nil {
		answer(body)
	}
	if start.Before(t0) {
		return
	}
	switch {
	case ok:
		w.lats = append(w.lats, time.Since(start))
	case err != nil:
		w.fail("transport: " + redact(err.Error()))
	default:
		w.fail(strconv.Itoa(status) + " " + firstLine(body))
	}
}

func (w *worker) fail(sample string) {
	w.errs++
	if len(w.samples) < maxSamples {
		w.samples = append(w.samples, sample)
	}
}

// sleepUntil waits for t, or until done is closed (every worker has
// stopped early), or for ctx to end (then its error).
func sleepUntil(ctx context.Context, t time.Time, done <-chan struct{}) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// percentile returns the q-quantile (0 < q ≤ 1) of sorted latencies by the
// nearest-rank method, in milliseconds; 0 without latencies.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}

// firstLine is the start of a body's first line, redacted, for an error sample.
func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	const limit = 200
	if len(b) > limit {
		b = b[:limit]
	}
	return redact(string(b))
}

// redact replaces every run of 12 or more digits, which could be a card
// number, with [redacted] (the server never echoes one, but the bench does
// not rely on that).
func redact(s string) string {
	var b bytes.Buffer
	run := 0
	flush := func(end int) {
		if run >= 12 {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(s[end-run : end])
		}
		run = 0
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		flush(i)
		b.WriteByte(s[i])
	}
	flush(len(s))
	return b.String()
}

// runCount sends n requests with the given concurrency, untimed (preloading
// and pools), and returns how long it took. f gives request i; answer sees
// each 2xx body. The first failure ends it.
func runCount(ctx context.Context, addr string, concurrency, n int, f func(i int) []byte, answer func(i int, body []byte) error) (time.Duration, error) {
	start := time.Now()
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range min(concurrency, max(n, 1)) {
		wg.Go(func() {
			c := conn{addr: addr}
			defer c.close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				status, body, err := c.do(f(i))
				if err == nil && (status < 200 || status >= 300) {
					err = fmt.Errorf("%d %s", status, firstLine(body))
				}
				if err == nil && answer != nil {
					err = answer(i, body)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return time.Since(start), first
}
