#!/usr/bin/env bash
# The real Python client of pachd 2.x (pachyderm_sdk from PyPI, the release matching pachd v2.11.6) in a
# venv under $FMNIST_TOOLS_DIR/pachyderm; packages/data-client/test/pachyderm-sdk.test.ts runs it against
# the in-test pachd and skips when it is absent. Idempotent: a finished install is left as it is.
set -euo pipefail

version=2.11.6
tools="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}"
dest="$tools/pachyderm"
marker="$dest/installed-$version"

if [ -f "$marker" ] && [ -x "$dest/venv/bin/python" ]; then
  echo "pachyderm_sdk $version: already in $dest"
  exit 0
fi

rm -rf "$dest"
mkdir -p "$dest"
python3 -m venv "$dest/venv"
"$dest/venv/bin/python" -m pip install --quiet --disable-pip-version-check "pachyderm_sdk==$version"
"$dest/venv/bin/python" -c 'import pachyderm_sdk' # fails the set-up now rather than the tests later
touch "$marker"
echo "pachyderm_sdk $version: installed in $dest"
