package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machine describes where a report was measured.
type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	Go       string `json:"go"`
}

// result is one row of the report.
type result struct {
	Name            string    `json:"name"`
	Generator       string    `json:"generator"`
	Requests        int       `json:"requests"`
	Errors          int       `json:"errors"`
	Seconds         float64   `json:"seconds"`
	RPS             float64   `json:"rps"`
	P50ms           float64   `json:"p50_ms"`
	P99ms           float64   `json:"p99_ms"`
	P999ms          *float64  `json:"p99_9_ms,omitempty"`
	Ratio           *float64  `json:"ratio_to_ceiling,omitempty"`
	CPUPerRequestUS float64   `json:"server_cpu_us_per_request"`
	PeakRSSMB       float64   `json:"peak_rss_mb"`
	RoundRPS        []float64 `json:"round_rps,omitempty"` // each ceiling round
	ErrorSamples    []string  `json:"error_samples,omitempty"`
	Shortened       bool      `json:"window_shortened,omitempty"`
	SendLagP99ms    *float64  `json:"send_lag_p99_ms,omitempty"` // open loop: how late the generator sent, p99
}

// report is the whole output.
type report struct {
	Command     string         `json:"command"`
	Date        string         `json:"date"`
	Machine     machine        `json:"machine"`
	Server      string         `json:"server"`
	Revision    string         `json:"revision,omitempty"`
	Concurrency int            `json:"concurrency"`
	Rate        float64        `json:"rate,omitempty"`
	DurationS   float64        `json:"duration_s"`
	WarmupS     float64        `json:"warmup_s"`
	Preload     *preloadResult `json:"preload,omitempty"`
	// ReadyMS is how long the server took from exec to listening on the new
	// store; RestartReadyMS, on the preloaded store (it is restarted after
	// preloading, so peak RSS does not include the load).
	ReadyMS        float64  `json:"ready_ms"`
	RestartReadyMS *float64 `json:"restart_ready_ms,omitempty"`
	Results        []result `json:"results"`
}

