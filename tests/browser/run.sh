#!/usr/bin/env bash
# Browser tests of the local runner's /simulator and /console pages in headless Chromium.
# Installs what is missing (Debian's chromium, playwright-core from npm into node_modules here),
# builds the runner unless HELPDESK_LOCAL_BIN names one, and runs node's test runner.
# `--install` only installs (tests/run.sh does it in the background while Rust compiles).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
  echo "==> installing chromium (apt)"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

command -v node >/dev/null || { echo "node (18.19 or later) is required" >&2; exit 1; }
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  echo "==> installing playwright-core (npm)"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ -f "$here/package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
[ "${1:-}" = --install ] && exit 0

if [ -z "${HELPDESK_LOCAL_BIN:-}" ]; then
  target="${CARGO_TARGET_DIR:-$root/target}"
  echo "==> building helpdesk-local"
  (cd "$root" && cargo build -q -p helpdesk-local)
  export HELPDESK_LOCAL_BIN="$target/debug/helpdesk-local"
fi

echo "==> browser tests (runner: $HELPDESK_LOCAL_BIN)"
cd "$here"
run_files() { node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout "$@"; }
# sla.test.mjs spends a minute waiting for its SLA timers (a one-minute policy, as short as the
# policy format goes), on little CPU: it runs beside the other files, which run one at a time
# as before (its output follows theirs). The stage fails if either fails.
others=()
for f in *.test.mjs; do [ "$f" = sla.test.mjs ] || others+=("$f"); done
sla_log="$(mktemp)"
run_files sla.test.mjs >"$sla_log" 2>&1 &
sla_pid=$!
trap 'kill "$sla_pid" 2>/dev/null || true' EXIT
status=0
run_files "${others[@]}" || status=$?
sla_status=0
wait "$sla_pid" || sla_status=$?
echo "==> sla.test.mjs (ran beside the files above)"
cat "$sla_log"
rm -f "$sla_log"
[ "$status" -eq 0 ] && [ "$sla_status" -eq 0 ]
