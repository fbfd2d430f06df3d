package upstream

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck/pngtest"
)

func newTestClient(t *testing.T) (*Client, *dallesim.Server) {
	t.Helper()
	sim, ts := dallesim.NewTestServer(t, dallesim.Config{APIKey: "sk-right"})
	return New(Config{BaseURL: ts.URL + "/v1/", Keys: StaticKey("sk-right"), Timeout: 5 * time.Second}), sim
}

func TestDoGenerateAndEdit(t *testing.T) {
	c, sim := newTestClient(t)
	ctx := context.Background()
	res, err := c.Do(ctx, Request{Model: "dall-e-2", Prompt: "a cat", N: 2, Size: "256x256", User: "u1", ClientRequestID: "uid/1"})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if len(res.Images) != 2 || res.RequestID == "" || res.Created.IsZero() {
		t.Fatalf("generate result = %+v", res)
	}
	calls := sim.CallsForPrompt("a cat")
	if len(calls) != 1 || calls[0].ClientRequestID != "uid/1" || calls[0].User != "u1" || calls[0].RequestID != res.RequestID {
		t.Fatalf("simulator saw %+v", calls)
	}

	img := pngtest.PNG(64, 64, true, false)
	mask := pngtest.PNG(64, 64, true, true)
	res, err = c.Do(ctx, Request{Model: "dall-e-2", Prompt: "an edit", N: 1, Size: "256x256", Image: img, Mask: mask})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if len(res.Images) != 1 {
		t.Fatalf("edit result = %+v", res)
	}
	if calls := sim.CallsForPrompt("an edit"); len(calls) != 1 || calls[0].Endpoint != dallesim.EndpointEdits {
		t.Fatalf("simulator saw %+v", calls)
	}
}

// TestDoClassifiesErrors: every failure class arrives as an *Error with
// OpenAI's fields, and no call is retried by the SDK behind our back.
func TestDoClassifiesErrors(t *testing.T) {
	cases := map[string]struct {
		fault      dallesim.FaultKind
		prompt     string
		key        string
		wantKind   Kind
		wantCode   string
		wantStatus int
		wantRetry  time.Duration
	}{
		"rate limit":     {fault: dallesim.FaultRateLimit, wantKind: KindRateLimited, wantCode: "rate_limit_exceeded", wantStatus: 429, wantRetry: 3 * time.Second},
		"quota":          {fault: dallesim.FaultInsufficientQuota, wantKind: KindQuota, wantCode: "insufficient_quota", wantStatus: 429},
		"billing":        {fault: dallesim.FaultBillingHardLimit, wantKind: KindQuota, wantCode: "billing_hard_limit_reached", wantStatus: 400},
		"server error":   {fault: dallesim.FaultServerError, wantKind: KindServer, wantStatus: 500},
		"overloaded":     {fault: dallesim.FaultOverloaded, wantKind: KindServer, wantStatus: 503},
		"reset":          {fault: dallesim.FaultConnectionReset, wantKind: KindNetwork},
		"content policy": {prompt: "something forbidden", wantKind: KindContentPolicy, wantCode: "content_policy_violation", wantStatus: 400},
		"wrong key":      {key: "sk-wrong", wantKind: KindAuth, wantCode: "invalid_api_key", wantStatus: 401},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, sim := newTestClient(t)
			if tc.key != "" {
				c.keys = StaticKey(tc.key)
			}
			prompt := tc.prompt
			if prompt == "" {
				prompt = "prompt for " + name
			}
			if tc.fault != "" {
				if err := sim.AddFault(dallesim.Fault{Kind: tc.fault, RetryAfterSeconds: 3}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: prompt, N: 1, Size: "256x256"})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Do() = %v, want *Error", err)
			}
			if e.Kind != tc.wantKind || e.Code != tc.wantCode || e.StatusCode != tc.wantStatus || e.RetryAfter != tc.wantRetry {
				t.Fatalf("got kind=%s code=%q status=%d retry=%s, want %s %q %d %s", e.Kind, e.Code, e.StatusCode, e.RetryAfter, tc.wantKind, tc.wantCode, tc.wantStatus, tc.wantRetry)
			}
			if tc.wantStatus != 0 && (e.RequestID == "" || e.Message == "" || !strings.Contains(e.Error(), e.Message)) {
				t.Fatalf("error lacks request id or message: %+v", e)
			}
			if got := len(sim.Calls()); got != 1 {
				t.Fatalf("simulator received %d calls, want exactly 1 (SDK retries must be off)", got)
			}
			if e.NeverSent {
				t.Fatalf("a call the simulator received was marked NeverSent: %+v", e)
			}
		})
	}
}

// TestDoNeverSent: only a call that never had a connection is marked
// NeverSent; one that reached the upstream and then failed (a reset, a
// timeout while the upstream works) may have been billed and is not.
func TestDoNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String() + "/v1/"
	ln.Close() // nothing listens there now: connection refused

	cases := map[string]struct {
		baseURL       string
		fault         dallesim.FaultKind
		wantNeverSent bool
	}{
		"connection refused": {baseURL: closedURL, wantNeverSent: true},
		"unresolvable host":  {baseURL: "http://imagegen-upstream.invalid/v1/", wantNeverSent: true},
		"reset after send":   {fault: dallesim.FaultConnectionReset},
		"timeout after send": {fault: dallesim.FaultHang},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, sim := newTestClient(t)
			c.timeout = 500 * time.Millisecond
			if tc.baseURL != "" {
				c = New(Config{BaseURL: tc.baseURL, Keys: StaticKey("sk-right"), Timeout: 2 * time.Second})
			}
			if tc.fault != "" {
				if err := sim.AddFault(dallesim.Fault{Kind: tc.fault}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: "p", N: 1, Size: "256x256"})
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindNetwork {
				t.Fatalf("Do() = %v, want a network *Error", err)
			}
			if e.NeverSent != tc.wantNeverSent {
				t.Fatalf("NeverSent = %v, want %v (%v)", e.NeverSent, tc.wantNeverSent, e)
			}
		})
	}
}

// TestDoReadsExpiryFromURL: the expiry comes from the URL the upstream
// signed, not from the model's documented lifetime.
func TestDoReadsExpiryFromURL(t *testing.T) {
	c, sim := newTestClient(t)
	if err := sim.SetURLTTL(7 * time.Minute); err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: "short-lived", N: 2, Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range res.Images {
		if got := img.ExpiresAt.Sub(res.Created); got < 6*time.Minute || got > 8*time.Minute {
			t.Fatalf("image %s expires %s after creation, want the simulator's 7m", img.URL, got)
		}
	}
}

func TestDoTimesOut(t *testing.T) {
	c, sim := newTestClient(t)
	c.timeout = 200 * time.Millisecond
	if err := sim.AddFault(dallesim.Fault{Kind: dallesim.FaultHang}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(context.Background(), Request{Model: "dall-e-2", Prompt: "slow", N: 1, Size: "256x256"})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNetwork || !e.Transient() || !strings.Contains(e.Message, "timed out") {
		t.Fatalf("Do() = %v, want a transient timeout", err)
	}
}
