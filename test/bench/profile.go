package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
)

// profileUnderLoad keeps c workers busy on p for d while it takes a CPU
// profile of the manager and of the kube-apiserver, so docs/performance.md
// can say what the time goes to. Profiles land in dir as
// <path>-manager.pprof and <path>-apiserver.pprof.
func profileUnderLoad(ctx context.Context, e *env, p path, c int, d time.Duration, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				_ = p.do(loadCtx, fmt.Sprintf("profile-%s-%d", p.name(), next.Add(1)))
			}
		}()
	}
	secs := int(d.Seconds())
	var errs [2]error
	var pwg sync.WaitGroup
	pwg.Add(2)
	go func() {
		defer pwg.Done()
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", e.pprofAddr, secs)
		errs[0] = fetchTo(ctx, http.DefaultClient, url, filepath.Join(dir, p.name()+"-manager.pprof"))
	}()
	go func() {
		defer pwg.Done()
		hc, err := rest.HTTPClientFor(e.cp.Config)
		if err != nil {
			errs[1] = err
			return
		}
		url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(e.cp.Config.Host, "/"), secs)
		errs[1] = fetchTo(ctx, hc, url, filepath.Join(dir, p.name()+"-apiserver.pprof"))
	}()
	pwg.Wait()
	stopLoad()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func fetchTo(ctx context.Context, hc *http.Client, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	// Close flushes the file: its error can mean a truncated profile.
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
