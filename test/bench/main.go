// Command bench measures the operator end to end against the DALL-E 2
// simulator: the same request through each path (openai-go straight to the
// simulator, an ImageRequest, the MCP tool, the REST endpoint, an MCP edit)
// at several upstream latencies and concurrencies, with the manager's memory
// and goroutines. It prints a markdown table and writes a JSON report.
//
//	go run ./test/bench            # full run (make bench)
//	go run ./test/bench --quick    # a subset, under two minutes (make bench-quick)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/imagegen/imagegen-operator/internal/localenv"
	"github.com/imagegen/imagegen-operator/internal/manager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	quick        bool
	latencies    []time.Duration
	concurrency  []int
	paths        []string
	minRequests  int
	reconcilers  int
	jsonOut      string
	managerBin   string
	perRunBudget time.Duration
	profileDir   string
	managerArgs  string
	store        bool
}

func parseFlags() (config, error) {
	var (
		c                          config
		latencies, levels, pathCSV string
	)
	flag.BoolVar(&c.quick, "quick", false, "Run a subset that finishes in under two minutes.")
	flag.StringVar(&latencies, "latencies", "0s,2s", "Simulator latencies to measure at.")
	flag.StringVar(&levels, "concurrency", "1,10,100,500,1000", "Concurrency levels.")
	flag.StringVar(&pathCSV, "paths", strings.Join(allPaths, ","), "Paths to measure.")
	flag.IntVar(&c.minRequests, "min-requests", 10, "Requests per run at least (a run makes max(concurrency, this)).")
	flag.IntVar(&c.reconcilers, "max-concurrent-reconciles", 1000, "Passed to the manager: workers for in-flight requests.")
	flag.StringVar(&c.jsonOut, "json", filepath.Join(localenv.RepoRoot(), "bin", "bench.json"), "Where the JSON report goes.")
	flag.StringVar(&c.managerBin, "manager", filepath.Join(localenv.RepoRoot(), "bin", "manager"), "Manager binary (make build).")
	flag.DurationVar(&c.perRunBudget, "run-timeout", 3*time.Minute, "Timeout of one run.")
	flag.StringVar(&c.managerArgs, "manager-args", "", "Extra manager flags, space-separated, e.g. \"--events=warnings\".")
	flag.BoolVar(&c.store, "artifact-store", true, "Run the manager with a file:// artifact store (results kept, edit inputs through the store); false: no store, inputs in Secrets.")
	flag.StringVar(&c.profileDir, "profile-dir", "", "After the table, profile the manager and kube-apiserver (CPU, 10 s at L=0, C=100) for each path into this directory.")
	flag.Parse()
	if c.quick {
		latencies, levels, c.minRequests = "0s,2s", "1,10,100", 5
	}
	for _, s := range strings.Split(latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return c, fmt.Errorf("--latencies: %w", err)
		}
		c.latencies = append(c.latencies, d)
	}
	for _, s := range strings.Split(levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return c, fmt.Errorf("--concurrency: bad level %q", s)
		}
		c.concurrency = append(c.concurrency, n)
	}
	c.paths = strings.Split(pathCSV, ",")
	return c, nil
}

