#!/usr/bin/env bash
# Runs the portal's browser test (see CMakeLists.txt):
#   run.sh PORTAL_TENANCYD BUILD_DIR
# Exit 77 (skipped) when node, npm or chromium is missing; scripts/install-deps.sh
# test installs them. TENANCY_CHROMIUM overrides /usr/bin/chromium.
set -euo pipefail

binary="$1"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
chromium="${TENANCY_CHROMIUM:-/usr/bin/chromium}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "portal browser test skipped: '$tool' is not installed (scripts/install-deps.sh test)"
    exit 77
  fi
done
if [[ ! -x "$chromium" ]]; then
  echo "portal browser test skipped: no Chromium at $chromium (scripts/install-deps.sh test)"
  exit 77
fi
if [[ ! -x "$binary" ]]; then
  echo "portal browser test: tenancyd is not built ($binary)" >&2
  exit 1
fi

mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/portal.test.mjs" "$work/"
# npm ci wipes and reinstalls node_modules: do it only when the pinned
# versions changed, so repeated runs need no registry.
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
stamp="$work/node_modules/.tenancy-installed"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

cd "$work"
export PORTAL_TENANCYD="$binary" TENANCY_CHROMIUM="$chromium" PORTAL_ARTIFACTS="$work/screenshots"
exec node portal.test.mjs
