#!/usr/bin/env bash
# End to end against the emulators (issue 7): our intake (the runner's --aws mode, release build)
# and benches/reference/intake_reference.py (Python + boto3, the same DynamoDB and SQS work) on
# one moto + DynamoDB Local pair, each with its own table and queues, driven one after the other
# by benches/e2e_load.py with the same load. Prints ack latency and throughput side by side.
#
#   benches/e2e_compare.sh [--requests 2000] [--concurrency 8] [--warmup 100] [--no-build]
#                          [--consumers]     # also time ours with the bot/handoff consumers on
#                          [--no-drain]      # let the queues fill (moto slows as they grow)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

REQUESTS=2000
CONCURRENCY=8
WARMUP=100
BUILD=1
CONSUMERS=0
DRAIN=1
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --consumers) CONSUMERS=1; shift ;;
    --no-drain) DRAIN=0; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown flag $1; try --help" >&2; exit 2 ;;
  esac
done

log() { printf '[e2e] %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

PYTHON="$ROOT/.local/venv/bin/python"
[ -x "$PYTHON" ] || bash infra/tools.sh emulators
"$PYTHON" -c 'import boto3' || { echo "[e2e] boto3 missing in .local/venv; run bash infra/tools.sh all" >&2; exit 1; }

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
RUNNER="$TARGET/release/helpdesk-local"
if [ "$BUILD" = 1 ]; then
  log "building helpdesk-local (release)"
  cargo build --release -q -p helpdesk-local
fi
[ -x "$RUNNER" ] || { echo "[e2e] $RUNNER missing; run without --no-build" >&2; exit 1; }

OUT="$(mktemp -d)"
SERVER_PID=""
STARTED_EMULATORS=0
DRAIN_PID=""
cleanup() {
  set +e
  for pid in $SERVER_PID $DRAIN_PID; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  [ "$STARTED_EMULATORS" = 1 ] && bash infra/emulators.sh stop
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! bash infra/emulators.sh status >/dev/null 2>&1; then
  bash infra/emulators.sh start >/dev/null
  STARTED_EMULATORS=1
fi
# shellcheck disable=SC1091
. .local/emulators.env
export AWS_ENDPOINT_URL="$HELPDESK_TEST_MOTO_URL" AWS_ENDPOINT_URL_DYNAMODB="$HELPDESK_TEST_DYNAMODB_URL"
export AWS_REGION=eu-central-1 AWS_DEFAULT_REGION=eu-central-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
SECRET="e2e-app-secret"
RUN="$(date +%s)"

wait_for_port() { # port pid name
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/webhook"; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "[e2e] $3 exited; see .local/logs/e2e-$3.log" >&2; tail -20 ".local/logs/e2e-$3.log" >&2; return 1; }
    sleep 0.2
  done
  echo "[e2e] $3 did not listen on :$1" >&2
  return 1
}

stop_server() {
  for pid in $SERVER_PID $DRAIN_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  SERVER_PID="" DRAIN_PID=""
}

drain() { # queue URL (not for the run with our consumers: they drain it)
  [ "$DRAIN" = 1 ] || return 0
  "$PYTHON" benches/e2e_drain.py "$1" >>".local/logs/e2e-drain.log" 2>&1 &
  DRAIN_PID=$!
}

load() { # port label
  local n=$(( $(ls "$OUT" | wc -l) + 1 ))
  log "driving $2: $WARMUP warm-up + $REQUESTS requests, concurrency $CONCURRENCY"
  python3 benches/e2e_load.py --url "http://127.0.0.1:$1/webhook" --secret "$SECRET" \
    --requests "$REQUESTS" --concurrency "$CONCURRENCY" --warmup "$WARMUP" \
    --run-id $(( (RUN + n) % 10000 )) --label "$2" --json-out "$OUT/$n.json" >/dev/null || true
}

ours() { # prefix label consumers(on|off)
  log "provisioning set $1"
  local env; env="$("$RUNNER" provision --prefix "$1")"
  local port; port="$(free_port)"
  (
    eval "$env"
    export WHATSAPP_APP_SECRET="$SECRET" WHATSAPP_VERIFY_TOKEN="bench-verify-token" HELPDESK_METRICS=off HELPDESK_LOCAL_CONSUMERS="$3"
    exec "$RUNNER" --aws --listen "127.0.0.1:$port"
  ) >".local/logs/e2e-ours.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$port" "$SERVER_PID" ours
  [ "$3" = on ] || drain "$(eval "$env"; echo "$HELPDESK_INBOUND_QUEUE_URL")"
  load "$port" "$2"
  stop_server
}

python_reference() { # prefix label
  log "provisioning set $1"
  local env; env="$("$RUNNER" provision --prefix "$1")"
  local port; port="$(free_port)"
  (
    eval "$env"
    exec "$PYTHON" benches/reference/intake_reference.py --listen "127.0.0.1:$port" --secret "$SECRET" \
      --table "$HELPDESK_TABLE" --queue-url "$HELPDESK_INBOUND_QUEUE_URL" --pool $(( CONCURRENCY * 2 ))
  ) >".local/logs/e2e-python.log" 2>&1 &
  SERVER_PID=$!
  wait_for_port "$port" "$SERVER_PID" python
  drain "$(eval "$env"; echo "$HELPDESK_INBOUND_QUEUE_URL")"
  load "$port" "$2"
  stop_server
}

mkdir -p .local/logs
ours A "ours (Rust, consumers off)" off
python_reference B "Python + boto3"
if [ "$CONSUMERS" = 1 ]; then
  ours C "ours (Rust, consumers on)" on
fi

echo
echo "End to end on moto $(.local/venv/bin/python -c 'import moto; print(moto.__version__)') + DynamoDB Local," \
  "$REQUESTS requests (1 message each, distinct customers) after $WARMUP warm-up, concurrency $CONCURRENCY:"
echo
python3 benches/e2e_load.py --table $(ls "$OUT"/*.json | sort -V)
