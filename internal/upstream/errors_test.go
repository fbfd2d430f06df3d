package upstream

import (
	"net/http"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	cases := map[string]struct {
		status    int
		code, typ string
		want      Kind
		transient bool
	}{
		"rate limit":             {429, "rate_limit_exceeded", "requests", KindRateLimited, true},
		"insufficient quota 429": {429, "insufficient_quota", "insufficient_quota", KindQuota, false},
		"quota by type only":     {429, "", "insufficient_quota", KindQuota, false},
		"billing hard limit":     {400, "billing_hard_limit_reached", "invalid_request_error", KindQuota, false},
		"billing not active":     {429, "billing_not_active", "", KindQuota, false},
		"content policy":         {400, "content_policy_violation", "invalid_request_error", KindContentPolicy, false},
		"moderation blocked":     {400, "moderation_blocked", "", KindContentPolicy, false},
		"bad request":            {400, "invalid_value", "invalid_request_error", KindInvalidRequest, false},
		"model not found":        {404, "model_not_found", "invalid_request_error", KindModelUnavailable, false},
		"unauthorized":           {401, "invalid_api_key", "invalid_request_error", KindAuth, false},
		"forbidden":              {403, "", "", KindAuth, false},
		"request timeout":        {408, "", "", KindServer, true},
		"conflict":               {409, "", "", KindServer, true},
		"internal error":         {500, "", "server_error", KindServer, true},
		"overloaded":             {503, "", "server_error", KindServer, true},
		"gateway timeout":        {504, "", "", KindServer, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := kindOf(tc.status, tc.code, tc.typ)
			if got != tc.want {
				t.Fatalf("kindOf(%d, %q, %q) = %s, want %s", tc.status, tc.code, tc.typ, got, tc.want)
			}
			if tr := (&Error{Kind: got}).Transient(); tr != tc.transient {
				t.Fatalf("Transient() = %v, want %v", tr, tc.transient)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		headers map[string]string
		want    time.Duration
	}{
		"none":              {nil, 0},
		"seconds":           {map[string]string{"Retry-After": "2"}, 2 * time.Second},
		"fractional":        {map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		"milliseconds wins": {map[string]string{"Retry-After": "2", "retry-after-ms": "1500"}, 1500 * time.Millisecond},
		"http date":         {map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		"date in the past":  {map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		"garbage":           {map[string]string{"Retry-After": "soon"}, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			if got := retryAfter(h, now); got != tc.want {
				t.Fatalf("retryAfter = %s, want %s", got, tc.want)
			}
		})
	}
}
