// Package artifacts is the operator's artifact store: every result image and
// every edit input lives as an object in one bucket the operator controls,
// instead of as base64 in a status, an expiring upstream URL, or a Secret in
// etcd.
//
// A Store wraps one bucket opened from a URL (s3://, gs://, azblob://,
// file://) through gocloud.dev/blob. gocloud.dev gives one small, portable API
// (readers that seek, atomic writers that abort on a cancelled context,
// listing by prefix, SignedURL) over every backend the operator must support,
// with the credentials each cloud's SDK already finds in the environment, so
// the operator carries no backend-specific code and the tests exercise the
// same code paths on a local directory (fileblob) and a real S3 server.
//
// Keys are deterministic (see keys.go): results live under
// results/<namespace>/<name>/<uid>/attempt-<n>/ and inputs under
// inputs/<namespace>/<name>/<uid>/, so a retry overwrites and never
// duplicates. Each attempt's manifest.json is written after its images: an
// attempt is complete exactly when its manifest is present, which is what a
// recovering manager checks before it counts an attempt as spent.
//
// Clients get bytes through URLs in one of two modes: the backend's own
// presigned URL (Store.PresignedURL), or an operator-signed URL (Signer) that
// the manager serves itself with Handler, which works for file:// buckets and
// for buckets clients cannot reach.
package artifacts
