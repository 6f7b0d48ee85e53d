#!/usr/bin/env bash
# The real Seldon Core v1 Python wrapper (seldon-core 1.17.1, the last Apache-2.0 v1 release, from PyPI): the
# conformance test runs its microservice beside ours and points its SeldonClient at ours. Installed into a
# venv at $FMNIST_TOOLS_DIR/seldon (numpy models only: no torch); the test skips when it is absent.
set -euo pipefail
VERSION=1.17.1
# What the cache marker records: a change here reinstalls.
MARK="$VERSION setuptools<81"
DIR="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/seldon"
if [ -x "$DIR/bin/seldon-core-microservice" ] && [ "$(cat "$DIR/.version" 2>/dev/null)" = "$MARK" ]; then
  echo "seldon-core $VERSION already in $DIR"
  exit 0
fi
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) || true
  fi
fi
rm -rf "$DIR"
python3 -m venv "$DIR"
# The wrapper still imports pkg_resources, which setuptools 81 dropped.
"$DIR/bin/pip" install --quiet --disable-pip-version-check "seldon-core==$VERSION" "setuptools<81"
"$DIR/bin/python" -c "import seldon_core.microservice, numpy; from seldon_core.seldon_client import SeldonClient"
echo "$MARK" >"$DIR/.version"
echo "seldon-core $VERSION installed in $DIR"
