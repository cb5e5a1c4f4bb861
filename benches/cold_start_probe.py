#!/usr/bin/env python3
"""Times a Lambda function binary from process start to its first handled invocation, locally.

Plays the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) for one invocation: serves one
`GET /2018-06-01/runtime/invocation/next` with the event, and notes when
`POST /2018-06-01/runtime/invocation/<id>/response` arrives. The same server answers the AWS
calls a function makes at init (AWS_ENDPOINT_URL points at it): SSM GetParameter for `ssm:`
secrets, DynamoDB Query (empty) and PutItem; each is counted, none is slowed down, so the
figures leave out the network round trips a real init pays.

    python3 benches/cold_start_probe.py --binary target/release/bot-reply --event sqs-empty \
        --env HELPDESK_TABLE=helpdesk ... [--runs 7]

Prints one JSON object: median, min and max milliseconds from spawn to the first
`GET .../next` (init) and to the response (first handled request), the status the function
answered, and the AWS calls it made before answering.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
FUNCTION_ARN = "arn:aws:lambda:eu-central-1:000000000000:function:cold-start-probe"


def http_api_verification(verify_token: str) -> dict:
    """API Gateway HTTP API (payload 2.0): Meta's GET /webhook subscription check."""
    query = f"hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=1158201444"
    return {
        "version": "2.0",
        "routeKey": "GET /webhook",
        "rawPath": "/webhook",
        "rawQueryString": query,
        "headers": {"host": "abc123.execute-api.eu-central-1.amazonaws.com", "user-agent": "facebookplatform/1.0"},
        "queryStringParameters": {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": "1158201444",
        },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "GET",
                "path": "/webhook",
                "protocol": "HTTP/1.1",
                "sourceIp": "173.252.127.1",
                "userAgent": "facebookplatform/1.0",
            },
            "requestId": "cold-start-probe",
            "routeKey": "GET /webhook",
            "stage": "$default",
            "time": "25/Nov/2025:19:00:00 +0000",
            "timeEpoch": 1764097200000,
        },
        "isBase64Encoded": False,
    }


class Probe:
    """What the fake Runtime API and AWS endpoint saw during one run."""

    def __init__(self, event: bytes):
        self.event = event
        self.served = False
        self.next_at = None
        self.response_at = None
        self.response = None
        self.error = None
        self.aws_calls = []
        self.done = threading.Event()
        self.lock = threading.Lock()


def handler_for(probe: Probe):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status: int, body: bytes, headers=None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            if self.path != "/2018-06-01/runtime/invocation/next":
                return self.reply(404, b"{}")
            with probe.lock:
                first = not probe.served
                probe.served = True
                if first:
                    probe.next_at = time.perf_counter()
            if not first:
                probe.done.wait(30)  # the runtime asks for the next event: none comes
                return self.reply(500, b"{}")
            deadline = int(time.time() * 1000) + 30_000
            self.reply(
                200,
                probe.event,
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": REQUEST_ID,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                    "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
                },
            )

        def do_POST(self):
            body = self.body()
            target = self.headers.get("X-Amz-Target")
            if target:
                return self.aws(target, body)
            if self.path.endswith("/response"):
                probe.response_at = time.perf_counter()
                probe.response = body
            elif self.path.endswith("/error"):
                probe.error = f"{self.path}: {body.decode(errors='replace')}"
            else:
                return self.reply(404, b"{}")
            self.reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
            probe.done.set()

        def aws(self, target: str, body: bytes):
            probe.aws_calls.append(target)
            service, _, operation = target.partition(".")
            if operation == "GetParameter":
                name = json.loads(body)["Name"]
                answer = {"Parameter": {"Name": name, "Type": "SecureString", "Value": "probe-" + name.rsplit("/", 1)[-1], "Version": 1}}
            elif operation == "Query":
                answer = {"Count": 0, "ScannedCount": 0, "Items": []}
            else:
                answer = {}
            content_type = "application/x-amz-json-1.0" if service.startswith("DynamoDB") else "application/x-amz-json-1.1"
            self.reply(200, json.dumps(answer).encode(), {"Content-Type": content_type, "x-amzn-RequestId": "probe"})

    return Handler


class QuietServer(ThreadingHTTPServer):
    """Killing the function drops its second `GET .../next`: that is expected, not an error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def run_once(binary: str, env: dict, event: bytes) -> dict:
    probe = Probe(event)
    server = QuietServer(("127.0.0.1", 0), handler_for(probe))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"127.0.0.1:{server.server_address[1]}"
    process_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": address,
        "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(binary),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + os.path.basename(binary),
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/11/25/[$LATEST]probe",
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "probe-access-key-id",  # not a real key: the probe answers locally
        "AWS_SECRET_ACCESS_KEY": "probe-secret-access-key",
        "AWS_SESSION_TOKEN": "probe-session-token",
        "AWS_ENDPOINT_URL": f"http://{address}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "RUST_LOG": "info",
        **env,
    }
    start = time.perf_counter()
    process = subprocess.Popen([binary], env=process_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = probe.done.wait(30)
    process.kill()
    _, stderr = process.communicate()
    server.shutdown()
    server.server_close()
    result = {"aws_calls": probe.aws_calls}
    if not finished or probe.error or probe.response_at is None:
        result["failure"] = probe.error or ("no response within 30 s" if not finished else "no response")
        result["stderr"] = stderr.decode(errors="replace")[-2000:]
        return result
    result["init_ms"] = (probe.next_at - start) * 1000
    result["first_response_ms"] = (probe.response_at - start) * 1000
    try:
        response = json.loads(probe.response)
        result["status"] = response.get("statusCode", "batch" if "batchItemFailures" in response else "?")
    except ValueError:
        result["status"] = "?"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--event", choices=["http-verification", "sqs-empty"], required=True)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--verify-token", default="probe-verify-token")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(pair.split("=", 1) for pair in args.env)
    if args.event == "http-verification":
        event = http_api_verification(args.verify_token)
    else:
        event = {"Records": []}
    event = json.dumps(event).encode()

    runs = [run_once(args.binary, env, event) for _ in range(args.runs)]
    failed = [r for r in runs if "failure" in r]
    if failed:
        json.dump({"binary": args.binary, "failure": failed[0]["failure"], "stderr": failed[0].get("stderr", ""), "aws_calls": failed[0]["aws_calls"]}, sys.stdout)
        print()
        return 1
    summary = {"binary": args.binary, "runs": len(runs), "status": runs[0]["status"], "aws_calls": runs[0]["aws_calls"]}
    for key in ("init_ms", "first_response_ms"):
        values = [r[key] for r in runs]
        summary[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    json.dump(summary, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
