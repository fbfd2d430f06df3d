package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
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
	peakHeapInuse  int64
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
	g, _, err := p.scrape()
	return g, err
}

// scrape reads go_goroutines and go_memstats_heap_inuse_bytes.
func (p *procSampler) scrape() (goroutines int, heapInuse int64, err error) {
	resp, err := http.Get(p.metricsURL)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := 0
	for sc.Scan() && found < 2 {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			goroutines, found = int(f), found+1
		} else if rest, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			heapInuse, found = int64(f), found+1
		}
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("no go_goroutines or heap figures at %s", p.metricsURL)
	}
	return goroutines, heapInuse, nil
}

// idleAfterGC forces a garbage collection in the manager first (the heap
// profile endpoint's gc=1 does), so the heap figure is what is still live,
// not garbage an idle process had no reason to collect yet.
func (p *procSampler) idleAfterGC(pprofAddr string) Idle {
	if resp, err := http.Get("http://" + pprofAddr + "/debug/pprof/heap?gc=1"); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return p.idle()
}

// idle reads the figures once.
func (p *procSampler) idle() Idle {
	rss, _ := rssBytes(p.pid)
	g, heap, _ := p.scrape()
	return Idle{RSSBytes: rss, Goroutines: g, HeapInuseBytes: heap}
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
			p.scrapePeaks()
		}
	}
}

func (p *procSampler) scrapePeaks() {
	if g, heap, err := p.scrape(); err == nil {
		p.mu.Lock()
		p.peakGoroutines = max(p.peakGoroutines, g)
		p.peakHeapInuse = max(p.peakHeapInuse, heap)
		p.mu.Unlock()
	}
}

func (p *procSampler) reset() {
	p.mu.Lock()
	p.peakRSS, p.peakGoroutines, p.peakHeapInuse = 0, 0, 0
	p.mu.Unlock()
}

func (p *procSampler) peaks() (rss int64, goroutines int, heapInuse int64) {
	p.scrapePeaks() // one last reading so short runs are not missed
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peakRSS, p.peakGoroutines, p.peakHeapInuse
}
