#!/usr/bin/env bash
# The real Determined 0.38.1 client (det CLI, SDK, Core API harness) in a venv, for the conformance tests
# of the in-test master (packages/determined-client/test/harness.test.ts skips without it).
set -euo pipefail
DIR="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/determined"
if [ -x "$DIR/bin/det" ] && "$DIR/bin/python" -c 'import determined, sys; sys.exit(determined.__version__ != "0.38.1")' 2>/dev/null; then
  exit 0
fi
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
python3 -m venv "$DIR"
"$DIR/bin/pip" install --quiet --disable-pip-version-check 'determined==0.38.1'
"$DIR/bin/python" -c 'import determined; print("determined", determined.__version__, "in '"$DIR"'")'
