// Command bench measures cardvault over loopback. It builds ./cmd/cardvault,
// serves a new store on a temporary data directory with every rate limit
// off, and drives each scenario with keep-alive connections at a fixed
// concurrency (or on a timetable, --rate) for a fixed duration after a
// warm-up. Rounds alternate with a ceiling: a bare net/http server, in a
// process of its own, that parses the same form and answers a 600-byte
// JSON body, driven by the same load generator — so every figure is also a
// ratio to what this machine can do at all. docs/BENCHMARKS.md has the
// command, the scenarios and a baseline.
//
//	go run ./bench [--quick] [--json] [--duration D] [--concurrency C] [--rate R]
//	               [--cards N] [--scenarios a,b] [--db DSN] [--cpuprofile PREFIX] [--wrk]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Bounds of the flags.
const (
	maxConcurrency = 1024
	defaultConc    = 32
	defaultCards   = 1000
	quickCards     = 200
)

// Round lengths, full and --quick.
const (
	defaultDuration = 10 * time.Second
	defaultWarmup   = 2 * time.Second
	quickDuration   = 2 * time.Second
	quickWarmup     = 500 * time.Millisecond
)

func main() {
	var err error
	switch role := os.Getenv(roleEnv); role {
	case "ceiling":
		err = serveCeiling()
	case "inproc":
		err = serveInProcess()
	case "":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
	default:
		err = fmt.Errorf("%s=%q: unknown role", roleEnv, role)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	args        []string
	quick, json bool
	wrk         bool
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	rate        float64
	cards       int
	scenarios   []scenario
	ceiling     bool
	db          string
	cpuprofile  string
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.quick, "quick", false, fmt.Sprintf("short rounds for CI: %v each after %v of warm-up, %d preloaded cards", quickDuration, quickWarmup, quickCards))
	fs.BoolVar(&c.json, "json", false, "print the results as JSON (the Markdown table goes to standard error)")
	fs.BoolVar(&c.wrk, "wrk", false, "also drive ceiling and token_create with wrk (1 thread, same connections) for comparison")
	fs.DurationVar(&c.duration, "duration", defaultDuration, "measured time per round")
	fs.DurationVar(&c.warmup, "warmup", defaultWarmup, "unmeasured time before each round's window")
	fs.IntVar(&c.concurrency, "concurrency", defaultConc, fmt.Sprintf("keep-alive connections, 1 to %d", maxConcurrency))
	fs.Float64Var(&c.rate, "rate", 0, "requests per second on a timetable, latency from each request's scheduled time (0: closed loop)")
	fs.IntVar(&c.cards, "cards", defaultCards, fmt.Sprintf("cards to preload over cards/%d customers (through ChargeOver POST)", cardsPerCustomer))
	names := fs.String("scenarios", "", "comma-separated scenarios (default: all): "+ceilingName+", "+strings.Join(scenarioNames(), ", "))
	fs.StringVar(&c.db, "db", "", "cardvault's --db (default: a new SQLite file in the temporary data directory)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "serve cardvault in process (this binary) and write a CPU profile of each scenario's window to PREFIX-<scenario>.pprof")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench [flags]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nscenarios:\n  %-17s %s\n", ceilingName, "a bare net/http server (own process): parses the token form, answers 600 bytes of JSON")
		for _, s := range scenarios {
			fmt.Fprintf(stderr, "  %-17s %s\n", s.name, s.what)
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		if !set["duration"] {
			c.duration = quickDuration
		}
		if !set["warmup"] {
			c.warmup = quickWarmup
		}
		if !set["cards"] {
			c.cards = quickCards
		}
	}
	var err error
	if c.scenarios, c.ceiling, err = pickScenarios(*names); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	if c.concurrency < 1 || c.concurrency > maxConcurrency {
		errs = append(errs, fmt.Errorf("--concurrency %d: must be 1 to %d", c.concurrency, maxConcurrency))
	}
	if c.duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration %v: must be positive", c.duration))
	}
	if c.warmup < 0 {
		errs = append(errs, fmt.Errorf("--warmup %v: must not be negative", c.warmup))
	}
	if c.rate < 0 {
		errs = append(errs, fmt.Errorf("--rate %v: must not be negative", c.rate))
	}
	if c.cards < 0 {
		errs = append(errs, fmt.Errorf("--cards %d: must not be negative", c.cards))
	}
	if c.wrk && c.rate > 0 {
		errs = append(errs, errors.New("--wrk: wrk has no timetable; use it without --rate"))
	}
	if c.cpuprofile != "" && c.db != "" {
		errs = append(errs, errors.New("--cpuprofile serves a new SQLite store in process: not with --db"))
	}
	return errors.Join(errs...)
}

