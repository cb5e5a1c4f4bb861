#!/usr/bin/env python3
"""What one million inbound WhatsApp messages cost on AWS in eu-central-1 (issue 7).

    python3 benches/cost_model.py [--intake-ms 60] [--messages-per-webhook 1] ...
    python3 benches/cost_model.py --help     # every input, its unit and where it comes from

Every input is printed with the result; each can be changed with its flag. Prices are the public
eu-central-1 (Frankfurt) list prices as of 2025 in USD, without free tiers. Request counts per
message come from reading the code (shared/src/app/intake.rs, shared/src/ports/store/dynamo.rs,
shared/src/app/bot_reply.rs, shared/src/app/outbox.rs); durations are inputs, because they are dominated by
the round trips to DynamoDB, SQS and the WhatsApp Cloud API, which cannot be measured here.

The path modelled for one inbound customer message:
  webhook-intake  API Gateway HTTP API -> Lambda; GetItem seen + GetItem conversation (strongly
                  consistent), one TransactWriteItems of 4 items (idempotency record, conversation,
                  ticket, message), UpdateItem profile name, SendMessageBatch to inbound.fifo,
                  UpdateItem mark-enqueued.
  bot-reply       SQS FIFO event source (receive + delete); GetItem ticket + GetItem message,
                  TransactWriteItems (ticket, message handled, outbox entries), Query outbox,
                  one transaction per outbox entry done (a sent reply also puts its idempotency
                  record and message), Scheduler create/delete per SLA timer change.
  status webhooks Meta calls back per outbound message (sent, delivered, read): each is an API
                  Gateway request and a Lambda invocation with GetItem seen + UpdateItem message.
  a share of messages fires an SLA timer (Scheduler -> sla-events -> sla-breach) and a share is
  handed over (handoff.fifo -> agent-handoff -> SNS notification to the agent).
"""

import argparse
import math

# name: (default, unit, source / meaning)
PRICES = {
    "lambda_arm_gb_s": (0.0000133334, "USD per GB-second", "Lambda arm64, eu-central-1, first 7.5 billion GB-s/month"),
    "lambda_request": (0.20, "USD per 1M requests", "Lambda requests (also billed for the INIT phase since Aug 2025, see init_ms)"),
    "apigw_http_request": (1.20, "USD per 1M requests", "API Gateway HTTP API, eu-central-1, first 300M/month (us-east-1: 1.00)"),
    "sqs_fifo_request": (0.50, "USD per 1M requests", "SQS FIFO, per 64 KB chunk of a request"),
    "sqs_standard_request": (0.40, "USD per 1M requests", "SQS standard (sla-events, the Scheduler's target)"),
    "dynamodb_wru": (0.7625, "USD per 1M WRU", "DynamoDB on-demand write request units, eu-central-1 (after the Nov 2024 cut)"),
    "dynamodb_rru": (0.1525, "USD per 1M RRU", "DynamoDB on-demand read request units, eu-central-1"),
    "scheduler_invocation": (1.00, "USD per 1M invocations", "EventBridge Scheduler, per fired schedule"),
    "scheduler_api_call": (0.0, "USD per 1M API calls", "CreateSchedule/DeleteSchedule: not billed by AWS; set 1.00 to count them like invocations"),
    "sns_publish": (0.50, "USD per 1M publishes", "SNS standard topic publishes (agent and manager alerts)"),
    "logs_ingest_gb": (0.63, "USD per GB", "CloudWatch Logs standard ingestion, eu-central-1"),
    "xray_trace": (5.00, "USD per 1M traces", "X-Ray traces recorded (Tracing: Active in template.yaml)"),
}

WORKLOAD = {
    "messages_per_webhook": (1.0, "messages", "inbound messages Meta puts in one webhook (1 at low traffic; more in bursts)"),
    "sqs_batch_size": (1.0, "messages", "records per bot-reply invocation (BatchSize 10 in template.yaml; ~1 at low traffic)"),
    "replies_per_message": (1.0, "messages", "WhatsApp messages the bot sends per customer message"),
    "status_callbacks_per_reply": (3.0, "webhooks", "sent, delivered, read: one webhook each per outbound message"),
    "timer_changes_per_message": (2.0, "calls", "SLA timer arm/disarm per bot turn (Scheduler API calls, each an outbox entry)"),
    "timer_fires_per_message": (0.3, "fires", "share of messages after which an SLA or bot-silence timer fires"),
    "handoff_share": (0.2, "share", "share of messages the bot hands over to a person"),
    "cold_start_share": (0.01, "share", "share of invocations that start a new execution environment"),
    "ticket_item_kb": (2.0, "KB", "ticket META item (bot state and SLA clocks included): WRU per write"),
    "message_item_kb": (1.0, "KB", "message item: WRU per write"),
    "small_item_kb": (0.5, "KB", "idempotency record, conversation, outbox entry, profile"),
    "log_kb_per_message": (4.0, "KB", "log lines (ours and Lambda's START/END/REPORT) over all functions"),
    "xray_sampled_share": (0.05, "share", "share of invocations X-Ray records (default rule: 1/s + 5%)"),
}

