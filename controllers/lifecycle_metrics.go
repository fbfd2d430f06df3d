package controllers

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// What stage a cleanup error happened at, as cleanupErrors labels it.
const (
	cleanupOnFinish = "finish"
	cleanupOnDelete = "delete"
)

// Metrics of the artifacts' lifecycle. The store's own metrics (bytes and
// objects written, operation latency and errors by backend and operation,
// objects deleted) are in internal/artifacts/metrics.go; these add what the
// controller and the sweep know.
var (
	cleanupErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_cleanup_errors_total",
		Help: "Failed deletions of a request's stored objects, by backend and stage (finish: its inputs; delete: the finalizer).",
	}, []string{"backend", "stage"})
	sweptObjects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_swept_objects_total",
		Help: "Orphaned objects the sweep deleted, by backend and kind (results, inputs).",
	}, []string{"backend", "kind"})
	sweepErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_sweep_errors_total",
		Help: "Errors of the orphan sweep (a failed listing, marker check or deletion), by backend.",
	}, []string{"backend"})
	lastSweep = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imagegen_artifact_last_sweep_timestamp_seconds",
		Help: "Unix time of the last orphan sweep that listed the store without error, by backend.",
	}, []string{"backend"})
	bucketObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imagegen_artifact_bucket_objects",
		Help: "Objects in the artifact store as of the last complete sweep pass, by backend and kind (results, inputs).",
	}, []string{"backend", "kind"})
	bucketBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "imagegen_artifact_bucket_bytes",
		Help: "Bytes in the artifact store as of the last complete sweep pass, by backend and kind (results, inputs).",
	}, []string{"backend", "kind"})
)

func init() {
	metrics.Registry.MustRegister(cleanupErrors, sweptObjects, sweepErrors, lastSweep, bucketObjects, bucketBytes)
}
