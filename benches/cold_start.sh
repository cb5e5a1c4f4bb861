#!/usr/bin/env bash
# Size and cold start of every Lambda function in functions/ (issue 7).
#
#   benches/cold_start.sh [--runs N] [--no-build]
#   benches/cold_start.sh --arm64 [--no-build]     # sizes of the arm64 build Lambda runs
#
# Builds the release binaries (profile.release: strip, lto, codegen-units = 1), reports each
# binary's stripped size and its zipped size (what Lambda stores), and times each binary from
# process start to its first handled request against a local fake Lambda Runtime API
# (benches/cold_start_probe.py): webhook-intake answers Meta's GET verification through an API
# Gateway HTTP API v2 event, the SQS consumers an SQS event with no records.
#
# Secrets are given two ways: as plain values, and as `ssm:` references like template.yaml
# (the probe answers SSM GetParameter on loopback, so that row shows the cost of the code path,
# not of the network). No function calls DynamoDB at init (agent-handoff no longer seeds agents).
# Machine: whatever this runs on, x86_64 here. Lambda runs the arm64 build: `--arm64`
# builds that with cargo-lambda (Zig as the cross linker; `pip install cargo-lambda` and
# `rustup target add aarch64-unknown-linux-gnu`) and reports sizes only, as arm64 binaries do
# not run on this machine.
set -euo pipefail

runs=7
build=1
arm64=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --arm64) arm64=1; shift ;;
        *) echo "usage: $0 [--runs N] [--no-build] [--arm64]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
size_goal=$((8 * 1024 * 1024))

# Every function crate and its binary, and whether it is an HTTP function (lambda_http).
metadata="$(cargo metadata --no-deps --format-version 1)"
functions="$(printf '%s' "$metadata" | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
root = os.path.join(meta["workspace_root"], "functions") + os.sep
for p in sorted(meta["packages"], key=lambda p: p["name"]):
    if not p["manifest_path"].startswith(root):
        continue
    http = any(d["name"] == "lambda_http" for d in p["dependencies"])
    for t in p["targets"]:
        if "bin" in t["kind"]:
            print(p["name"], t["name"], "http" if http else "sqs")
')"
target_dir="${CARGO_TARGET_DIR:-$(printf '%s' "$metadata" | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"

packages=()
while read -r package _ _; do packages+=(-p "$package"); done <<< "$functions"

# Bytes of `bootstrap` zipped as Lambda stores it.
zipped_size() {
    python3 -c '
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buf.getvalue()))' "$1"
}

if [ "$arm64" = 1 ]; then
    if [ "$build" = 1 ]; then
        cargo_lambda="$(command -v cargo-lambda || echo "$HOME/.local/bin/cargo-lambda")"
        if [ ! -x "$cargo_lambda" ]; then
            echo "cargo-lambda is not installed: python3 -m pip install --user cargo-lambda" >&2
            exit 1
        fi
        echo "building ${packages[*]} (release, arm64, cargo-lambda) ..." >&2
        nice -n 10 "$cargo_lambda" lambda build --release --arm64 --locked "${packages[@]}" >&2
    fi
    printf '\narm64 (aarch64-unknown-linux-gnu), release profile, as uploaded\n'
    printf '%-16s %10s %8s %6s %9s\n' function "bytes" "MiB" "≤8MiB?" "zip MiB"
    while read -r _ binary _; do
        path="$target_dir/lambda/$binary/bootstrap"
        if [ ! -f "$path" ]; then
            printf '%-16s missing %s (build failed?)\n' "$binary" "$path"
            continue
        fi
        bytes=$(stat -c %s "$path")
        python3 -c '
import sys
name, size, zipped, goal = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = "yes" if size <= goal else "no"
print(f"{name:<16} {size:>10} {size / 2**20:>8.2f} {ok:>6} {zipped / 2**20:>9.2f}")
' "$binary" "$bytes" "$(zipped_size "$path")" "$size_goal"
    done <<< "$functions"
    exit 0
fi

if [ "$build" = 1 ]; then
    echo "building ${packages[*]} (release) ..." >&2
    nice -n 10 cargo build --release --locked "${packages[@]}" >&2
fi

