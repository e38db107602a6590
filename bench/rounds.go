package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Generators of a round.
const (
	genBench = "bench"
	genWrk   = "wrk"
)

// round is one measured round of one scenario with one generator.
type round struct {
	name      string
	gen       string
	requests  int
	errors    int
	seconds   float64
	p50, p99  float64
	p999      *float64        // nil for wrk, which does not report it
	latencies []time.Duration // sorted; bench rounds only
	cpu       time.Duration
	rss       int64
	samples   []string
	shortened bool
	lagP99    *float64 // open loop: p99 of how late requests were sent, ms
}

func (r round) rps() float64 {
	if r.seconds == 0 {
		return 0
	}
	return float64(r.requests-r.errors) / r.seconds
}

// fromWindow makes a bench round of a measured window.
func fromWindow(name string, w window, rss int64) round {
	p999 := percentile(w.latencies, 0.999)
	var lag *float64
	if len(w.lags) > 0 {
		l := percentile(w.lags, 0.99)
		lag = &l
	}
	return round{lagP99: lag, name: name, gen: genBench, requests: w.requests, errors: w.errors, seconds: w.seconds,
		p50: percentile(w.latencies, 0.50), p99: percentile(w.latencies, 0.99), p999: &p999,
		latencies: w.latencies, cpu: w.cpu, rss: rss, samples: w.samples, shortened: w.shortened}
}

// runRounds measures the scenarios, each between two ceiling rounds when
// the ceiling runs: ceiling, s1, ceiling, s2, …, ceiling.
func runRounds(ctx context.Context, c *config, e *env, tgt *target, ceil *process, progress func(string, ...any)) ([]round, error) {
	var rounds []round
	add := func(r round) {
		rounds = append(rounds, r)
		line := fmt.Sprintf("%-18s %-5s %8.0f req/s  p50 %.2f ms  p99 %.2f ms  %d errors", r.name, r.gen, r.rps(), r.p50, r.p99, r.errors)
		progress("%s", line)
	}
	ceiling := func() error {
		if ceil == nil {
			return nil
		}
		l := e.load
		l.addr = ceil.addr
		w, err := l.run(ctx, ceilingSource(ceil.addr, e), hooks{}, ceil.cpu)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		add(fromWindow(ceilingName, w, ceil.peakRSS()))
		if c.wrk {
			r, err := runWrk(ctx, c, ceil, ceilingName, e.public)
			if err != nil {
				return err
			}
			add(r)
		}
		return ceil.alive()
	}
	if err := ceiling(); err != nil {
		return nil, err
	}
	for _, s := range c.scenarios {
		if s.setup != nil {
			if err := s.setup(ctx, e); err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
		}
		h := hooks{}
		if s.answer != nil {
			h.answer = s.answer(e)
		}
		if c.cpuprofile != "" {
			file := c.cpuprofile + "-" + s.name + ".pprof"
			h.windowStart = func() { control(tgt, "/start?file="+url.QueryEscape(file), progress) }
			h.windowEnd = func() { control(tgt, "/stop", progress) }
		}
		w, err := e.load.run(ctx, func(i int) source { return s.source(e, i) }, h, tgt.cpu)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		if err := tgt.alive(); err != nil {
			return nil, err
		}
		r := fromWindow(s.name, w, tgt.peakRSS())
		add(r)
		if s.name == "token_create" {
			e.tokenCreateRPS = r.rps()
			if c.wrk {
				wr, err := runWrk(ctx, c, tgt.process, s.name, e.public)
				if err != nil {
					return nil, err
				}
				add(wr)
			}
		}
		if err := ceiling(); err != nil {
			return nil, err
		}
	}
	return rounds, nil
}

// control asks the in-process server to start or stop a CPU profile.
func control(tgt *target, path string, progress func(string, ...any)) {
	resp, err := http.Post("http://"+tgt.ctl+path, "", nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s", resp.Status)
		}
	}
	if err != nil {
		progress("cpu profile %s: %v", path, err)
	}
}
