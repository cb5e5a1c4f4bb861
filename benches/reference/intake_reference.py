#!/usr/bin/env python3
"""A WhatsApp webhook intake written the way the AWS samples write one, as the end-to-end
yardstick for our Rust intake (issue 7): an HTTP server that checks `X-Hub-Signature-256`,
json.loads the body, walks entry[].changes[].value.messages[] and, per message, does the same
DynamoDB and SQS work as `helpdesk::intake::Intake` with `DynamoStore` and `SqsQueue`:

  1. GetItem `WAMID#<wamid>`/`SEEN` (consistent): a known message is a duplicate;
  2. GetItem `CONV#<phone>#<wa_id>`/`OPEN` (consistent): the open conversation, if any;
  3. one TransactWriteItems of four items, as `open_ticket` / `append_inbound` in
     shared/src/ports/store/dynamo.rs:
       - new ticket: idempotency record, conversation, ticket and message, each
         `attribute_not_exists(PK)` (the conversation `ticket_id = :old` when it replaces a
         ticket whose window closed);
       - joining the open ticket: idempotency record (`attribute_not_exists(PK)`), conversation
         update (`ticket_id = :tid AND last_customer_at = :read`) or condition check,
         ticket update (`attribute_exists(PK)`, `ADD inbound_count :one`), message put;
     a cancellation on the idempotency record means duplicate, any other means read again;
  4. per conversation with a profile name: UpdateItem `CUST#<wa_id>`/`PROFILE` (conditional);
  5. SendMessageBatch to the inbound FIFO queue (group `<phone>#<wa_id>`, dedup id the wamid,
     the same JSON body), then UpdateItem `SET enqueued = :yes` on each idempotency record.

It answers 200 when all of that worked, 503 otherwise (so Meta would deliver again). Statuses are
not applied (the benchmark sends none). Simplified against ours: no id syntax checks, no typed
content for types other than text, conversations handled one after another and not 16 at once.

    .local/venv/bin/python benches/reference/intake_reference.py --listen 127.0.0.1:8090 \
        --secret S --table T --queue-url URL     # endpoints from AWS_ENDPOINT_URL(_DYNAMODB)

boto3 is the only dependency outside the standard library (the moto venv has it).
"""

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PREFIX = "sha256="
WINDOW = timedelta(hours=24)  # HELPDESK_CONVERSATION_WINDOW_HOURS default
RETENTION = timedelta(days=365)  # DEFAULT_RETENTION of message items
SEEN_RETENTION = timedelta(days=8)  # SEEN_RETENTION of idempotency records
MAX_ATTEMPTS = 8
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Rejected(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code = status, code


def sortable_time(t: datetime) -> str:
    """`sortable_time` of shared/src/ports/store/mod.rs: fixed width, millisecond precision, UTC."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ulid(now: datetime) -> str:
    value = (int(now.timestamp() * 1000) << 80) | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


class Intake:
    def __init__(self, table: str, queue_url: str, secret: bytes, pool: int):
        config = Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 3})
        dynamodb_url = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
        self.dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_url, config=config)
        self.sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), config=config)
        self.table, self.queue_url, self.secret = table, queue_url, secret

    # --- the webhook -----------------------------------------------------------------------

    def handle(self, header: str, body: bytes) -> dict:
        if not header or not header.startswith(PREFIX):
            raise Rejected(401, "invalid_signature", "missing or malformed X-Hub-Signature-256")
        expected = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, header[len(PREFIX):]):
            raise Rejected(401, "invalid_signature", "signature mismatch")
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise Rejected(400, "invalid_payload", str(e))
        if doc.get("object") != "whatsapp_business_account":
            raise Rejected(400, "invalid_payload", "not a WhatsApp Business Account notification")

        conversations = {}  # (phone_number_id, wa_id) -> {"profile": name, "messages": [...]}
        statuses = 0
        for entry in doc.get("entry", []):
            for change in entry.get("changes", []):
                if change.get("field") != "messages":
                    continue
                value = change["value"]
                phone = value["metadata"]["phone_number_id"]
                names = {c["wa_id"]: c.get("profile", {}).get("name") for c in value.get("contacts", [])}
                for m in value.get("messages", []):
                    conversation = conversations.setdefault(
                        (phone, m["from"]), {"profile": names.get(m["from"]), "messages": []}
                    )
                    conversation["messages"].append(m)
                statuses += len(value.get("statuses", []))

        pending = []
        messages = 0
        for key, conversation in conversations.items():
            conversation["messages"].sort(key=lambda m: (int(m["timestamp"]), m["id"]))
            messages += len(conversation["messages"])
            pending.extend(self.store_conversation(key, conversation))
        self.enqueue(pending)
        return {"status": "received", "messages": messages, "statuses": statuses}

    # --- storing ---------------------------------------------------------------------------

    def store_conversation(self, key, conversation):
        pending = []
        known = None
        for m in conversation["messages"]:
            outcome, known = self.store_message(key, conversation["profile"], m, known)
            if outcome is not None:
                pending.append(outcome)
        if conversation["profile"]:
            at = sortable_time(datetime.now(timezone.utc))
            try:
                self.dynamodb.update_item(
                    TableName=self.table,
                    Key={"PK": S(f"CUST#{key[1]}"), "SK": S("PROFILE")},
                    UpdateExpression="SET entity = :entity, wa_id = :wa_id, profile_name = :name, updated_at = :at",
                    ConditionExpression="attribute_not_exists(updated_at) OR updated_at <= :at",
                    ExpressionAttributeValues={
                        ":entity": S("customer"), ":wa_id": S(key[1]),
                        ":name": S(conversation["profile"]), ":at": S(at),
                    },
                )
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        return pending

    def store_message(self, key, profile, m, known):
        """Returns (queue entry or None for a duplicate already queued, the conversation now)."""
        phone, wa_id = key
        wamid = m["id"]
        sent_at = datetime.fromtimestamp(int(m["timestamp"]), timezone.utc)
        for _ in range(MAX_ATTEMPTS):
            seen = self.dynamodb.get_item(
                TableName=self.table, Key={"PK": S(f"WAMID#{wamid}"), "SK": S("SEEN")}, ConsistentRead=True
            ).get("Item")
            if seen is not None:
                if seen.get("enqueued", {}).get("BOOL"):
                    return None, known
                return self.queue_entry(key, wamid, seen["ticket_id"]["S"], seen["sent_at"]["S"], False), known
            if known is None:
                item = self.dynamodb.get_item(
                    TableName=self.table, Key={"PK": S(f"CONV#{phone}#{wa_id}"), "SK": S("OPEN")}, ConsistentRead=True
                ).get("Item")
                known = item and {
                    "ticket_id": item["ticket_id"]["S"],
                    "opened_at": item["opened_at"]["S"],
                    "last_customer_at": item["last_customer_at"]["S"],
                }
            now = datetime.now(timezone.utc)
            joins = known is not None and sent_at <= parse_time(known["last_customer_at"]) + WINDOW
            ticket_id = known["ticket_id"] if joins else ulid(now)
            record = message_items(ticket_id, wamid, m, profile, sent_at, now)
            if joins:
                items, check_ticket = self.append_items(key, known, ticket_id, record, sent_at, now), True
            else:
                items, check_ticket = self.open_items(key, known, ticket_id, record, m, profile, sent_at, now), False
            try:
                self.dynamodb.transact_write_items(TransactItems=items)
            except ClientError as e:
                if e.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                codes = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
                if codes and codes[0] == "ConditionalCheckFailed":
                    known = None  # a duplicate: the next round reads its idempotency record
                    continue
                if check_ticket and len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                    raise RuntimeError(f"conversation points at missing ticket {ticket_id}")
                known = None
                continue
            last = sent_at if not joins else max(sent_at, parse_time(known["last_customer_at"]))
            known = {
                "ticket_id": ticket_id,
                "opened_at": known["opened_at"] if joins else sortable_time(now),
                "last_customer_at": sortable_time(last),
            }
            return self.queue_entry(key, wamid, ticket_id, sortable_time(sent_at), not joins), known
        raise RuntimeError(f"conversation of message {wamid} is contended")

    def open_items(self, key, known, ticket_id, record, m, profile, sent_at, now):
        phone, wa_id = key
        conversation = {
            "PK": S(f"CONV#{phone}#{wa_id}"), "SK": S("OPEN"), "entity": S("conversation"),
            "ticket_id": S(ticket_id), "opened_at": S(sortable_time(now)),
            "last_customer_at": S(sortable_time(sent_at)),
        }
        if known is None:
            conversation_put = {"Put": {"TableName": self.table, "Item": conversation,
                                        "ConditionExpression": "attribute_not_exists(PK)"}}
        else:
            conversation_put = {"Put": {"TableName": self.table, "Item": conversation,
                                        "ConditionExpression": "ticket_id = :old",
                                        "ExpressionAttributeValues": {":old": S(known["ticket_id"])}}}
        ticket = {
            "PK": S(f"TICKET#{ticket_id}"), "SK": S("META"), "entity": S("ticket"),
            "ticket_id": S(ticket_id), "phone_number_id": S(phone), "wa_id": S(wa_id),
            "status": S("bot"), "created_at": S(sortable_time(now)), "updated_at": S(sortable_time(now)),
            "opened_by": S(m["id"]), "last_inbound_at": S(sortable_time(sent_at)),
            "inbound_count": N(1), "version": N(1), "resolved_by_bot": {"BOOL": False},
            "queue_key": S("bot#-"),
        }
        if profile:
            ticket["customer_name"] = S(profile)
        seen, message = record
        return [
            {"Put": {"TableName": self.table, "Item": seen, "ConditionExpression": "attribute_not_exists(PK)"}},
            conversation_put,
            {"Put": {"TableName": self.table, "Item": ticket, "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self.table, "Item": message, "ConditionExpression": "attribute_not_exists(PK)"}},
        ]

    def append_items(self, key, known, ticket_id, record, sent_at, now):
        phone, wa_id = key
        conversation_key = {"PK": S(f"CONV#{phone}#{wa_id}"), "SK": S("OPEN")}
        advances = sent_at > parse_time(known["last_customer_at"])
        if advances:
            conversation_item = {"Update": {
                "TableName": self.table, "Key": conversation_key,
                "UpdateExpression": "SET last_customer_at = :new",
                "ConditionExpression": "ticket_id = :tid AND last_customer_at = :read",
                "ExpressionAttributeValues": {":new": S(sortable_time(sent_at)), ":tid": S(ticket_id),
                                              ":read": S(known["last_customer_at"])},
            }}
        else:
            conversation_item = {"ConditionCheck": {
                "TableName": self.table, "Key": conversation_key,
                "ConditionExpression": "ticket_id = :tid",
                "ExpressionAttributeValues": {":tid": S(ticket_id)},
            }}
        update = "SET updated_at = :now, version = version + :one"
        values = {":now": S(sortable_time(now)), ":one": N(1)}
        if advances:
            update += ", last_inbound_at = :last"
            values[":last"] = S(sortable_time(sent_at))
        seen, message = record
        return [
            {"Put": {"TableName": self.table, "Item": seen, "ConditionExpression": "attribute_not_exists(PK)"}},
            conversation_item,
            {"Update": {"TableName": self.table,
                        "Key": {"PK": S(f"TICKET#{ticket_id}"), "SK": S("META")},
                        "UpdateExpression": update + " ADD inbound_count :one",
                        "ConditionExpression": "attribute_exists(PK)",
                        "ExpressionAttributeValues": values}},
            {"Put": {"TableName": self.table, "Item": message, "ConditionExpression": "attribute_not_exists(PK)"}},
        ]

    # --- queueing --------------------------------------------------------------------------

    def queue_entry(self, key, wamid, ticket_id, sent_at, opened):
        body = json.dumps({
            "v": 1, "ticket_id": ticket_id, "wamid": wamid,
            "key": {"phone_number_id": key[0], "wa_id": key[1]},
            "sent_at": sent_at, "opened_ticket": opened,
        }, separators=(",", ":"))
        return {"group": f"{key[0]}#{key[1]}", "wamid": wamid, "body": body}

    def enqueue(self, pending):
        for start in range(0, len(pending), 10):
            batch = pending[start:start + 10]
            out = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "MessageBody": p["body"], "MessageGroupId": p["group"],
                 "MessageDeduplicationId": p["wamid"]}
                for i, p in enumerate(batch)
            ])
            if out.get("Failed"):
                raise RuntimeError(f"{len(out['Failed'])} of {len(batch)} not queued: {out['Failed']}")
            for p in batch:
                try:  # best effort, as ours: a redelivery queues again and SQS dedup absorbs it
                    self.dynamodb.update_item(
                        TableName=self.table, Key={"PK": S(f"WAMID#{p['wamid']}"), "SK": S("SEEN")},
                        UpdateExpression="SET enqueued = :yes", ConditionExpression="attribute_exists(PK)",
                        ExpressionAttributeValues={":yes": {"BOOL": True}},
                    )
                except ClientError as e:
                    print(f"could not mark {p['wamid']} as queued: {e}", file=sys.stderr)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def message_items(ticket_id, wamid, m, profile, sent_at, now):
    """The idempotency record and the message item (`seen_item`, `message_item` in dynamo.rs)."""
    kind = m.get("type", "unknown")
    text = m.get("text", {}).get("body") if kind == "text" else None
    content = {"type": kind, "body": text} if kind == "text" else {"type": kind, **m.get(kind, {})}
    seen = {
        "PK": S(f"WAMID#{wamid}"), "SK": S("SEEN"), "entity": S("seen"), "wamid": S(wamid),
        "ticket_id": S(ticket_id), "direction": S("inbound"), "sent_at": S(sortable_time(sent_at)),
        "enqueued": {"BOOL": False}, "expires_at": N(int((now + SEEN_RETENTION).timestamp())),
    }
    message = {
        "PK": S(f"TICKET#{ticket_id}"), "SK": S(f"MSG#{sortable_time(sent_at)}#{wamid}"),
        "entity": S("message"), "ticket_id": S(ticket_id), "wamid": S(wamid), "direction": S("inbound"),
        "sent_at": S(sortable_time(sent_at)), "recorded_at": S(sortable_time(now)), "kind": S(kind),
        "content": S(json.dumps(content, separators=(",", ":"), ensure_ascii=False)),
        "expires_at": N(int((sent_at + RETENTION).timestamp())),
    }
    if text is not None:
        message["text"] = S(text)
    if profile:
        message["profile_name"] = S(profile)
    return seen, message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as our runner (hyper) does
    intake: Intake = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        started = time.perf_counter()
        try:
            status, reply = 200, self.intake.handle(self.headers.get("X-Hub-Signature-256", ""), body)
        except Rejected as e:
            status, reply = e.status, {"error": e.code, "message": str(e)}
        except Exception as e:  # noqa: BLE001 - any failure must make Meta deliver again
            status, reply = 503, {"error": "intake_failed", "message": str(e)}
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.log_message('"POST %s" %d %.1f ms', self.path, status, (time.perf_counter() - started) * 1e3)

    def do_GET(self):  # liveness for the benchmark script
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_request(self, code="-", size="-"):
        pass  # one line per request from do_POST instead, as our runner logs one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8090")
    parser.add_argument("--secret", required=True, help="the WhatsApp app secret")
    parser.add_argument("--table", required=True)
    parser.add_argument("--queue-url", required=True, help="the inbound FIFO queue")
    parser.add_argument("--pool", type=int, default=32, help="HTTP connections per AWS client")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    Handler.intake = Intake(args.table, args.queue_url, args.secret.encode(), args.pool)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    print(f"intake reference listening on http://{args.listen}/webhook", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