RUNTIME = {
    "memory_mb": (256.0, "MB", "MemorySize of every function (template.yaml Globals)"),
    "intake_ms": (60.0, "ms", "webhook-intake billed duration for a message webhook (I/O bound: ~6 AWS calls)"),
    "status_ms": (15.0, "ms", "webhook-intake billed duration for a status webhook (GetItem + UpdateItem)"),
    "bot_reply_ms": (250.0, "ms", "bot-reply billed duration per batch (mark read + send via the Cloud API dominate)"),
    "sla_breach_ms": (80.0, "ms", "sla-breach billed duration per fired timer"),
    "agent_handoff_ms": (80.0, "ms", "agent-handoff billed duration per handoff"),
    "init_ms": (60.0, "ms", "billed INIT duration of a cold start (benches/cold_start.sh measures ~the local part; add SSM)"),
}

GROUPS = [("prices (eu-central-1, 2025, USD)", PRICES), ("workload", WORKLOAD), ("runtime", RUNTIME)]


def wru(kb: float, transactional: bool = False) -> float:
    """Write request units for one write of an item of `kb` KB (2x inside a transaction)."""
    return math.ceil(kb) * (2 if transactional else 1)


def rru(kb: float = 4.0) -> float:
    """Read request units for one strongly consistent read of up to `kb` KB."""
    return math.ceil(kb / 4)