# The union of what the functions read (shared/src/platform/config/); each ignores the rest.
queue="https://sqs.eu-central-1.amazonaws.com/000000000000"
arn="arn:aws:sqs:eu-central-1:000000000000"
common_env=(
    --env HELPDESK_TABLE=helpdesk
    --env "HELPDESK_INBOUND_QUEUE_URL=$queue/helpdesk-inbound.fifo"
    --env "HELPDESK_HANDOFF_QUEUE_URL=$queue/helpdesk-handoff.fifo"
    --env HELPDESK_SCHEDULE_GROUP=helpdesk-sla
    --env "HELPDESK_SLA_QUEUE_ARN=$arn:helpdesk-sla-events"
    --env "HELPDESK_SCHEDULER_ROLE_ARN=arn:aws:iam::000000000000:role/helpdesk-scheduler"
    --env "HELPDESK_SLA_TOPIC_ARN=arn:aws:sns:eu-central-1:000000000000:helpdesk-sla-alerts"
    --env HELPDESK_CONVERSATION_WINDOW_HOURS=24
    --env WHATSAPP_API_VERSION=v23.0
)
plain_secrets=(
    --env WHATSAPP_APP_SECRET=probe-app-secret
    --env WHATSAPP_VERIFY_TOKEN=probe-verify-token
    --env WHATSAPP_ACCESS_TOKEN=probe-access-token
)
# As deployed: the probe answers GetParameter with "probe-" + the last path segment.
ssm_secrets=(
    --env WHATSAPP_APP_SECRET=ssm:/helpdesk/whatsapp/app-secret
    --env WHATSAPP_VERIFY_TOKEN=ssm:/helpdesk/whatsapp/verify-token
    --env WHATSAPP_ACCESS_TOKEN=ssm:/helpdesk/whatsapp/access-token
)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

printf '\n%s, %s cpus, %s runs per row (median, min-max in ms)\n' \
    "$(uname -m)" "$(nproc)" "$runs"
printf '%-16s %10s %6s %9s %-7s %-8s %8s %14s %20s %s\n' \
    function "size MB" "≤8MB?" "zip MB" secrets event "init ms" "first resp ms" "min-max" "aws calls at init / status"
while read -r package binary kind; do
    path="$target_dir/release/$binary"
    if [ ! -x "$path" ]; then
        printf '%-16s missing %s (build failed?)\n' "$package" "$path"
        continue
    fi
    cp "$path" "$scratch/bootstrap"
    strip "$scratch/bootstrap" 2>/dev/null || true
    bytes=$(stat -c %s "$scratch/bootstrap")
    zip_bytes=$(zipped_size "$scratch/bootstrap")
    size_ok=$([ "$bytes" -le "$size_goal" ] && echo yes || echo no)
    event=$([ "$kind" = http ] && echo http-verification || echo sqs-empty)
    for secrets in plain ssm; do
        if [ "$secrets" = plain ]; then env_args=("${plain_secrets[@]}"); else env_args=("${ssm_secrets[@]}"); fi
        if result="$(python3 benches/cold_start_probe.py --binary "$scratch/bootstrap" --event "$event" \
            --runs "$runs" "${common_env[@]}" "${env_args[@]}")"; then
            ok=1
        else
            ok=0
        fi
        printf '%s' "$result" | python3 -c '
import collections, json, sys
r = json.load(sys.stdin)
package, size, size_ok, zipped, secrets, event, ok = sys.argv[1:]
calls = collections.Counter(c.split(".")[-1] for c in r["aws_calls"])
calls = ", ".join(f"{n}× {op}" for op, n in sorted(calls.items())) or "none"
head = f"{package:<16} {int(size) / 2**20:>10.2f} {size_ok:>6} {int(zipped) / 2**20:>9.2f} {secrets:<7} {event[:8]:<8}"
if ok == "1":
    init, first, status = r["init_ms"]["median"], r["first_response_ms"], r["status"]
    low, high, median = first["min"], first["max"], first["median"]
    print(f"{head} {init:>8.1f} {median:>14.1f} {low:>9.1f}-{high:<9.1f} {calls} / {status}")
else:
    failure = r["failure"][:200]
    print(f"{head} FAILED: {failure} (aws calls: {calls})")
    for line in r.get("stderr", "").splitlines()[-5:]:
        print("    " + line)
' "$package" "$bytes" "$size_ok" "$zip_bytes" "$secrets" "$event" "$ok"
    done
done <<< "$functions"