func newReport(c *config, e *env, rev string, rounds []round) *report {
	server := "cardvault serve (go build ./cmd/cardvault), rate limit off"
	if c.cpuprofile != "" {
		server = "cardvault in process (bench binary, for --cpuprofile), rate limit off"
	}
	rep := &report{Command: strings.TrimSpace("go run ./bench " + strings.Join(c.args, " ")),
		Date: time.Now().UTC().Format(time.RFC3339), Machine: thisMachine(), Server: server, Revision: rev,
		Concurrency: c.concurrency, Rate: c.rate, DurationS: c.duration.Seconds(), WarmupS: c.warmup.Seconds(),
		Preload: e.preload}
	for _, gen := range []string{genBench, genWrk} {
		if ceil := ceilingResult(rounds, gen); ceil != nil {
			rep.Results = append(rep.Results, *ceil)
		}
	}
	for i, r := range rounds {
		if r.name == ceilingName {
			continue
		}
		res := toResult(r)
		if c := nearCeiling(rounds, i); c > 0 {
			ratio := res.RPS / c
			res.Ratio = &ratio
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

func toResult(r round) result {
	res := result{Name: r.name, Generator: r.gen, Requests: r.requests, Errors: r.errors,
		Seconds: r.seconds, RPS: r.rps(), P50ms: r.p50, P99ms: r.p99, P999ms: r.p999,
		PeakRSSMB: float64(r.rss) / (1 << 20), ErrorSamples: r.samples, Shortened: r.shortened,
		SendLagP99ms: r.lagP99}
	if r.requests > 0 {
		res.CPUPerRequestUS = float64(r.cpu.Microseconds()) / float64(r.requests)
	}
	return res
}

// ceilingResult joins a generator's ceiling rounds into one row: their
// requests over their time, percentiles over all their latencies (wrk:
// the mean of its rounds' percentiles).
func ceilingResult(rounds []round, gen string) *result {
	var all round
	var rps []float64
	for _, r := range rounds {
		if r.name != ceilingName || r.gen != gen {
			continue
		}
		rps = append(rps, r.rps())
		all.requests += r.requests
		all.errors += r.errors
		all.seconds += r.seconds
		all.cpu += r.cpu
		all.rss = max(all.rss, r.rss)
		all.latencies = append(all.latencies, r.latencies...)
		all.p50 += r.p50
		all.p99 += r.p99
		all.samples = append(all.samples, r.samples...)
		if r.lagP99 != nil && (all.lagP99 == nil || *r.lagP99 > *all.lagP99) {
			all.lagP99 = r.lagP99 // the worst round's
		}
	}
	if len(rps) == 0 {
		return nil
	}
	all.name, all.gen = ceilingName, gen
	if gen == genBench {
		slices.Sort(all.latencies)
		p999 := percentile(all.latencies, 0.999)
		all.p50, all.p99, all.p999 = percentile(all.latencies, 0.5), percentile(all.latencies, 0.99), &p999
	} else {
		all.p50 /= float64(len(rps))
		all.p99 /= float64(len(rps))
	}
	res := toResult(all)
	one := 1.0
	res.Ratio, res.RoundRPS = &one, rps
	if len(res.ErrorSamples) > maxSamples {
		res.ErrorSamples = res.ErrorSamples[:maxSamples]
	}
	return &res
}

// nearCeiling is the mean rate of the ceiling rounds of the same generator
// just before and just after round i (0 without any).
func nearCeiling(rounds []round, i int) float64 {
	gen := rounds[i].gen
	var sum float64
	n := 0
	for j := i - 1; j >= 0; j-- {
		if rounds[j].name == ceilingName && rounds[j].gen == gen {
			sum, n = sum+rounds[j].rps(), n+1
			break
		}
	}
	for j := i + 1; j < len(rounds); j++ {
		if rounds[j].name == ceilingName && rounds[j].gen == gen {
			sum, n = sum+rounds[j].rps(), n+1
			break
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	rev := ""
	if r.Revision != "" {
		rev = " — revision " + r.Revision
	}
	fmt.Fprintf(&b, "`%s` — %s — %d CPUs (%s), %s%s\n\n", r.Command, r.Date, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Go, rev)
	loop := "closed loop"
	if r.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g req/s, latency from each request's scheduled time", r.Rate)
	}
	fmt.Fprintf(&b, "%s; %d keep-alive connections, %gs per round after %gs of warm-up, %s.\n", r.Server, r.Concurrency, r.DurationS, r.WarmupS, loop)
	if p := r.Preload; p != nil {
		fmt.Fprintf(&b, "Preloaded %d cards over %d customers in %.1f s (%.0f cards/s) through %s.\n", p.Cards, p.Customers, p.Seconds, p.CardsPerSec, p.Path)
	}
	fmt.Fprintf(&b, "Server ready %.0f ms after exec on the new store", r.ReadyMS)
	if r.RestartReadyMS != nil {
		fmt.Fprintf(&b, "; restarted after preloading (peak RSS counts from there): ready in %.0f ms", *r.RestartReadyMS)
	}
	b.WriteString(".\n")
	b.WriteString("\n| scenario | requests | errors | req/s | ÷ ceiling | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | peak RSS MB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, res := range r.Results {
		name := res.Name
		if res.Generator != genBench {
			name += " (" + res.Generator + ")"
		}
		if res.Shortened {
			name += " †"
		}
		ratio, p999 := "—", "—"
		if res.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *res.Ratio)
		}
		if res.P999ms != nil {
			p999 = fmt.Sprintf("%.2f", *res.P999ms)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f | %s | %.2f | %.2f | %s | %.0f | %.0f |\n", name, res.Requests, res.Errors,
			res.RPS, ratio, res.P50ms, res.P99ms, p999, res.CPUPerRequestUS, res.PeakRSSMB)
	}
	for _, res := range r.Results {
		if res.SendLagP99ms != nil {
			fmt.Fprintf(&b, "\n%s: the generator sent 99%% of its requests within %.2f ms of their scheduled time (latency includes this).\n", res.Name, *res.SendLagP99ms)
		}
		if res.Shortened {
			fmt.Fprintf(&b, "\n† %s: its tokens ran out before the window ended; measured over %.1f s.\n", res.Name, res.Seconds)
		}
		if len(res.ErrorSamples) > 0 {
			fmt.Fprintf(&b, "\nErrors of %s (%s), first %d:\n", res.Name, res.Generator, len(res.ErrorSamples))
			for _, s := range res.ErrorSamples {
				fmt.Fprintf(&b, "    %s\n", s)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
