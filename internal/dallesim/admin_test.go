package dallesim_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
)

func TestBillingCounters(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{})
	ctx := context.Background()
	gen := func(prompt string, n int64) error {
		_, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: prompt, N: openai.Int(n), Size: "256x256"})
		return err
	}
	_ = srv.AddFault(dallesim.Fault{Kind: dallesim.FaultServerError, Match: "billing"})
	if gen("billing a", 3) == nil { // the fault
		t.Fatal("fault not injected")
	}
	if err := gen("billing a", 3); err != nil {
		t.Fatal(err)
	}
	if err := gen("billing b", 2); err != nil {
		t.Fatal(err)
	}
	_ = gen("billing forbidden", 4) // content policy
	_ = gen("billing c", 11)        // validation
	if _, err := client.Images.Edit(ctx, editParams("billing edit", encodePNG(t, withHole(checkerboard(16, 16))), nil)); err != nil {
		t.Fatal(err)
	}

	st := srv.Stats()
	want := dallesim.Stats{
		Requests:         map[dallesim.Endpoint]int64{dallesim.EndpointGenerations: 5, dallesim.EndpointEdits: 1},
		BillableRequests: 3,
		BillableImages:   6,
		FaultsInjected:   1,
	}
	if st.BillableRequests != want.BillableRequests || st.BillableImages != want.BillableImages ||
		st.FaultsInjected != want.FaultsInjected || st.Requests[dallesim.EndpointGenerations] != 5 || st.Requests[dallesim.EndpointEdits] != 1 {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if got := srv.BillableImagesForPrompt("billing a"); got != 3 {
		t.Errorf("billable images for 'billing a' = %d, want 3", got)
	}
	if calls := srv.CallsForPrompt("billing a"); len(calls) != 2 || calls[0].Billable || calls[0].Status != 500 {
		t.Errorf("calls = %+v", calls)
	}
	if calls := srv.CallsForPrompt("billing forbidden"); len(calls) != 1 || calls[0].ErrorCode != dallesim.CodeContentPolicyViolation {
		t.Errorf("calls = %+v", calls)
	}
	if n := len(srv.Calls()); n != 6 {
		t.Errorf("%d calls logged, want 6", n)
	}

	srv.Reset()
	if st := srv.Stats(); st.BillableImages != 0 || st.Requests[dallesim.EndpointGenerations] != 0 || len(srv.Calls()) != 0 {
		t.Errorf("after Reset: %+v, %d calls", st, len(srv.Calls()))
	}
}

