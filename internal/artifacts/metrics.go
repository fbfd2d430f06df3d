package artifacts

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/gcerrors"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Operations, as the metrics label them.
const (
	opPutResult    = "put_result"
	opPutManifest  = "put_manifest"
	opPutInput     = "put_input"
	opPutMarker    = "put_marker"
	opReadManifest = "read_manifest"
	opStat         = "stat"
	opRead         = "read"
	opDelete       = "delete"
	opList         = "list"
	opPresign      = "presign"
)

// Kinds of stored object, as the metrics label them.
const (
	kindResult   = "result"
	kindInput    = "input"
	kindManifest = "manifest"
	kindMarker   = "keep_marker"
)

var (
	storedBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_stored_bytes_total",
		Help: "Bytes written to the artifact store, by backend (bucket URL scheme) and kind (result, input, manifest).",
	}, []string{"backend", "kind"})
	storedObjects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_stored_objects_total",
		Help: "Objects written to the artifact store, by backend and kind.",
	}, []string{"backend", "kind"})
	deletedObjects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_deleted_objects_total",
		Help: "Objects deleted from the artifact store, by backend.",
	}, []string{"backend"})
	opLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "imagegen_artifact_operation_duration_seconds",
		Help:    "Latency of artifact store operations, by backend and operation.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"backend", "operation"})
	opErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imagegen_artifact_operation_errors_total",
		Help: "Failed artifact store operations, by backend, operation and gocloud error code (NotFound, PermissionDenied, ...).",
	}, []string{"backend", "operation", "code"})
)

func init() {
	metrics.Registry.MustRegister(storedBytes, storedObjects, deletedObjects, opLatency, opErrors)
}

// observe records one operation's latency and, if it failed, its error code.
// Use as: defer s.observe(op, time.Now(), &err).
func (s *Store) observe(op string, start time.Time, errp *error) {
	opLatency.WithLabelValues(s.backend, op).Observe(time.Since(start).Seconds())
	if errp != nil && *errp != nil {
		opErrors.WithLabelValues(s.backend, op, errorCode(*errp)).Inc()
	}
}

func (s *Store) stored(kind string, bytes int64) {
	storedBytes.WithLabelValues(s.backend, kind).Add(float64(bytes))
	storedObjects.WithLabelValues(s.backend, kind).Inc()
}

func errorCode(err error) string {
	var tooLarge *TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return "TooLarge"
	case isNotFound(err):
		return "NotFound"
	}
	return gcerrors.Code(err).String()
}
