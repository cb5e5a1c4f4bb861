#!/usr/bin/env python3
"""A WhatsApp webhook handler written the way the AWS samples write it, as the yardstick for
our Rust intake (issue 7). It does what `helpdesk::webhook::{SignatureVerifier, plan}` do before
the first I/O: check `X-Hub-Signature-256` (HMAC-SHA256 hex of the raw body, compared with
hmac.compare_digest), json.loads the body, walk entry[].changes[].value and collect each
message's wamid/from/timestamp/type/text and each status, grouped by conversation.

It validates less than our plan does (no id syntax checks, no typed content for every message
type), so the comparison flatters Python slightly.

    python3 benches/reference/webhook_reference.py --secret S [--min-time 1.0] BODY...

Each BODY file sits next to BODY.sig holding the header value (`sha256=<hex>`). Prints one JSON
object on stdout: per body, microseconds per webhook for the whole handler and for the
signature check alone (best of --rounds rounds, each at least --min-time seconds long).
"""

import argparse
import hashlib
import hmac
import json
import platform
import sys
import time

PREFIX = "sha256="


class Rejected(Exception):
    """The request is refused: 401 for a bad signature, 400 for a bad body."""


def verify_signature(app_secret: bytes, header: str, body: bytes) -> None:
    if not header or not header.startswith(PREFIX):
        raise Rejected("missing or malformed X-Hub-Signature-256")
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header[len(PREFIX):]):
        raise Rejected("signature mismatch")


def plan(body: bytes) -> dict:
    """Messages grouped by (phone_number_id, wa_id), and delivery statuses."""
    doc = json.loads(body)
    if doc.get("object") != "whatsapp_business_account":
        raise Rejected("not a WhatsApp Business Account notification")
    conversations = {}
    statuses = []
    for entry in doc.get("entry", []):
        for change in entry.get("changes", []):
            if change.get("field") != "messages":
                continue
            value = change["value"]
            phone_number_id = value["metadata"]["phone_number_id"]
            names = {
                c["wa_id"]: c.get("profile", {}).get("name")
                for c in value.get("contacts", [])
            }
            for m in value.get("messages", []):
                sender = m["from"]
                message = {
                    "wamid": m["id"],
                    "from": sender,
                    "timestamp": int(m["timestamp"]),
                    "type": m.get("type"),
                    "text": m.get("text", {}).get("body"),
                }
                key = (phone_number_id, sender)
                conversation = conversations.get(key)
                if conversation is None:
                    conversation = conversations[key] = {
                        "profile_name": names.get(sender),
                        "messages": [],
                    }
                conversation["messages"].append(message)
            for s in value.get("statuses", []):
                statuses.append(
                    {
                        "wamid": s["id"],
                        "status": s["status"],
                        "timestamp": int(s["timestamp"]),
                        "recipient": s.get("recipient_id"),
                    }
                )
    for conversation in conversations.values():
        conversation["messages"].sort(key=lambda m: (m["timestamp"], m["wamid"]))
    return {"conversations": conversations, "statuses": statuses}


def handle(app_secret: bytes, header: str, body: bytes) -> dict:
    verify_signature(app_secret, header, body)
    return plan(body)


def time_per_call(call, min_time: float, rounds: int) -> tuple[float, int]:
    """Best-of-rounds seconds per call, and the iterations in one round."""
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time / 10 or iterations >= 1 << 24:
            break
        iterations *= 2
    iterations = max(1, int(iterations * (min_time / max(elapsed, 1e-9))))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            call()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best, iterations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the app secret the bodies were signed with")
    parser.add_argument("--min-time", type=float, default=1.0, help="seconds per timing round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("bodies", nargs="+")
    args = parser.parse_args()
    secret = args.secret.encode()

    cases = []
    for path in args.bodies:
        with open(path, "rb") as f:
            body = f.read()
        with open(path + ".sig", encoding="ascii") as f:
            header = f.read().strip()
        result = handle(secret, header, body)  # also proves the handler accepts the body
        messages = sum(len(c["messages"]) for c in result["conversations"].values())
        whole, iterations = time_per_call(lambda: handle(secret, header, body), args.min_time, args.rounds)
        verify, _ = time_per_call(lambda: verify_signature(secret, header, body), args.min_time, args.rounds)
        cases.append(
            {
                "file": path,
                "bytes": len(body),
                "messages": messages,
                "iterations": iterations,
                "us_per_webhook": whole * 1e6,
                "verify_us_per_webhook": verify * 1e6,
            }
        )
    json.dump(
        {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "cases": cases,
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
