#!/usr/bin/env bash
# schemathesis (PyPI): the OpenAPI-driven HTTP fuzzer the seldon-wrapper fuzz test runs against the
# document the server itself serves. Installed into a venv at $FMNIST_TOOLS_DIR/schemathesis; the test
# skips when `bin/st` is not there.
set -euo pipefail
VERSION=4.32.5
DIR="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/schemathesis"
if [ -x "$DIR/bin/st" ] && [ "$(cat "$DIR/.version" 2>/dev/null)" = "$VERSION" ]; then
  echo "schemathesis $VERSION already in $DIR"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) || true
  fi
fi
rm -rf "$DIR"
python3 -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
echo "$VERSION" >"$DIR/.version"
"$DIR/bin/st" --version
