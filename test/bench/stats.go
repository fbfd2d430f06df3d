package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Result is one (path, latency, concurrency) measurement.
type Result struct {
	Path            string        `json:"path"`
	UpstreamLatency time.Duration `json:"upstreamLatencyNs"`
	Concurrency     int           `json:"concurrency"`
	Requests        int           `json:"requests"`
	Errors          int           `json:"errors"`
	FirstError      string        `json:"firstError,omitempty"`
	P50             time.Duration `json:"p50Ns"`
	P90             time.Duration `json:"p90Ns"`
	P99             time.Duration `json:"p99Ns"`
	Wall            time.Duration `json:"wallNs"`
	Throughput      float64       `json:"throughputPerSec"`
	// Ratios against the Direct path at the same latency and concurrency.
	P50VsDirect float64 `json:"p50VsDirect,omitempty"`
	P99VsDirect float64 `json:"p99VsDirect,omitempty"`
	// P99VsC1 is this path's p99 here divided by its p99 at concurrency 1.
	P99VsC1 float64 `json:"p99VsC1,omitempty"`
	// Manager process figures sampled during the run.
	ManagerPeakRSSBytes int64 `json:"managerPeakRSSBytes"`
	ManagerGoroutines   int   `json:"managerGoroutinesPeak"`
	ManagerPeakHeap     int64 `json:"managerPeakHeapInuseBytes"`
}

// Report is what the JSON file holds.
type Report struct {
	Machine string `json:"machine"`
	Command string `json:"command"`
	// ManagerArgs are the extra manager flags of this run.
	ManagerArgs string `json:"managerArgs,omitempty"`
	// ArtifactStore says whether the manager kept results in a file://
	// store (and took edit inputs through it).
	ArtifactStore bool     `json:"artifactStore"`
	Started       string   `json:"started"`
	Results       []Result `json:"results"`
	// Idle figures of the manager before the first run and after the last.
	ManagerBaseline Idle `json:"managerBaseline"`
	ManagerAfter    Idle `json:"managerAfter"`
}

// Idle is the manager at rest.
type Idle struct {
	RSSBytes       int64 `json:"rssBytes"`
	HeapInuseBytes int64 `json:"heapInuseBytes"`
	Goroutines     int   `json:"goroutines"`
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	idx := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(idx, len(sorted)-1))]
}

func summarize(r *Result, latencies []time.Duration) {
	slices.Sort(latencies)
	r.P50, r.P90, r.P99 = percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99)
	if r.Wall > 0 {
		r.Throughput = float64(len(latencies)) / r.Wall.Seconds()
	}
}

// fillRatios computes the comparisons once every result is in.
func fillRatios(results []Result) {
	type key struct {
		path string
		lat  time.Duration
		c    int
	}
	byKey := map[key]Result{}
	for _, r := range results {
		byKey[key{r.Path, r.UpstreamLatency, r.Concurrency}] = r
	}
	for i := range results {
		r := &results[i]
		if d, ok := byKey[key{pathDirect, r.UpstreamLatency, r.Concurrency}]; ok && d.P50 > 0 && d.P99 > 0 {
			r.P50VsDirect = float64(r.P50) / float64(d.P50)
			r.P99VsDirect = float64(r.P99) / float64(d.P99)
		}
		if c1, ok := byKey[key{r.Path, r.UpstreamLatency, 1}]; ok && c1.P99 > 0 {
			r.P99VsC1 = float64(r.P99) / float64(c1.P99)
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func ratio(f float64) string {
	if f == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", f)
}

// writeMarkdown prints the table the README and docs/performance.md show.
func writeMarkdown(w io.Writer, rep Report) {
	fmt.Fprintf(w, "Machine: %s\n\nCommand: `%s`\n\n", rep.Machine, rep.Command)
	fmt.Fprintln(w, "| L | path | C | n | err | p50 ms | p90 ms | p99 ms | p50/direct | p99/direct | p99/p99(C=1) | req/s | mgr peak RSS MiB | mgr peak heap MiB | mgr goroutines |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rep.Results {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %d |\n",
			r.UpstreamLatency, r.Path, r.Concurrency, r.Requests, r.Errors, ms(r.P50), ms(r.P90), ms(r.P99),
			ratio(r.P50VsDirect), ratio(r.P99VsDirect), ratio(r.P99VsC1), r.Throughput,
			mib(r.ManagerPeakRSSBytes), mib(r.ManagerPeakHeap), r.ManagerGoroutines)
	}
	fmt.Fprintf(w, "\nManager idle (after a GC) before: %.1f MiB RSS, %.1f MiB heap in use, %d goroutines; after everything was deleted, idle connections closed and a GC: %.1f MiB RSS, %.1f MiB heap in use, %d goroutines.\n",
		mib(rep.ManagerBaseline.RSSBytes), mib(rep.ManagerBaseline.HeapInuseBytes), rep.ManagerBaseline.Goroutines,
		mib(rep.ManagerAfter.RSSBytes), mib(rep.ManagerAfter.HeapInuseBytes), rep.ManagerAfter.Goroutines)
	var errs []string
	for _, r := range rep.Results {
		if r.FirstError != "" {
			errs = append(errs, fmt.Sprintf("- %s L=%s C=%d: %s", r.Path, r.UpstreamLatency, r.Concurrency, r.FirstError))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "\nFirst error per run:\n%s\n", strings.Join(errs, "\n"))
	}
}

func writeJSON(path string, rep Report) error {
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o644)
}
