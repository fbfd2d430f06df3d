package imagerequests

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_mcp_calls_total",
		Help: "MCP tool calls and REST requests, by interface (mcp, rest), operation and outcome (ok, invalid, forbidden, failed, pending, error).",
	}, []string{"interface", "operation", "outcome"})
	activeWaiters = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "imagegen_mcp_active_waiters",
		Help: "Calls and subscriptions currently waiting on an ImageRequest, all fed by one shared informer.",
	})
)

func init() {
	metrics.Registry.MustRegister(calls, activeWaiters)
}

// Outcome labels of a call, for imagegen_mcp_calls_total.
const (
	OutcomeOK        = "ok"
	OutcomeInvalid   = "invalid"
	OutcomeForbidden = "forbidden"
	OutcomeFailed    = "failed"
	OutcomePending   = "pending"
	OutcomeError     = "error"
)

// RecordCall counts one call of operation over iface ("mcp", "rest").
func RecordCall(iface, operation, outcome string) {
	calls.WithLabelValues(iface, operation, outcome).Inc()
}

// OutcomeOf is the outcome of a call that ended with err: invalid for
// input errors, forbidden for a denial, else error.
func OutcomeOf(err error) string {
	var fe *ForbiddenError
	switch {
	case AsInputErrors(err) != nil:
		return OutcomeInvalid
	case errors.As(err, &fe):
		return OutcomeForbidden
	}
	return OutcomeError
}