func run() error {
	cfg, err := parseFlags()
	if err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if _, err := os.Stat(cfg.managerBin); err != nil {
		build := exec.Command("go", "build", "-o", cfg.managerBin, "./cmd")
		build.Dir, build.Stdout, build.Stderr = localenv.RepoRoot(), os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the manager: %w", err)
		}
	}
	fmt.Fprintln(os.Stderr, "bench: starting control plane, simulator and manager ...")
	e, err := startEnv(ctx, cfg.managerBin, cfg.reconcilers, func(e *env) ([]string, error) {
		args, err := managerArgsForPaths(e)
		if err != nil {
			return nil, err
		}
		if cfg.store {
			more, err := storeArgs(e)
			if err != nil {
				return nil, err
			}
			args = append(args, more...)
		}
		return append(args, strings.Fields(cfg.managerArgs)...), nil
	})
	if err != nil {
		return err
	}
	defer e.stop()

	paths, err := buildPaths(ctx, e, cfg.paths)
	if err != nil {
		return err
	}
	// Cleanup between runs needs a client only, not another informer.
	kube, err := client.New(e.cp.Config, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		return err
	}

	rep := Report{
		Machine:       fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		Command:       strings.Join(append([]string{"go run ./test/bench"}, os.Args[1:]...), " "),
		ManagerArgs:   cfg.managerArgs,
		ArtifactStore: cfg.store,
		Started:       time.Now().UTC().Format(time.RFC3339),
	}
	// One request through every path first: the manager's caches sync and
	// its workers start after its metrics endpoint is up, and connections
	// are opened once. None of that belongs in the measurements.
	for _, p := range paths {
		if err := p.do(ctx, "warmup-"+p.name()); err != nil {
			return fmt.Errorf("warm-up through %s: %w", p.name(), err)
		}
	}
	if err := cleanupRequests(ctx, kube); err != nil {
		return err
	}
	time.Sleep(time.Second)
	rep.ManagerBaseline = e.sampler.idleAfterGC(e.pprofAddr)
	samplerCtx, stopSampler := context.WithCancel(ctx)
	defer stopSampler()
	go e.sampler.run(samplerCtx)

	// Path by path, the edit path last: memory the Go runtime took for one
	// path's peak is returned to the OS only slowly, and would otherwise
	// show up as the next path's RSS.
	runID := 0
	for _, p := range paths {
		for _, lat := range cfg.latencies {
			if err := e.sim.SetLatency(lat, 0); err != nil {
				return err
			}
			for _, c := range cfg.concurrency {
				runID++
				res := measure(ctx, e, p, lat, c, max(c, cfg.minRequests), runID, cfg.perRunBudget)
				rep.Results = append(rep.Results, res)
				fmt.Fprintf(os.Stderr, "bench: L=%s C=%d %-6s p50=%sms p99=%sms %.1f req/s errors=%d\n",
					lat, c, p.name(), ms(res.P50), ms(res.P99), res.Throughput, res.Errors)
				if err := cleanupRequests(ctx, kube); err != nil {
					return fmt.Errorf("cleaning up: %w", err)
				}
			}
		}
	}
	// Everything is deleted. Close this process's idle connections (the
	// manager's server side would keep theirs otherwise), let the manager's
	// idle upstream connections time out, then see what stayed behind.
	stopSampler()
	for _, p := range paths {
		if c, ok := p.(interface{ closeIdle() }); ok {
			c.closeIdle()
		}
	}
	settle := time.Now().Add(45 * time.Second)
	for time.Now().Before(settle) {
		if g, err := e.sampler.goroutines(); err == nil && g <= rep.ManagerBaseline.Goroutines+20 {
			break
		}
		time.Sleep(time.Second)
	}
	rep.ManagerAfter = e.sampler.idleAfterGC(e.pprofAddr)
	fillRatios(rep.Results)
	writeMarkdown(os.Stdout, rep)
	if err := os.MkdirAll(filepath.Dir(cfg.jsonOut), 0o755); err != nil {
		return err
	}
	if err := writeJSON(cfg.jsonOut, rep); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: JSON report in %s\n", cfg.jsonOut)
	if cfg.profileDir != "" {
		if err := e.sim.SetLatency(0, 0); err != nil {
			return err
		}
		for _, p := range paths {
			if p.name() == pathDirect {
				continue
			}
			fmt.Fprintf(os.Stderr, "bench: profiling %s ...\n", p.name())
			if err := profileUnderLoad(ctx, e, p, 100, 10*time.Second, cfg.profileDir); err != nil {
				return fmt.Errorf("profiling %s: %w", p.name(), err)
			}
			if err := cleanupRequests(ctx, kube); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure runs total requests through p with c workers.
func measure(ctx context.Context, e *env, p path, lat time.Duration, c, total, runID int, budget time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	e.sampler.reset()
	res := Result{Path: p.name(), UpstreamLatency: lat, Concurrency: c, Requests: total}
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, total)
		wg        sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(total) {
					return
				}
				t0 := time.Now()
				err := p.do(ctx, fmt.Sprintf("%d-%d", runID, i))
				took := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.Errors++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				} else {
					latencies = append(latencies, took)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	summarize(&res, latencies)
	res.ManagerPeakRSSBytes, res.ManagerGoroutines, res.ManagerPeakHeap = e.sampler.peaks()
	return res
}