func TestCallLogIsBounded(t *testing.T) {
	t.Parallel()
	srv, _, client := start(t, dallesim.Config{MaxCallLog: 3})
	for i := range 5 {
		if _, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{
			Prompt: "p" + string(rune('0'+i)), Size: "256x256"}); err != nil {
			t.Fatal(err)
		}
	}
	calls := srv.Calls()
	if len(calls) != 3 || calls[0].Prompt != "p2" || calls[2].Prompt != "p4" {
		t.Errorf("calls = %+v, want p2..p4", calls)
	}
	if st := srv.Stats(); st.BillableRequests != 5 {
		t.Errorf("counters must not be bounded: %+v", st)
	}
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	srv, ts, client := start(t, dallesim.Config{})
	c := ts.Client()
	admin := func(method, path, body string) rawResponse {
		t.Helper()
		return do(t, c, method, ts.URL+path, "application/json", strings.NewReader(body), nil)
	}

	// Configure everything at run time.
	r := admin("PUT", "/sim/config", `{"latency":"10ms","latencyJitter":"1ms","latencyBySize":{"256x256":"0s"},
		"contentPolicyWord":"gremlin","imagesPerMinute":100,"urlTTL":"5m"}`)
	if r.status != 200 {
		t.Fatalf("PUT /sim/config: %d %s", r.status, r.body)
	}
	st := srv.Settings()
	if st.Latency != 10*time.Millisecond || st.LatencyJitter != time.Millisecond || st.LatencyBySize["256x256"] != 0 ||
		len(st.LatencyBySize) != 1 || st.ContentPolicyWord != "gremlin" || st.ImagesPerMinute != 100 || st.URLTTL != 5*time.Minute {
		t.Errorf("settings = %+v", st)
	}
	// A partial update keeps the rest; invalid updates change nothing.
	if r := admin("PUT", "/sim/config", `{"imagesPerMinute":7}`); r.status != 200 || srv.Settings().Latency != 10*time.Millisecond {
		t.Errorf("partial update: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"latency":"soon"}`, `{"latency":"-1s"}`, `{"urlTTL":"0s"}`, `{"latencyBySize":{"640x480":"1s"}}`, `{"lateny":"1s"}`, `{`} {
		if r := admin("PUT", "/sim/config", bad); r.status != 400 {
			t.Errorf("PUT %s: %d, want 400", bad, r.status)
		}
	}
	if got := srv.Settings().ImagesPerMinute; got != 7 {
		t.Errorf("a rejected update changed settings: ipm = %d", got)
	}
	r = admin("GET", "/sim/config", "")
	var cfg map[string]any
	if err := json.Unmarshal(r.body, &cfg); err != nil || cfg["latency"] != "10ms" || cfg["urlTTL"] != "5m0s" {
		t.Errorf("GET /sim/config = %s", r.body)
	}

	// Faults: one object or an array, listed, consumed, deleted.
	if r := admin("POST", "/sim/faults", `{"kind":"rate_limit","match":"admin-a","retryAfterSeconds":3}`); r.status != 200 {
		t.Fatalf("POST fault: %d %s", r.status, r.body)
	}
	if r := admin("POST", "/sim/faults", `[{"kind":"hang","match":"admin-b","duration":"10ms"},{"kind":"server_error","match":"admin-c"}]`); r.status != 200 {
		t.Fatalf("POST faults: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`{"kind":"meteor"}`, `{"kind":"hang","duration":"later"}`, `{"kind":"hang","afterHang":"explode"}`, `{"kind":"rate_limit","bogus":1}`} {
		if r := admin("POST", "/sim/faults", bad); r.status != 400 {
			t.Errorf("POST fault %s: %d, want 400", bad, r.status)
		}
	}
	var faults []map[string]any
	if err := json.Unmarshal(admin("GET", "/sim/faults", "").body, &faults); err != nil || len(faults) != 3 || faults[1]["duration"] != "10ms" {
		t.Errorf("GET /sim/faults = %v (%v)", faults, err)
	}
	_, err := client.Images.Generate(context.Background(), openai.ImageGenerateParams{Prompt: "admin-a", Size: "256x256"})
	e := asAPIError(t, err, 429, "requests", "rate_limit_exceeded", "")
	if e.Response.Header.Get("Retry-After") != "3" {
		t.Errorf("Retry-After = %q", e.Response.Header.Get("Retry-After"))
	}
	if r := admin("DELETE", "/sim/faults", ""); r.status != 200 || len(srv.PendingFaults()) != 0 {
		t.Errorf("DELETE /sim/faults: %d, %d left", r.status, len(srv.PendingFaults()))
	}

	// Stats and calls.
	var stats dallesim.Stats
	if err := json.Unmarshal(admin("GET", "/sim/stats", "").body, &stats); err != nil || stats.Requests[dallesim.EndpointGenerations] != 1 || stats.FaultsInjected != 1 {
		t.Errorf("GET /sim/stats = %+v (%v)", stats, err)
	}
	var calls []dallesim.Call
	if err := json.Unmarshal(admin("GET", "/sim/calls?prompt="+url.QueryEscape("admin-a"), "").body, &calls); err != nil ||
		len(calls) != 1 || calls[0].Fault != dallesim.FaultRateLimit || calls[0].Status != 429 {
		t.Errorf("GET /sim/calls = %+v (%v)", calls, err)
	}
	if err := json.Unmarshal(admin("GET", "/sim/calls?prompt=nope", "").body, &calls); err != nil || len(calls) != 0 {
		t.Errorf("GET /sim/calls?prompt=nope = %+v (%v)", calls, err)
	}
	if err := json.Unmarshal(admin("GET", "/sim/calls?contains=admin", "").body, &calls); err != nil || len(calls) != 1 {
		t.Errorf("GET /sim/calls?contains=admin = %+v (%v)", calls, err)
	}
	if r := admin("POST", "/sim/reset", ""); r.status != 200 || len(srv.Calls()) != 0 || srv.Stats().FaultsInjected != 0 {
		t.Errorf("POST /sim/reset: %d", r.status)
	}
	if r := admin("GET", "/sim/reset", ""); r.status != 404 {
		t.Errorf("GET /sim/reset: %d, want 404", r.status)
	}
}
