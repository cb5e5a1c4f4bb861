#!/usr/bin/env python3
"""Keeps a queue near empty during benches/e2e_compare.sh: receives and deletes, ten at a time,
until killed. moto's FIFO SendMessageBatch gets slower as its queue grows (about 0.4 s more per
1000 queued messages here), which real SQS does not; draining both sides' queues alike keeps
that out of the comparison. Needs boto3 (.local/venv/bin/python); endpoint from AWS_ENDPOINT_URL.

    .local/venv/bin/python benches/e2e_drain.py QUEUE_URL
"""

import os
import sys

import boto3

sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
url = sys.argv[1]
while True:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    if messages:
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ])
