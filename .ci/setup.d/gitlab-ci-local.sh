#!/usr/bin/env bash
# gitlab-ci-local, which runs .gitlab-ci.yml's jobs on this machine the way a GitLab shell runner would
# (4.65.0: the last release that runs on Node 20), and rsync, which its shell executor copies the checkout
# with. Installed into $FMNIST_TOOLS_DIR/gitlab-ci-local; the CI pipeline tests skip without it.
set -euo pipefail
VERSION=4.65.0
DIR="${FMNIST_TOOLS_DIR:-$HOME/.cache/fmnist-tools}/gitlab-ci-local"

if ! command -v rsync >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null
  else
    echo "rsync is missing and cannot be installed here (needs apt-get as root)" >&2
    exit 1
  fi
fi

if [ -x "$DIR/node_modules/.bin/gitlab-ci-local" ] && [ "$(cat "$DIR/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  echo "gitlab-ci-local $VERSION is installed in $DIR"
  exit 0
fi
# Installed beside the target and moved in whole, so an interrupted install is never taken for one.
rm -rf "$DIR.partial"
mkdir -p "$DIR.partial"
npm install --prefix "$DIR.partial" --no-audit --no-fund --omit=dev "gitlab-ci-local@$VERSION" >/dev/null
echo "$VERSION" >"$DIR.partial/VERSION"
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
echo "gitlab-ci-local $VERSION installed in $DIR"
