#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (Apache-2.0) from source through the Go module
# proxy: the tests run a real S3 server (`weed server -s3`, see
# internal/localenv/s3server.go), and this project's machines cannot download
# prebuilt binaries. The binary lands in bin/seaweedfs/<version>/weed.
#
# `go install github.com/seaweedfs/seaweedfs/weed@<version>` refuses the module
# because its go.mod has a `replace` directive, so the build goes through a
# wrapper module that requires SeaweedFS and copies its module replacements.
#
# Idempotent: with the binary present it exits at once. A cold build takes
# about ten minutes on two cores.
set -euo pipefail

SEAWEEDFS_VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${ROOT}/bin/seaweedfs/${SEAWEEDFS_VERSION}"
WORK="${ROOT}/bin/seaweedfs/.build"

if [[ -x "${DEST}/weed" ]]; then
  echo "${DEST}/weed"
  exit 0
fi

log() { echo "setup-seaweedfs: $*" >&2; }
mkdir -p "${DEST}" "${WORK}/wrapper"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off

module="github.com/seaweedfs/seaweedfs"
sw_gomod="$(go mod download -json "${module}@${SEAWEEDFS_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "${sw_gomod}" ]] || { log "could not download ${module}@${SEAWEEDFS_VERSION}"; exit 1; }
sw_go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "${sw_gomod}")"

# The module replacements of SeaweedFS's go.mod (single-line and block form),
# without comments and without local-path targets (those never resolve
# outside its repository). Read from the real go.mod so they can't drift.
replaces="$(awk '
  { sub(/\/\/.*/, "") }
  /^replace[ \t]*\($/ { inblock = 1; next }
  inblock && /^[ \t]*\)/ { inblock = 0; next }
  inblock && /=>/ { line = $0 }
  !inblock && /^replace[ \t]/ { line = $0; sub(/^replace[ \t]+/, "", line) }
  line != "" {
    split(line, side, "=>"); target = side[2]; gsub(/^[ \t]+/, "", target)
    if (target !~ /^(\.|\/)/) { gsub(/^[ \t]+|[ \t]+$/, "", line); print "\t" line }
    line = ""
  }
' "${sw_gomod}")"

{
  echo "module imagegen.dev/seaweedfs"
  echo
  echo "go ${sw_go_directive}"
  echo
  echo "require ${module} ${SEAWEEDFS_VERSION}"
  if [[ -n "${replaces}" ]]; then
    echo
    echo "replace ("
    echo "${replaces}"
    echo ")"
  fi
} > "${WORK}/wrapper/go.mod"
rm -f "${WORK}/wrapper/go.sum"

log "building weed ${SEAWEEDFS_VERSION} (about ten minutes on a cold cache)"
(cd "${WORK}/wrapper" && go build -trimpath -ldflags "-s -w" -o "${WORK}/weed" "${module}/weed")
"${WORK}/weed" version >&2

# Install only after the build and the smoke run succeeded, so a failed run
# never leaves a binary the idempotency check would accept.
install -m 0755 "${WORK}/weed" "${DEST}/weed"
log "installed into ${DEST}"
echo "${DEST}/weed"