func scenarioNames() []string {
	var n []string
	for _, s := range scenarios {
		n = append(n, s.name)
	}
	return n
}

// pickScenarios parses --scenarios: every scenario and the ceiling when
// empty; otherwise those named, in the canonical order, with the ceiling
// only if named.
func pickScenarios(list string) ([]scenario, bool, error) {
	if list == "" {
		return scenarios, true, nil
	}
	want := map[string]bool{}
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		if n != ceilingName && !slices.Contains(scenarioNames(), n) {
			return nil, false, fmt.Errorf("--scenarios: unknown scenario %q (known: %s, %s)", n, ceilingName, strings.Join(scenarioNames(), ", "))
		}
		want[n] = true
	}
	var out []scenario
	for _, s := range scenarios {
		if want[s.name] {
			out = append(out, s)
		}
	}
	return out, want[ceilingName], nil
}

// run is the whole benchmark: servers up, preload, rounds, report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	tmp, err := os.MkdirTemp("", "cardvault-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tgt, err := startTarget(ctx, c, tmp, progress)
	if err != nil {
		return err
	}
	defer func() { tgt.stop() }() // tgt.process changes on restart
	var ceil *process
	if c.ceiling {
		if ceil, err = startCeiling(ctx); err != nil {
			return err
		}
		defer ceil.stop()
	}
	e := newEnv(load{addr: tgt.addr, concurrency: c.concurrency, warmup: c.warmup, duration: c.duration, rate: c.rate}, tgt.keys, c.cards)
	if needsPreload(c.scenarios) {
		progress("preloading %d cards over %d customers through ChargeOver POST…", c.cards, c.cards/cardsPerCustomer)
		if err := preloadCards(ctx, e); err != nil {
			return err
		}
		if p := e.preload; p != nil {
			progress("preloaded %d cards in %.1f s (%.0f cards/s)", p.Cards, p.Seconds, p.CardsPerSec)
		}
	}
	started := tgt.ready
	var restarted time.Duration
	if e.preload != nil && tgt.args != nil {
		// Serve the loaded store afresh: how long serve takes to be ready
		// on it, and an RSS that does not include the loading.
		if err := tgt.restart(ctx); err != nil {
			return err
		}
		restarted, e.addr = tgt.ready, tgt.addr
		progress("restarted on the loaded store: ready in %.0f ms", ms(restarted))
	}
	rounds, err := runRounds(ctx, c, e, tgt, ceil, progress)
	if err != nil {
		return err
	}
	rep := newReport(c, e, revision(ctx), rounds)
	rep.ReadyMS = ms(started)
	if restarted > 0 {
		r := ms(restarted)
		rep.RestartReadyMS = &r
	}
	if c.json {
		// The table goes along on standard error, for the human watching.
		if err := rep.writeMarkdown(stderr); err != nil {
			return err
		}
		return rep.writeJSON(stdout)
	}
	return rep.writeMarkdown(stdout)
}

// startTarget builds and starts cardvault, or serves it in process for
// --cpuprofile.
func startTarget(ctx context.Context, c *config, tmp string, progress func(string, ...any)) (*target, error) {
	if c.cpuprofile != "" {
		progress("serving cardvault in process (CPU profiles to %s-<scenario>.pprof)…", c.cpuprofile)
		return startInProcess(ctx, tmp)
	}
	progress("building ./cmd/cardvault…")
	bin, err := buildCardvault(ctx, tmp)
	if err != nil {
		return nil, err
	}
	return startCardvault(ctx, bin, tmp, c.db)
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// needsPreload reports whether any scenario reads preloaded cards (the
// count scenario counts them).
func needsPreload(ss []scenario) bool {
	for _, s := range ss {
		switch s.name {
		case "card_list", "chargeover_query", "chargeover_count":
			return true
		}
	}
	return false
}
