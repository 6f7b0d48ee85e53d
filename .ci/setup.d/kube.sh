#!/usr/bin/env bash
# A real Kubernetes control plane for the deployer's contract suite: etcd (Debian's etcd-server),
# kube-apiserver, kube-controller-manager and kube-scheduler built from k8s.io/kubernetes with its staging
# modules taken from their published k8s.io/* versions of the same release, and KWOK, which plays the
# kubelet so that Deployments really roll out. Binaries land in $FMNIST_TOOLS_DIR/kube/bin; the deployer's
# tests skip when they are absent. Warm: seconds (the version stamp matches).
# Cold, measured here: kube-apiserver 31 min while other builds shared the cores; the rest ~4 min.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.34.2}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
TOOLS="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/kube"
BIN="$TOOLS/bin"
STAMP="$BIN/.version"
WANT="kube=$KUBE_VERSION kwok=$KWOK_VERSION"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$BIN/kube-apiserver" ] \
  && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kube-scheduler" ] && [ -x "$BIN/kwok" ] \
  && [ -x "$BIN/etcd" ]; then
  echo "kube: $WANT already in $BIN"
  exit 0
fi

# A cold build takes 20-30 minutes on two shared cores (kube-apiserver alone is most of it), too much of
# CI's budget to spend on every fresh machine, and the suite takes ~9 minutes: CI builds and runs it only
# when asked (FMNIST_KUBE_BUILD=1). By hand the build always runs, and the tests run when it is there.
if [ "${CI:-}" = "true" ] && [ "${FMNIST_KUBE_BUILD:-}" != "1" ] && [ ! -x "$BIN/kube-apiserver" ]; then
  echo "kube: no cached control plane and FMNIST_KUBE_BUILD is not 1; the real-control-plane tests will skip"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "kube: no Go toolchain; the deployer's real-control-plane tests will skip" >&2
  exit 0
fi

mkdir -p "$BIN" "$TOOLS/src"

# k8s.io/kubernetes points its staging modules at ./staging/src/...; a module of our own that requires it
# must name the published copies instead, all at v0.<minor>.<patch> of the same release.
SRC="$TOOLS/src/kubernetes-$KUBE_VERSION"
mkdir -p "$SRC"
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
MODFILE="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
{
  echo "module fmnist.local/kube-build"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$MODFILE"
  echo ")"
} > "$SRC/go.mod"
cat > "$SRC/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
cd "$SRC"
export GOFLAGS="-mod=mod"
nice -n 10 go mod tidy -e >/dev/null 2>&1 || true
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$BIN/$cmd" ] && [ -f "$STAMP.$cmd" ] && [ "$(cat "$STAMP.$cmd")" = "$KUBE_VERSION" ] && continue
  nice -n 10 go build -trimpath -ldflags="-s -w" -o "$BIN/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  echo "$KUBE_VERSION" > "$STAMP.$cmd"
done

[ -x "$BIN/kwok" ] || GOBIN="$BIN" nice -n 10 go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

# etcd: Debian's package is the server kube-apiserver stores in.
if [ ! -x "$BIN/etcd" ]; then
  if ! command -v etcd >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      # Other setup scripts may hold dpkg's lock: wait for it rather than fail.
      apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
      (apt_get install -y -qq etcd-server >/dev/null 2>&1 || { apt_get update -qq >/dev/null && apt_get install -y -qq etcd-server >/dev/null; }) \
        || { echo "kube: could not install etcd-server; tests will skip" >&2; exit 0; }
    else
      echo "kube: no etcd and no apt-get; tests will skip" >&2
      exit 0
    fi
  fi
  ln -sf "$(command -v etcd)" "$BIN/etcd"
fi

echo "$WANT" > "$STAMP"
echo "kube: built $WANT into $BIN"
