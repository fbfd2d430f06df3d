package mcp

import (
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

// Outcomes of a call, for imagegen_mcp_calls_total.
const (
	outcomeOK        = "ok"
	outcomeInvalid   = "invalid"
	outcomeForbidden = "forbidden"
	outcomeFailed    = "failed"
	outcomePending   = "pending"
	outcomeError     = "error"
)
