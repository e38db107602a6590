package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// runWrk drives POST /tokens on p with wrk (1 thread, the round's
// connections and duration, the same form and key as the bench), so that
// the bench's own generator can be checked against it in one run.
func runWrk(ctx context.Context, c *config, p *process, name, auth string) (round, error) {
	if _, err := exec.LookPath("wrk"); err != nil {
		return round{}, errors.New("--wrk: wrk is not installed (Debian: apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "cardvault-bench-wrk-")
	if err != nil {
		return round{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "post.lua")
	lua := fmt.Sprintf("wrk.method = %q\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = %q\nwrk.headers[\"Authorization\"] = %q\n",
		"POST", tokenForm, formType, auth)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return round{}, err
	}
	secs := int(math.Ceil(c.duration.Seconds()))
	cmd := exec.CommandContext(ctx, "wrk", "-t1", "-c"+strconv.Itoa(c.concurrency), "-d"+strconv.Itoa(secs)+"s",
		"--latency", "-s", script, "http://"+p.addr+"/tokens")
	cpu0 := p.cpu()
	out, err := cmd.Output()
	cpu := p.cpu() - cpu0
	if err != nil {
		return round{}, fmt.Errorf("wrk: %w", err)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return round{}, err
	}
	r.name, r.gen, r.cpu, r.rss = name, genWrk, cpu, p.peakRSS()
	return r, nil
}

var (
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m)\b`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkSocket  = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s*(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
)

// parseWrk reads requests, errors, duration and the 50th and 99th
// percentiles from wrk --latency output.
func parseWrk(out string) (round, error) {
	var r round
	m := wrkTotal.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no request count in its output:\n%s", firstLines(out, 20))
	}
	r.requests, _ = strconv.Atoi(m[1])
	r.seconds = wrkDuration(m[2], m[3]).Seconds()
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
		r.samples = append(r.samples, m[0])
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
		r.samples = append(r.samples, strings.TrimSpace(m[0]))
	}
	for _, m := range wrkLatency.FindAllStringSubmatch(out, -1) {
		ms := float64(wrkDuration(m[2], m[3])) / float64(time.Millisecond)
		if m[1] == "50" {
			r.p50 = ms
		} else {
			r.p99 = ms
		}
	}
	return r, nil
}

// wrkDuration reads one of wrk's numbers with its unit.
func wrkDuration(num, unit string) time.Duration {
	f, _ := strconv.ParseFloat(num, 64)
	scale := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[unit]
	return time.Duration(f * float64(scale))
}

func firstLines(s string, n int) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}
