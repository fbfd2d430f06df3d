package rest

import (
	"fmt"
	"net/http"
	"strconv"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/httpapi"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// shutdownRetryAfter is the Retry-After of a call cut short by a shutdown:
// any other replica answers the poll at once.
const shutdownRetryAfter = 1

// writeShuttingDown answers a REST call whose wait a shutdown cut short. The
// ImageRequest carries on, so the caller gets what it needs to follow it,
// as a 202 would give it, with 503 and Retry-After: it must not take an
// empty answer for success, nor create the request again.
func (s *Handler) writeShuttingDown(w http.ResponseWriter, ir *imagesv1alpha1.ImageRequest) {
	poll := PathImageRequests + ir.Namespace + "/" + ir.Name
	w.Header().Set("Location", poll)
	w.Header().Set("Retry-After", strconv.Itoa(shutdownRetryAfter))
	httpapi.WriteJSON(w, http.StatusServiceUnavailable, pendingResponse{
		Error: httpapi.Error{Code: httpapi.CodeUnavailable, Message: fmt.Sprintf(
			"this replica is shutting down; ImageRequest %s/%s carries on (%s): GET %s until it answers 200 (or an error); do not send the request again",
			ir.Namespace, ir.Name, imagerequests.Describe(ir), poll)},
		Name: ir.Name, Namespace: ir.Namespace, Phase: string(imagerequests.PhaseOf(ir)), PollURL: poll,
	})
}
