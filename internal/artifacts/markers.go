package artifacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gocloud.dev/blob"
)

// KeepMarkerName is the object, directly under a request prefix
// (results/<ns>/<name>/<uid>/ or inputs/<ns>/<name>/<upload-id>/), whose
// presence keeps every object under that prefix from the orphan sweep.
//
// The finalizer writes it when a request annotated keep-artifacts=true is
// deleted: after that nothing in the cluster says the objects are wanted,
// so the bucket has to. It is written before the finalizer is removed, so a
// sweep that no longer finds the request always finds the marker. It is
// prefix-wide on purpose: a result written after the deletion (a deposed
// leader finishing its write) lands under a marked prefix and is kept too.
// The sweep never deletes markers; deleting a kept prefix is an operator's
// decision (delete the prefix, marker included).
const KeepMarkerName = "keep.json"

// KeepMarker is the content of a keep marker: who kept what and when, for
// whoever finds it in the bucket.
type KeepMarker struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	UID       string    `json:"uid"`
	KeptAt    time.Time `json:"keptAt"`
	Reason    string    `json:"reason"`
}

// KeepMarkerKey is the key of the keep marker of a request prefix (from
// RequestPrefix or KeyInfo.Prefix, ending in "/").
func KeepMarkerKey(prefix string) string { return prefix + KeepMarkerName }

// checkMarkerPrefix refuses a prefix whose marker key ParseKey would not
// read back as a marker: the sweep would not honour it.
func checkMarkerPrefix(prefix string) error {
	if !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("keep marker prefix %q does not end in /", prefix)
	}
	info, err := ParseKey(KeepMarkerKey(prefix))
	if err != nil || !info.Marker {
		return fmt.Errorf("%q is not a request prefix (<kind>/<namespace>/<name>/<id>/): %v", prefix, err)
	}
	return nil
}

// PutKeepMarker writes the keep marker of prefix. Writing it again
// overwrites it.
func (s *Store) PutKeepMarker(ctx context.Context, prefix string, m KeepMarker) (err error) {
	defer s.observe(opPutMarker, time.Now(), &err)
	if err := checkMarkerPrefix(prefix); err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding the keep marker of %s: %w", prefix, err)
	}
	key := KeepMarkerKey(prefix)
	if err := s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	s.stored(kindMarker, int64(len(data)))
	return nil
}

// HasKeepMarker reports whether prefix carries a keep marker.
func (s *Store) HasKeepMarker(ctx context.Context, prefix string) (_ bool, err error) {
	defer s.observe(opStat, time.Now(), &err)
	if err := checkMarkerPrefix(prefix); err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, KeepMarkerKey(prefix))
	if err != nil {
		return false, fmt.Errorf("looking for the keep marker of %s: %w", prefix, err)
	}
	return ok, nil
}
