package mcp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
)

// errShuttingDown ends a wait when the server stops: the replica is going
// away (a rollout, a drain), not the caller.
var errShuttingDown = errors.New("the server is shutting down")

// shutdownRetryAfter is the Retry-After of a call cut short by a shutdown:
// any other replica answers the poll at once.
const shutdownRetryAfter = 1

// shuttingDown reports whether Start has begun to stop. It is set before
// the requests' base context is cancelled, so a handler whose context ends
// can tell a shutdown from a caller that went away.
func (s *Server) shuttingDown() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// writeShuttingDown answers a REST call whose wait a shutdown cut short. The
// ImageRequest carries on, so the caller gets what it needs to follow it,
// as a 202 would give it, with 503 and Retry-After: it must not take an
// empty answer for success, nor create the request again.
func (s *Server) writeShuttingDown(w http.ResponseWriter, ir *imagesv1alpha1.ImageRequest) {
	phase := ir.Status.Phase
	if phase == "" {
		phase = imagesv1alpha1.PhasePending
	}
	poll := PathImageRequests + ir.Namespace + "/" + ir.Name
	w.Header().Set("Location", poll)
	w.Header().Set("Retry-After", strconv.Itoa(shutdownRetryAfter))
	writeJSON(w, http.StatusServiceUnavailable, PendingResponse{
		Error: apiError{Code: codeUnavailable, Message: fmt.Sprintf(
			"this replica is shutting down; ImageRequest %s/%s carries on (%s): GET %s until it answers 200 (or an error); do not send the request again",
			ir.Namespace, ir.Name, describeState(ir), poll)},
		Name: ir.Name, Namespace: ir.Namespace, Phase: string(phase), PollURL: poll,
	})
}
