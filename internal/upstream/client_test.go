package upstream

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imagegen/imagegen-operator/internal/dallesim"
	"github.com/imagegen/imagegen-operator/internal/imagecheck"
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
	if len(res.URLs) != 2 || res.RequestID == "" || res.Created.IsZero() {
		t.Fatalf("generate result = %+v", res)
	}
	calls := sim.CallsForPrompt("a cat")
	if len(calls) != 1 || calls[0].ClientRequestID != "uid/1" || calls[0].User != "u1" || calls[0].RequestID != res.RequestID {
		t.Fatalf("simulator saw %+v", calls)
	}

	img := imagecheck.PNG(64, 64, true, false)
	mask := imagecheck.PNG(64, 64, true, true)
	res, err = c.Do(ctx, Request{Model: "dall-e-2", Prompt: "an edit", N: 1, Size: "256x256", Image: img, Mask: mask})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if len(res.URLs) != 1 {
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
		})
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
