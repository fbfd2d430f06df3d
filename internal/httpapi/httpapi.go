// Package httpapi is the wire format the HTTP listener and the REST
// endpoints share: the error body {"error": {"code", "message", "field",
// "rule"}}, its codes, and the request-body errors both must recognise.
package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Error codes of the HTTP error body.
const (
	CodeInvalidArgument = "invalid_argument"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeContentPolicy   = "content_policy_violation"
	CodeRateLimited     = "rate_limited"
	CodeUpstream        = "upstream_error"
	CodeWaitElapsed     = "wait_elapsed"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
	CodeTooLarge        = "request_too_large"
	// CodeRequestTimeout answers a body that arrived too slowly.
	CodeRequestTimeout = "request_timeout"
)

// Error is the error object of the HTTP endpoints.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Rule names the broken rule of a validation error.
	Rule string `json:"rule,omitempty"`
}

type errorBody struct {
	Error Error `json:"error"`
}

// WriteJSON answers v as JSON, never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError answers e in the error body.
func WriteError(w http.ResponseWriter, status int, e Error) {
	WriteJSON(w, status, errorBody{Error: e})
}

// LeaveBodyUnread is called before refusing a request whose body was not
// read. If its length is unknown (chunked), net/http would read it to its
// end before sending the answer, at whatever pace the client sends it;
// closing the connection after the answer sends it at once. (A body with
// a Content-Length over 256 KiB is left unread, and the connection closed,
// by net/http itself.)
func LeaveBodyUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength < 0 {
		w.Header().Set("Connection", "close")
	}
}

// BodyTooSlowError says a request body fell below the minimum rate the
// listener reads bodies at; whoever reads the body answers it with 408.
type BodyTooSlowError struct {
	Read    int64
	Elapsed time.Duration
	Rate    int64
}

func (e *BodyTooSlowError) Error() string {
	return fmt.Sprintf("the request body arrived too slowly: %d bytes in %s, below the minimum of %d bytes/s; send it faster, or smaller",
		e.Read, e.Elapsed.Round(time.Second), e.Rate)
}
