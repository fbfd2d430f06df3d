package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestParseFlags(t *testing.T) {
	cfg, listen, _, err := parseFlags([]string{
		"--listen", "127.0.0.1:9999", "--api-key", "k", "--public-url", "http://sim.local",
		"--url-ttl", "5m", "--latency", "2s", "--latency-jitter", "100ms", "--latency-256", "0s", "--latency-1024", "3s",
		"--content-policy-word", "", "--images-per-minute", "50", "--seed", "9",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if listen != "127.0.0.1:9999" || cfg.APIKey != "k" || cfg.PublicURL != "http://sim.local" || cfg.URLTTL != 5*time.Minute ||
		cfg.Latency != 2*time.Second || cfg.LatencyJitter != 100*time.Millisecond || cfg.ImagesPerMinute != 50 || cfg.Seed != 9 ||
		!cfg.NoContentPolicy {
		t.Errorf("cfg = %+v", cfg)
	}
	want := map[string]time.Duration{dallesim.Size256: 0, dallesim.Size1024: 3 * time.Second}
	if len(cfg.LatencyBySize) != len(want) || cfg.LatencyBySize[dallesim.Size256] != 0 || cfg.LatencyBySize[dallesim.Size1024] != 3*time.Second {
		t.Errorf("LatencyBySize = %v, want %v", cfg.LatencyBySize, want)
	}

	cfg, listen, _, err = parseFlags(nil, io.Discard)
	if err != nil || listen != "127.0.0.1:8089" || cfg.URLTTL != dallesim.DefaultURLTTL ||
		cfg.ContentPolicyWord != dallesim.DefaultContentPolicyWord || cfg.NoContentPolicy || cfg.LatencyBySize != nil {
		t.Errorf("defaults: %+v %q %v", cfg, listen, err)
	}
	// By default: realistic GPT image latencies, and the Config's default retired set (nil).
	if cfg.RetiredModels != nil || cfg.ModelLatency["gpt-image-2"] != dallesim.RealisticModelLatency()["gpt-image-2"] {
		t.Errorf("default retired %v, model latency %v", cfg.RetiredModels, cfg.ModelLatency)
	}

	cfg, _, _, err = parseFlags([]string{"--retired-models", "today", "--model-latency", "gpt-image-2=3s..4s"}, io.Discard)
	if err != nil || !slices.Contains(cfg.RetiredModels, "dall-e-2") || len(cfg.ModelLatency) != 1 ||
		cfg.ModelLatency["gpt-image-2"] != (dallesim.LatencyRange{Min: 3 * time.Second, Max: 4 * time.Second}) {
		t.Errorf("retired today, latency list: %+v %v", cfg, err)
	}
	cfg, _, _, err = parseFlags([]string{"--retired-models", "none", "--model-latency", "none"}, io.Discard)
	if err != nil || cfg.RetiredModels == nil || len(cfg.RetiredModels) != 0 || cfg.ModelLatency != nil {
		t.Errorf("none, none: %+v %v", cfg, err)
	}
	for _, bad := range [][]string{{"--latency", "-1s"}, {"--url-ttl", "0s"}, {"--images-per-minute", "-2"}, {"--bogus"}, {"extra"},
		{"--retired-models", "dall-e-9"}, {"--model-latency", "gpt-image-2=soon"}} {
		if _, _, _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted", bad)
		}
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, writeOut := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--api-key", "key"}, writeOut, io.Discard)
	}()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the listen line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	fields := strings.Fields(line)
	if len(fields) < 4 || fields[1] != "listening" {
		t.Fatalf("listen line = %q", line)
	}
	base := fields[3]

	req, _ := http.NewRequest("POST", base+"/v1/images/generations", strings.NewReader(`{"prompt":"cli","size":"256x256"}`))
	req.Header.Set("Authorization", "Bearer key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), base+"/images/generations/") {
		t.Fatalf("generate: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not shut down")
	}
}