def line_items(a: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    """(function, what, quantity per message, USD per unit) for one inbound message."""
    gb = a.memory_mb / 1024
    per_webhook = 1 / a.messages_per_webhook
    per_batch = 1 / a.sqs_batch_size
    statuses = a.replies_per_message * a.status_callbacks_per_reply
    s, m, t = a.small_item_kb, a.message_item_kb, a.ticket_item_kb
    invocations = per_webhook + statuses + per_batch + a.timer_fires_per_message + a.handoff_share
    gb_s = lambda ms: gb * ms / 1000  # noqa: E731
    M = 1e6
    items = [
        # webhook-intake, message webhook
        ("webhook-intake", "API Gateway requests", per_webhook, a.apigw_http_request / M),
        ("webhook-intake", "Lambda requests", per_webhook, a.lambda_request / M),
        ("webhook-intake", "Lambda GB-s", per_webhook * gb_s(a.intake_ms), a.lambda_arm_gb_s),
        ("webhook-intake", "RRU: GetItem seen + conversation", 2 * rru(), a.dynamodb_rru / M),
        ("webhook-intake", "WRU: transaction seen+conversation+ticket+message",
         wru(s, True) + wru(s, True) + wru(t, True) + wru(m, True), a.dynamodb_wru / M),
        ("webhook-intake", "WRU: profile name + mark enqueued", wru(s) + wru(s), a.dynamodb_wru / M),
        ("webhook-intake", "SQS FIFO SendMessageBatch", per_webhook, a.sqs_fifo_request / M),
        # status callbacks for what the bot sent
        ("webhook-intake", "status webhooks: API Gateway requests", statuses, a.apigw_http_request / M),
        ("webhook-intake", "status webhooks: Lambda requests", statuses, a.lambda_request / M),
        ("webhook-intake", "status webhooks: Lambda GB-s", statuses * gb_s(a.status_ms), a.lambda_arm_gb_s),
        ("webhook-intake", "status webhooks: RRU GetItem seen", statuses * rru(), a.dynamodb_rru / M),
        ("webhook-intake", "status webhooks: WRU UpdateItem message", statuses * wru(m), a.dynamodb_wru / M),
        # bot-reply
        ("bot-reply", "SQS FIFO receive + delete", 2 * per_batch, a.sqs_fifo_request / M),
        ("bot-reply", "Lambda requests", per_batch, a.lambda_request / M),
        ("bot-reply", "Lambda GB-s", per_batch * gb_s(a.bot_reply_ms), a.lambda_arm_gb_s),
        ("bot-reply", "RRU: GetItem ticket + message, Query outbox", 3 * rru(), a.dynamodb_rru / M),
        ("bot-reply", "WRU: turn transaction ticket+message+outbox",
         wru(t, True) + wru(m, True) + (a.replies_per_message + a.timer_changes_per_message) * wru(s, True),
         a.dynamodb_wru / M),
        ("bot-reply", "WRU: outbox done (reply: +seen +message)",
         a.replies_per_message * (wru(s, True) * 2 + wru(m, True)) + a.timer_changes_per_message * wru(s, True),
         a.dynamodb_wru / M),
        ("bot-reply", "Scheduler API calls", a.timer_changes_per_message, a.scheduler_api_call / M),
        # fired timers
        ("sla-breach", "Scheduler invocations", a.timer_fires_per_message, a.scheduler_invocation / M),
        ("sla-breach", "SQS standard send + receive + delete", 3 * a.timer_fires_per_message, a.sqs_standard_request / M),
        ("sla-breach", "Lambda requests", a.timer_fires_per_message, a.lambda_request / M),
        ("sla-breach", "Lambda GB-s", a.timer_fires_per_message * gb_s(a.sla_breach_ms), a.lambda_arm_gb_s),
        ("sla-breach", "RRU: ticket read", a.timer_fires_per_message * rru(), a.dynamodb_rru / M),
        ("sla-breach", "WRU: turn transaction ticket+outbox+done",
         a.timer_fires_per_message * (wru(t, True) + 2 * wru(s, True)), a.dynamodb_wru / M),
        # handoffs
        ("agent-handoff", "SQS FIFO send + receive + delete", 3 * a.handoff_share, a.sqs_fifo_request / M),
        ("agent-handoff", "Lambda requests", a.handoff_share, a.lambda_request / M),
        ("agent-handoff", "Lambda GB-s", a.handoff_share * gb_s(a.agent_handoff_ms), a.lambda_arm_gb_s),
        ("agent-handoff", "RRU: ticket + agents query", a.handoff_share * 2 * rru(), a.dynamodb_rru / M),
        ("agent-handoff", "WRU: claim agent + assign ticket",
         a.handoff_share * (wru(s) + wru(t, True) + wru(s, True)), a.dynamodb_wru / M),
        ("agent-handoff", "SNS publish to the agent", a.handoff_share, a.sns_publish / M),
        # across functions
        ("all", "cold starts: INIT GB-s", invocations * a.cold_start_share * gb_s(a.init_ms), a.lambda_arm_gb_s),
        ("all", "CloudWatch Logs ingestion (GB)", a.log_kb_per_message / 1024 / 1024, a.logs_ingest_gb),
        ("all", "X-Ray traces recorded", invocations * a.xray_sampled_share, a.xray_trace / M),
    ]
    return items


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for title, inputs in GROUPS:
        group = parser.add_argument_group(title)
        for name, (default, unit, source) in inputs.items():
            group.add_argument("--" + name.replace("_", "-"), type=float, default=default,
                               help=f"{unit}; {source} (default {default})")
    args = parser.parse_args()

    print("Cost per 1,000,000 inbound customer messages, eu-central-1, USD (no free tiers)\n")
    for title, inputs in GROUPS:
        print(f"inputs: {title}")
        for name, (default, unit, source) in inputs.items():
            value = getattr(args, name)
            changed = "" if value == default else f"  (default {default})"
            print(f"  --{name.replace('_', '-'):<28} {value:<14g} {unit:<24} {source}{changed}")
        print()

    items = line_items(args)
    print(f"{'function':<15} {'what':<52} {'per message':>12} {'USD per 1M msgs':>16}")
    totals: dict[str, float] = {}
    for function, what, quantity, unit_price in items:
        cost = quantity * unit_price * 1e6
        totals[function] = totals.get(function, 0.0) + cost
        print(f"{function:<15} {what:<52} {quantity:>12.6g} {cost:>16.4f}")
    print()
    by_service: dict[str, float] = {}
    for _, what, quantity, unit_price in items:
        service = service_of(what)
        by_service[service] = by_service.get(service, 0.0) + quantity * unit_price * 1e6
    for function, cost in totals.items():
        print(f"  {function:<20} {cost:>10.2f}")
    print("  by service: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(by_service.items(), key=lambda kv: -kv[1])))
    print(f"\nTOTAL per 1M inbound messages: USD {sum(totals.values()):.2f}")


def service_of(what: str) -> str:
    for marker, service in [("API Gateway", "API Gateway"), ("Lambda", "Lambda"), ("INIT", "Lambda"),
                            ("RRU", "DynamoDB"), ("WRU", "DynamoDB"), ("SQS", "SQS"),
                            ("Scheduler", "Scheduler"), ("SNS", "SNS"), ("Logs", "CloudWatch Logs"),
                            ("X-Ray", "X-Ray")]:
        if marker in what:
            return service
    return "other"


if __name__ == "__main__":
    main()
