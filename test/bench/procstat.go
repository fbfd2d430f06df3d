package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procSampler watches the manager process: RSS from /proc and goroutines
// from its Prometheus endpoint (go_goroutines).
type procSampler struct {
	pid        int
	metricsURL string

	mu             sync.Mutex
	peakRSS        int64
	peakGoroutines int
}

func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func (p *procSampler) goroutines() (int, error) {
	resp, err := http.Get(p.metricsURL)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return int(f), err
		}
	}
	return 0, fmt.Errorf("no go_goroutines at %s", p.metricsURL)
}

// idle reads the figures once.
func (p *procSampler) idle() Idle {
	rss, _ := rssBytes(p.pid)
	g, _ := p.goroutines()
	return Idle{RSSBytes: rss, Goroutines: g}
}

// run samples until ctx ends; reset() starts a new peak.
func (p *procSampler) run(ctx context.Context) {
	rssTick := time.NewTicker(50 * time.Millisecond)
	defer rssTick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-rssTick.C:
		}
		if rss, err := rssBytes(p.pid); err == nil {
			p.mu.Lock()
			p.peakRSS = max(p.peakRSS, rss)
			p.mu.Unlock()
		}
		// Scraping is heavier; every 500 ms is enough to see the peak of
		// goroutines parked on in-flight calls.
		if n++; n%10 == 0 {
			if g, err := p.goroutines(); err == nil {
				p.mu.Lock()
				p.peakGoroutines = max(p.peakGoroutines, g)
				p.mu.Unlock()
			}
		}
	}
}

func (p *procSampler) reset() {
	p.mu.Lock()
	p.peakRSS, p.peakGoroutines = 0, 0
	p.mu.Unlock()
}

func (p *procSampler) peaks() (int64, int) {
	// One last goroutine reading so short runs are not missed.
	if g, err := p.goroutines(); err == nil {
		p.mu.Lock()
		p.peakGoroutines = max(p.peakGoroutines, g)
		p.mu.Unlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peakRSS, p.peakGoroutines
}
