"""Deploys template.yaml into LocalStack's CloudFormation and reports, resource by resource,
what reached CREATE_COMPLETE and how long it took. Run through infra/localstack-deploy.sh.

The template is deployed as written, with one change: each function's `CodeUri: .` (which
`sam build` replaces with the cargo-lambda build) points at a placeholder zip in a LocalStack S3
bucket, since the rehearsal is about the stack, not the code. LocalStack runs the SAM transform.
"""

import argparse
import collections
import io
import json
import os
import sys
import time
import zipfile

import boto3
from botocore.config import Config

PLACEHOLDER_KEY = "helpdesk/placeholder.zip"


def client(name):
    return boto3.client(
        name,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_REGION", "eu-central-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1 if name == "lambda" else 3}),
    )


def placeholder_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, "#!/bin/sh\necho 'placeholder: build with sam build' >&2\nexit 1\n")
    return buf.getvalue()


def check_created(cfn, stack):
    """What the template asked for, read back from the services that are really emulated."""
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"]
           for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
    lam, sqs, ddb = client("lambda"), client("sqs"), client("dynamodb")
    print("\nread back:")
    table = ddb.describe_table(TableName=ids["HelpdeskTable"])["Table"]
    ttl = ddb.describe_time_to_live(TableName=ids["HelpdeskTable"])["TimeToLiveDescription"]
    print(f"  table: {len(table.get('GlobalSecondaryIndexes', []))} GSIs, "
          f"billing {table.get('BillingModeSummary', {}).get('BillingMode')}, "
          f"TTL {ttl.get('AttributeName')} {ttl.get('TimeToLiveStatus')}")
    for q in ["InboundQueue", "HandoffQueue", "SlaEventsQueue"]:
        a = sqs.get_queue_attributes(QueueUrl=ids[q], AttributeNames=["All"])["Attributes"]
        redrive = json.loads(a.get("RedrivePolicy", "{}"))
        print(f"  {q}: fifo={a.get('FifoQueue', 'false')} visibility={a.get('VisibilityTimeout')} s "
              f"maxReceiveCount={redrive.get('maxReceiveCount')}")
    for fn in ["WebhookIntakeFunction", "BotReplyFunction", "AgentHandoffFunction",
               "SlaBreachFunction", "AgentApiFunction"]:
        c = lam.get_function_configuration(FunctionName=ids[fn])
        print(f"  {fn}: {c['Runtime']} {c['Architectures']} {c['MemorySize']} MB "
              f"timeout {c['Timeout']} s, {len(c.get('Environment', {}).get('Variables', {}))} env vars")
    for m in lam.list_event_source_mappings()["EventSourceMappings"]:
        print(f"  event source {m['EventSourceArn'].split(':')[-1]} -> "
              f"{m['FunctionArn'].split(':')[-1]}: batch {m.get('BatchSize')}, "
              f"{m.get('FunctionResponseTypes')}")
    try:
        lam.invoke(FunctionName=ids["WebhookIntakeFunction"], Payload=b"{}")
        print("  invoke: answered (LocalStack with Docker)")
    except Exception as e:  # the host-mode executor refuses, with its reason
        print(f"  invoke WebhookIntakeFunction: {type(e).__name__}: {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", default="template.yaml")
    ap.add_argument("--stack", default="helpdesk-rehearsal")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--json", help="also write the per-resource result here")
    ap.add_argument("--keep", action="store_true", help="leave the stack (default: delete it)")
    args = ap.parse_args()

    s3, cfn, ssm = client("s3"), client("cloudformation"), client("ssm")
    bucket = "helpdesk-rehearsal-artifacts"
    region = os.environ.get("AWS_REGION", "eu-central-1")
    if region == "us-east-1":  # the one region S3 refuses a LocationConstraint for
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=bucket, Key=PLACEHOLDER_KEY, Body=placeholder_zip())
    # The secrets the functions read at run time (SSM references, never template values).
    for name in ["/helpdesk/whatsapp/app-secret", "/helpdesk/whatsapp/verify-token",
                 "/helpdesk/whatsapp/access-token", "/helpdesk/shop/order-api-token"]:
        ssm.put_parameter(Name=name, Value="rehearsal", Type="SecureString", Overwrite=True)

    with open(args.template, encoding="utf-8") as f:
        body = f.read()
    count = body.count("CodeUri: .\n")
    body = body.replace("CodeUri: .\n", f"CodeUri: s3://{bucket}/{PLACEHOLDER_KEY}\n")
    print(f"[deploy] {count} functions point at s3://{bucket}/{PLACEHOLDER_KEY}", file=sys.stderr)

    started = time.time()
    cfn.create_stack(
        StackName=args.stack,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[
            {"ParameterKey": "ManagerEmail", "ParameterValue": "managers@example.com"},
            {"ParameterKey": "OpsEmail", "ParameterValue": "ops@example.com"},
            {"ParameterKey": "OrderApiUrl", "ParameterValue": "https://shop.example/api"},
        ],
    )
    status = "CREATE_IN_PROGRESS"
    while time.time() - started < args.timeout:
        stack = cfn.describe_stacks(StackName=args.stack)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(1)
    total = time.time() - started

    events = []
    paginator = cfn.get_paginator("describe_stack_events")
    for page in paginator.paginate(StackName=args.stack):
        events.extend(page["StackEvents"])
    events.sort(key=lambda e: e["Timestamp"])
    first, last, final, reason, rtype = {}, {}, {}, {}, {}
    for e in events:
        rid = e["LogicalResourceId"]
        if rid == args.stack:
            continue
        rtype[rid] = e.get("ResourceType", "?")
        first.setdefault(rid, e["Timestamp"])
        last[rid] = e["Timestamp"]
        final[rid] = e["ResourceStatus"]
        if e.get("ResourceStatusReason"):
            reason[rid] = e["ResourceStatusReason"]
    resources = {
        r["LogicalResourceId"]: r
        for r in cfn.list_stack_resources(StackName=args.stack)["StackResourceSummaries"]
    }
    for rid, r in resources.items():
        rtype.setdefault(rid, r["ResourceType"])
        final[rid] = r["ResourceStatus"]
        if r.get("ResourceStatusReason"):
            reason.setdefault(rid, r["ResourceStatusReason"])

    # Types LocalStack community has no provider for are only recorded, not created ("mocked").
    mocked = set()
    log = os.environ.get("LOCALSTACK_LOG")
    if log and os.path.exists(log):
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                if 'No resource provider found for "' in line:
                    mocked.add(line.split('No resource provider found for "')[1].split('"')[0])

    rows = []
    for rid in sorted(rtype, key=lambda r: (rtype[r], r)):
        secs = (last[rid] - first[rid]).total_seconds() if rid in first else None
        rows.append({"resource": rid, "type": rtype[rid], "status": final.get(rid, "?"),
                     "seconds": None if secs is None else round(secs, 2),
                     "mocked": rtype[rid] in mocked,
                     "reason": reason.get(rid, "") if final.get(rid) != "CREATE_COMPLETE" else ""})
    print(f"stack {args.stack}: {status} in {total:.1f} s, {len(rows)} resources")
    print(f"{'resource':38} {'type':36} {'status':16} {'s':>6}")
    for r in rows:
        secs = "" if r["seconds"] is None else f"{r['seconds']:.2f}"
        note = " (mocked: no provider in LocalStack community)" if r["mocked"] else ""
        print(f"{r['resource']:38} {r['type']:36} {r['status']:16} {secs:>6}{note} {r['reason'][:120]}")
    by_type = collections.OrderedDict()
    for r in rows:
        t = by_type.setdefault(r["type"], {"count": 0, "complete": 0, "seconds": 0.0})
        t["count"] += 1
        t["complete"] += r["status"] == "CREATE_COMPLETE"
        t["seconds"] = max(t["seconds"], r["seconds"] or 0.0)
    print("\nper type (complete/total, slowest):")
    for t, v in by_type.items():
        note = "  mocked" if t in mocked else ""
        print(f"  {t:40} {v['complete']}/{v['count']}  {v['seconds']:.2f} s{note}")
    if status == "CREATE_COMPLETE":
        check_created(cfn, args.stack)
    outputs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
    print(f"\noutputs: {', '.join(sorted(outputs))}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"stack": args.stack, "status": status, "seconds": round(total, 1),
                       "resources": rows, "outputs": outputs}, f, indent=2, default=str)
    if not args.keep:
        cfn.delete_stack(StackName=args.stack)
    return 0 if status == "CREATE_COMPLETE" else 1


if __name__ == "__main__":
    sys.exit(main())
