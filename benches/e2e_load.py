#!/usr/bin/env python3
"""Load for the end-to-end intake comparison (issue 7, benches/e2e_compare.sh): POSTs signed
WhatsApp webhooks, one text message each from a distinct customer with a distinct wamid, to a
webhook URL from C threads (one keep-alive connection each) and reports the ack latency
(request written to response read) and throughput. The warm-up requests (also distinct) are not
counted. Standard library only.

    python3 benches/e2e_load.py --url http://127.0.0.1:8080/webhook --secret S \
        [--requests 2000] [--concurrency 8] [--warmup 100] [--label ours] [--json-out FILE]
    python3 benches/e2e_load.py --table A.json B.json ...   # the side-by-side table
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

PHONE_NUMBER_ID = "106540352242922"
TEXT = "Hallo, wo ist mein Paket? Bestellnummer 100234, bestellt am Montag."


def body_for(run: int, i: int, now: int) -> bytes:
    """Meta's shape (as `helpdesk::webhook::sample::text_notification`): customer `49<run><i>`."""
    wa_id = f"49{run:04d}{i:08d}"
    wamid = f"wamid.HBgN{wa_id}FQIAEhgUM0E{run:04d}{i:08d}AA="
    doc = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "4930123456789", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Kundin Beispiel"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(now), "type": "text",
                          "text": {"body": TEXT}}],
        }}]}],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def percentile(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    k = (len(sorted_ms) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (k - lo)


def drive(url, secret, bodies, concurrency):
    """Sends every body once; returns (latencies ms of 200s, error count, first errors, seconds)."""
    target = urllib.parse.urlsplit(url)
    path = target.path or "/"
    lock = threading.Lock()
    next_index = [0]
    latencies, errors, samples = [], [0], []

    def worker():
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        mine = []
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(bodies):
                break
            body = bodies[i]
            signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
            start = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                reply = response.read()
                elapsed = (time.perf_counter() - start) * 1e3
                if response.status == 200:
                    mine.append(elapsed)
                else:
                    with lock:
                        errors[0] += 1
                        if len(samples) < 3:
                            samples.append(f"{response.status} {reply[:200]!r}")
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                with lock:
                    errors[0] += 1
                    if len(samples) < 3:
                        samples.append(repr(e))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], samples, time.perf_counter() - started


def run(args):
    secret = args.secret.encode()
    run_id = args.run_id if args.run_id is not None else (os.getpid() * 7919 + int(time.time())) % 10000
    now = int(time.time())
    total = args.warmup + args.requests
    bodies = [body_for(run_id, i, now) for i in range(total)]
    if args.warmup:
        drive(args.url, secret, bodies[:args.warmup], args.concurrency)
    latencies, errors, samples, seconds = drive(args.url, secret, bodies[args.warmup:], args.concurrency)
    latencies.sort()
    result = {
        "label": args.label,
        "url": args.url,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "ok": len(latencies),
        "errors": errors,
        "error_samples": samples,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "seconds": seconds,
        "throughput_rps": len(latencies) / seconds if seconds else 0.0,
    }
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f)
    print(json.dumps(result))
    return 0 if errors == 0 else 1


def table(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            rows.append(json.load(f))
    print("| intake | requests | errors | ack p50 ms | p95 ms | p99 ms | max ms | req/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['label']} | {r['requests']} | {r['errors']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['throughput_rps']:.0f} |")
    for r in rows:
        for s in r.get("error_samples", []):
            print(f"  {r['label']} error: {s}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--secret")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=100, help="requests sent first and not counted")
    parser.add_argument("--label", default="intake")
    parser.add_argument("--run-id", type=int, help="0-9999, part of every wa_id and wamid (default: random)")
    parser.add_argument("--json-out")
    parser.add_argument("--table", nargs="+", metavar="RESULT_JSON", help="print the table of earlier runs")
    args = parser.parse_args()
    if args.table:
        return table(args.table)
    if not args.url or not args.secret:
        parser.error("--url and --secret are required")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
