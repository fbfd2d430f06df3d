package controllers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/artifacts"
	"github.com/imagegen/imagegen-operator/internal/rules"
)

// artifactInputPoll is how often a request whose artifactRef names an
// object not (yet) in the bucket looks again. Nothing watches the bucket,
// so unlike a missing ConfigMap or Secret nothing else wakes it; the
// request's input deadline (Options.InputGracePeriod) still ends the wait.
const artifactInputPoll = 2 * time.Second

// artifactInputPrefixes are the top-level prefixes an artifactRef may
// read, each followed by the request's own namespace: results of earlier
// requests, inputs the front door uploaded, and objects put under uploads/
// by other tools.
var artifactInputPrefixes = []string{"results", "inputs", "uploads"}

// refusedInputError is an input reference the request may never read: a
// terminal failure before any paid call, naming the field and the rule.
type refusedInputError struct {
	// field is the input's spec field: "image", "mask" or
	// "additionalImages[i]".
	field   string
	rule    string
	message string
}

func (e *refusedInputError) Error() string {
	return fmt.Sprintf("spec.%s.artifactRef: %s (rule %s)", e.field, e.message, e.rule)
}

// readArtifact returns the bytes of the object ref names, after checking
// that the request may read it (its own namespace) and that it is smaller
// than maxBytes, by its attributes, before reading any of it. A missing
// object is a *missingInputError that waitForInput polls for; a reference
// the request may never read is a *refusedInputError.
func (r *ImageRequestReconciler) readArtifact(ctx context.Context, namespace, field string, ref *imagesv1alpha1.ArtifactReference, maxBytes int64) ([]byte, error) {
	if r.Artifacts == nil || r.Artifacts.Store == nil {
		return nil, &refusedInputError{field: field, rule: rules.ArtifactStore,
			message: "artifactRef needs an operator running with --artifact-bucket, and this one has no artifact store; reference the image with configMapKeyRef or secretKeyRef instead"}
	}
	store := r.Artifacts.Store
	key := ref.Key
	if ref.URI != "" {
		k, err := store.KeyFromURI(ref.URI)
		if err != nil {
			return nil, &refusedInputError{field: field, rule: rules.ArtifactKey,
				message: fmt.Sprintf("uri %q is not an object of this operator's artifact bucket", ref.URI)}
		}
		key = k
	}
	if why := confineKey(namespace, key); why != "" {
		return nil, &refusedInputError{field: field, rule: rules.ArtifactKey, message: fmt.Sprintf("key %q %s", key, why)}
	}
	missing := &missingInputError{field: field + ".artifactRef", kind: "artifact-store object", name: key, poll: true}
	info, err := store.Stat(ctx, key)
	if errors.Is(err, artifacts.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, fmt.Errorf("spec.%s.artifactRef: %w", field, err)
	}
	if maxBytes > 0 && info.Size >= maxBytes {
		return nil, &refusedInputError{field: field, rule: rules.SizeBytes, message: fmt.Sprintf(
			"object %q is %d bytes; it must be smaller than %d bytes (%d MB)", key, info.Size, maxBytes, maxBytes>>20)}
	}
	// The object may be replaced between Stat and this read: read at most
	// one byte past the limit, so a larger one is refused, not held.
	rc, err := store.ReadRange(ctx, key, 0, -1)
	if errors.Is(err, artifacts.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, fmt.Errorf("spec.%s.artifactRef: %w", field, err)
	}
	defer rc.Close()
	limit := maxBytes
	if limit <= 0 {
		limit = info.Size
	}
	data, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return nil, fmt.Errorf("spec.%s.artifactRef: reading %s: %w", field, key, err)
	}
	if maxBytes > 0 && int64(len(data)) >= maxBytes {
		return nil, &refusedInputError{field: field, rule: rules.SizeBytes, message: fmt.Sprintf(
			"object %q is at least %d bytes; it must be smaller than %d bytes (%d MB)", key, len(data), maxBytes, maxBytes>>20)}
	}
	return data, nil
}

// confineKey says why a request in namespace may not read key, or "" if
// it may: the key must be <prefix>/<namespace>/<more segments> with a
// known prefix, and no segment may be empty, "." or "..", or hold a
// backslash or NUL (which some backends treat as separators).
func confineKey(namespace, key string) string {
	parts := strings.Split(key, "/")
	if len(parts) < 3 {
		return fmt.Sprintf("must be results/%s/..., inputs/%s/... or uploads/%s/...", namespace, namespace, namespace)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\\\x00") {
			return "has an empty, \".\" or \"..\" segment or a backslash or NUL; give the object's plain key"
		}
	}
	known := false
	for _, prefix := range artifactInputPrefixes {
		known = known || parts[0] == prefix
	}
	if !known {
		return fmt.Sprintf("is not under results/, inputs/ or uploads/ of namespace %s", namespace)
	}
	if parts[1] != namespace {
		return fmt.Sprintf("belongs to namespace %q; a request reads only objects of its own namespace %q", parts[1], namespace)
	}
	return ""
}
