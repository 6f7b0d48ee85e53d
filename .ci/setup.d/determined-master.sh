#!/usr/bin/env bash
# A real Determined 0.38.1 master (and Debian's PostgreSQL) for
# packages/determined-client/test/real-master.test.ts, which starts both on loopback and skips when
# either is missing. Installs into $FMNIST_TOOLS_DIR/determined-master: bin/determined-master and
# root/static (the scripts the master hands to task containers). Quick when already built.
#
# The source is Determined at the v0.38.1 commit, one Go module. Two ways to get it, tried in order:
#   1. a source tree already at $D/upstream (go.mod, go.sum, master/, proto/, schemas/ and
#      hpc-ard-launcher-go/ of that commit, e.g. `git archive` of a checkout);
#   2. the Go module proxy, through a small wrapper module: it requires the module at the commit and
#      replaces the launcher module (a nested module the proxy's zip leaves out; upstream's own
#      `replace ./hpc-ard-launcher-go/launcher` does not apply to a dependency) with its path inside
#      the same repository. When this was written the proxy answered 403 "This module version is not
#      available" for every version of github.com/determined-ai/determined, so this way is untried.
# The build takes about 30 minutes on two busy cores the first time (nice'd, one package at a time).
set -euo pipefail

COMMIT=6bcda5dd3426ce682ea54e2b55115aa9478dbe0e
PSEUDO=v0.0.0-20250319230631-6bcda5dd3426
D="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/determined-master"
BIN="$D/bin/determined-master"
STAMP="$D/bin/.commit"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # The tests run their own throwaway cluster; the packaged one is not needed.
    (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --mode immediate "$(ls /usr/lib/postgresql | sort -n | tail -1)" main stop) 2>/dev/null || true
  else
    echo "determined-master: PostgreSQL is not installed and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
fi

if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$COMMIT" ] && [ -d "$D/root/static" ]; then
  echo "determined-master: $BIN (v0.38.1) is installed"
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "determined-master: no Go toolchain" >&2; exit 1; }
export GOFLAGS=-mod=mod
LDFLAGS="-s -w -X github.com/determined-ai/determined/master/version.Version=0.38.1"
mkdir -p "$D/bin"

if [ -f "$D/upstream/go.mod" ] && [ -d "$D/upstream/master/cmd/determined-master" ]; then
  echo "determined-master: building from the source tree in $D/upstream"
  (cd "$D/upstream" && nice -n 10 go build -p 1 -trimpath -ldflags "$LDFLAGS" -o "$BIN.tmp" ./master/cmd/determined-master)
  STATIC="$D/upstream/master/static"
else
  echo "determined-master: fetching github.com/determined-ai/determined@$COMMIT through the Go module proxy"
  W="$D/wrapper"
  mkdir -p "$W"
  cat >"$W/go.mod" <<EOF
module fmnist.local/determined-master

go 1.22.0

require github.com/determined-ai/determined $PSEUDO

replace github.hpe.com/hpe/hpc-ard-launcher-go/launcher => github.com/determined-ai/determined/hpc-ard-launcher-go/launcher $PSEUDO
EOF
  printf 'package main\n\nimport _ "github.com/determined-ai/determined/master/cmd/determined-master"\n' >"$W/tools.go"
  if ! SRC=$(cd "$W" && go mod download -json "github.com/determined-ai/determined@$COMMIT" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p') || [ -z "$SRC" ]; then
    echo "determined-master: the Go module proxy does not serve github.com/determined-ai/determined@$COMMIT;" >&2
    echo "  put that commit's source tree in $D/upstream and run this again" >&2
    exit 1
  fi
  rm -f "$W/tools.go"
  (cd "$W" && nice -n 10 go build -p 1 -trimpath -ldflags "$LDFLAGS" -o "$BIN.tmp" github.com/determined-ai/determined/master/cmd/determined-master)
  STATIC="$SRC/master/static"
fi

rm -rf "$D/root.tmp" && mkdir -p "$D/root.tmp" && cp -r "$STATIC" "$D/root.tmp/static"
rm -rf "$D/root" && mv "$D/root.tmp" "$D/root"
mv "$BIN.tmp" "$BIN"
echo "$COMMIT" >"$STAMP"
echo "determined-master: built $BIN"
