package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/openai/openai-go/v3"
)

// Kind sorts upstream failures by what the caller should do about them.
type Kind string

const (
	// KindRateLimited is 429 rate_limit_exceeded. Transient; honour RetryAfter.
	KindRateLimited Kind = "RateLimited"
	// KindQuota is insufficient_quota and other billing errors. Permanent:
	// retrying cannot succeed until someone pays, and might bill again.
	KindQuota Kind = "Quota"
	// KindContentPolicy is the safety system refusing the prompt or image.
	KindContentPolicy Kind = "ContentPolicy"
	// KindModelUnavailable is 404 model_not_found: the upstream does not
	// serve the model (retired, or never offered to this key). Permanent.
	KindModelUnavailable Kind = "ModelUnavailable"
	// KindInvalidRequest is any other 4xx the request itself caused.
	KindInvalidRequest Kind = "InvalidRequest"
	// KindAuth is 401/403, a bad or unauthorised key.
	KindAuth Kind = "Auth"
	// KindServer is a 5xx or a malformed response. Transient.
	KindServer Kind = "Server"
	// KindNetwork is a refused or reset connection, or a timeout. Transient.
	KindNetwork Kind = "Network"
	// KindConfig means the operator cannot make the call at all (no API key).
	KindConfig Kind = "Config"
)

// billingCodes are error codes that mean money, not load: never retried.
var billingCodes = map[string]bool{
	"insufficient_quota":         true,
	"billing_hard_limit_reached": true,
	"billing_not_active":         true,
	"account_deactivated":        true,
}

// Error is a failed upstream call, classified.
type Error struct {
	Kind Kind
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// Code, Type, Param and Message are OpenAI's error fields.
	Code, Type, Param, Message string
	// SafetyCategories are the categories a moderation_blocked answer
	// names (error.moderation_details.categories, else the message's
	// "safety_violations=[...]"); nil for other errors.
	SafetyCategories []string
	// RequestID is the upstream's x-request-id, when a response arrived.
	RequestID string
	// RetryAfter is the upstream's Retry-After, zero when it sent none.
	RetryAfter time.Duration
	// NeverSent is set when the call failed before any connection to the
	// upstream existed (name resolution, connection refused, TLS
	// handshake): not a byte of the request left, so it cannot have been
	// paid for and need not count as an attempt.
	NeverSent bool
	// Err is the underlying error.
	Err error
}

// Error includes the code and message, which openai-go's own text omits.
func (e *Error) Error() string {
	switch {
	case e.StatusCode != 0:
		return fmt.Sprintf("upstream %d %s (code=%s type=%s param=%s): %s", e.StatusCode, e.Kind, e.Code, e.Type, e.Param, e.Message)
	default:
		return fmt.Sprintf("upstream %s: %s", e.Kind, e.Message)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether the same call may succeed if made again later.
func (e *Error) Transient() bool {
	switch e.Kind {
	case KindRateLimited, KindServer, KindNetwork:
		return true
	}
	return false
}

// classify turns what openai-go returned into an *Error.
func classify(err error) *Error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		e := &Error{
			StatusCode: apiErr.StatusCode,
			Code:       apiErr.Code,
			Type:       apiErr.Type,
			Param:      apiErr.Param,
			Message:    apiErr.Message,
			Err:        err,
		}
		if apiErr.Response != nil {
			e.RequestID = apiErr.Response.Header.Get("x-request-id")
			e.RetryAfter = retryAfter(apiErr.Response.Header, time.Now())
		}
		if e.Message == "" {
			e.Message = http.StatusText(apiErr.StatusCode)
		}
		e.Kind = kindOf(apiErr.StatusCode, apiErr.Code, apiErr.Type)
		if e.Kind == KindContentPolicy {
			e.SafetyCategories = safetyCategories(apiErr)
		}
		return e
	}
	e := &Error{Kind: KindNetwork, Message: err.Error(), Err: err}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Message = "timed out waiting for the upstream: " + err.Error()
	case errors.Is(err, context.Canceled):
		e.Message = "call cancelled: " + err.Error()
	}
	return e
}

// kindOf is the classification table; see errors_test.go for every row.
func kindOf(status int, code, typ string) Kind {
	switch {
	case billingCodes[code] || billingCodes[typ]:
		return KindQuota
	case code == "content_policy_violation" || code == "moderation_blocked":
		return KindContentPolicy
	case code == "model_not_found":
		return KindModelUnavailable
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusRequestTimeout || status == http.StatusConflict:
		// OpenAI documents 408 and 409 (lock timeout) as retryable.
		return KindServer
	case status >= 500:
		return KindServer
	default:
		return KindInvalidRequest
	}
}

// retryAfter reads retry-after-ms (OpenAI's finer header) or Retry-After,
// in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("retry-after-ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
