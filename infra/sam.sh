#!/usr/bin/env bash
# The pinned SAM CLI with what the build needs on PATH (cargo-lambda and its Zig), installed into
# .local/ by `infra/tools.sh deploy` on first use. Nothing is installed globally.
#   bash infra/sam.sh build                    # five arm64 functions, release, into .aws-sam/
#   bash infra/sam.sh deploy --guided          # see DEPLOY.md
#   bash infra/sam.sh validate --lint
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/infra/tools.sh" deploy
export PATH="$ROOT/.local/deploy/bin:$PATH"
export SAM_CLI_TELEMETRY="${SAM_CLI_TELEMETRY:-0}"
cd "$ROOT"
exec "$ROOT/.local/lint/bin/sam" "$@"
