#!/usr/bin/env bash
# Rehearses the deployment: template.yaml into LocalStack's CloudFormation (host mode, offline),
# with a placeholder zip as every function's code. Prints each resource's status and time and
# exits non-zero unless the stack reaches CREATE_COMPLETE. Starts LocalStack if it is not
# running (and stops it again afterwards).
#   bash infra/localstack-deploy.sh [--keep] [--json FILE] [--stack NAME]
# Lambda functions are created but cannot run without Docker (see infra/localstack/helpdesk_localstack.py).
set -euo pipefail
cd "$(dirname "$0")/.."
started_here=0
if ! bash infra/localstack.sh status >/dev/null 2>&1; then
  bash infra/localstack.sh start >/dev/null
  started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then bash infra/localstack.sh stop; fi; }
trap cleanup EXIT
eval "$(bash infra/localstack.sh env)"
export LOCALSTACK_LOG="$PWD/.local/logs/localstack.log"
.local/localstack/bin/python infra/localstack/deploy.py "$@"
