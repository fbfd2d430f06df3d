package controllers

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

var (
	upstreamCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_upstream_requests_total",
		Help: "Upstream Images API calls, by operation, model and result (success or an error kind).",
	}, []string{"operation", "model", "result"})
	upstreamLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "imagegen_upstream_request_duration_seconds",
		Help:    "Latency of upstream Images API calls.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60},
	}, []string{"operation", "model"})
	requestsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_imagerequests_finished_total",
		Help: "ImageRequests that reached a terminal phase, by namespace, phase and reason.",
	}, []string{"namespace", "phase", "reason"})
	estimatedCost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_estimated_cost_usd_total",
		Help: "List price of the images returned, in US dollars, by namespace and model.",
	}, []string{"namespace", "model"})
)

func init() {
	metrics.Registry.MustRegister(upstreamCalls, upstreamLatency, requestsFinished, estimatedCost)
}

func observeCall(op imagesv1alpha1.Operation, model string, latency time.Duration, err error) {
	result := "success"
	if err != nil {
		result = string(upstream.KindNetwork)
		var upErr *upstream.Error
		if errors.As(err, &upErr) {
			result = string(upErr.Kind)
		}
	}
	upstreamCalls.WithLabelValues(string(op), model, result).Inc()
	upstreamLatency.WithLabelValues(string(op), model).Observe(latency.Seconds())
}

// observeFinished counts a request that reached a terminal phase; model is
// the resolved model (never the spec's possibly empty field).
func observeFinished(ir *imagesv1alpha1.ImageRequest, model string, costUSD float64) {
	requestsFinished.WithLabelValues(ir.Namespace, string(ir.Status.Phase), ir.Status.Reason).Inc()
	if costUSD > 0 {
		estimatedCost.WithLabelValues(ir.Namespace, model).Add(costUSD)
	}
}
