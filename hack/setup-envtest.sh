#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, etcd, kubectl) from source
# through the Go module proxy, because this project's machines cannot download
# the prebuilt envtest archives. The binaries land in
# bin/k8s/<version>-<os>-<arch>/, the layout setup-envtest uses, so
# KUBEBUILDER_ASSETS can point straight at it.
#
# Idempotent: with all three binaries present it exits at once.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.7.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"
ASSETS="${ROOT}/bin/k8s/${K8S_VERSION}-${GOOS}-${GOARCH}"
WORK="${ROOT}/bin/k8s/.build"

if [[ -x "${ASSETS}/kube-apiserver" && -x "${ASSETS}/etcd" && -x "${ASSETS}/kubectl" ]]; then
  echo "${ASSETS}"
  exit 0
fi

log() { echo "setup-envtest: $*" >&2; }
mkdir -p "${ASSETS}" "${WORK}"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off

# --- kube-apiserver and kubectl -------------------------------------------
# k8s.io/kubernetes points every staging module at ./staging/src/..., which
# does not exist in the module zip. The wrapper maps each of them to its
# published v0.x twin instead; the list is read from the real go.mod so it
# can't drift from the release.
k8s_minor_version="0.${K8S_VERSION#1.}"
k8s_gomod="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "${k8s_gomod}" ]] || { log "could not download k8s.io/kubernetes@v${K8S_VERSION}"; exit 1; }
k8s_go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "${k8s_gomod}")"

mkdir -p "${WORK}/kubernetes"
{
  echo "module imagegen.dev/envtest/kubernetes"
  echo
  echo "go ${k8s_go_directive}"
  echo
  echo "godebug default=go1.26"
  echo
  echo "require k8s.io/kubernetes v${K8S_VERSION}"
  echo
  echo "replace ("
  sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\t\1 => \1 v'"${k8s_minor_version}"'#p' "${k8s_gomod}"
  echo ")"
} > "${WORK}/kubernetes/go.mod"

stamp="k8s.io/component-base/version"
clientstamp="k8s.io/client-go/pkg/version"
major="${K8S_VERSION%%.*}"
minor="$(echo "${K8S_VERSION}" | cut -d. -f2)"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in "${stamp}" "${clientstamp}"; do
  ldflags+=" -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
done

log "building kube-apiserver and kubectl v${K8S_VERSION} (several minutes on a cold cache)"
(cd "${WORK}/kubernetes" && go build -ldflags "${ldflags}" -o "${WORK}/out-k8s/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)

# --- etcd ----------------------------------------------------------------
# etcd's own main package lives in the repository root module; the server
# module exposes the same entry point as etcdmain.Main.
mkdir -p "${WORK}/etcd"
cat > "${WORK}/etcd/go.mod" <<GOMOD
module imagegen.dev/envtest/etcd

go ${k8s_go_directive}

require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}
GOMOD
cat > "${WORK}/etcd/main.go" <<'GO'
// Command etcd is etcd's server entry point, built from the server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
log "building etcd v${ETCD_VERSION}"
(cd "${WORK}/etcd" && go build -ldflags "-s -w" -o "${WORK}/out-etcd/etcd" .)

# Install all three only once every build succeeded, so a failed run never
# leaves a half-populated directory that the idempotency check would accept.
install -m 0755 "${WORK}/out-k8s/kube-apiserver" "${WORK}/out-k8s/kubectl" "${WORK}/out-etcd/etcd" "${ASSETS}/"
log "installed into ${ASSETS}"
echo "${ASSETS}"
