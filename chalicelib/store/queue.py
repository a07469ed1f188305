"""The ingest queue (and its dead-letter queue): send, receive, delete, delay.

Lambda receives through its event source mapping; the local worker receives here.
Queue URLs are looked up once per process."""
from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.config import get_settings
from chalicelib.store import clients

_lock = threading.Lock()
_urls: dict[tuple[str, str], str] = {}


def queue_url(name: str) -> str:
    """URL of queue ``name`` (cached per endpoint)."""
    cache_key = (str(clients.sqs().meta.endpoint_url), name)
    with _lock:
        url = _urls.get(cache_key)
    if url is None:
        url = clients.sqs().get_queue_url(QueueName=name)["QueueUrl"]
        with _lock:
            _urls[cache_key] = url
    return url


def send_ingest(message: dict[str, Any]) -> str:
    """Put one message on the ingest queue; returns its message id."""
    response = clients.sqs().send_message(
        QueueUrl=queue_url(get_settings().ingest_queue), MessageBody=json.dumps(message, separators=(",", ":"))
    )
    return str(response["MessageId"])


def receive_ingest(max_messages: int = 1, wait_seconds: int = 2) -> list[dict[str, Any]]:
    """Long-poll the ingest queue; each message carries Body, ReceiptHandle and ApproximateReceiveCount."""
    response = clients.sqs().receive_message(
        QueueUrl=queue_url(get_settings().ingest_queue),
        MaxNumberOfMessages=max_messages,
        WaitTimeSeconds=wait_seconds,
        MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp"],
    )
    return list(response.get("Messages", []))


def delete_ingest(receipt_handle: str) -> None:
    """Acknowledge a processed message."""
    clients.sqs().delete_message(QueueUrl=queue_url(get_settings().ingest_queue), ReceiptHandle=receipt_handle)


def delay_ingest(receipt_handle: str, seconds: int) -> None:
    """Make a failed message visible again after ``seconds`` (instead of the queue's full visibility timeout)."""
    clients.sqs().change_message_visibility(
        QueueUrl=queue_url(get_settings().ingest_queue), ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
    )


def send_dead_letter(body: str) -> None:
    """Put a message the worker cannot read straight onto the dead-letter queue, as it was received."""
    clients.sqs().send_message(QueueUrl=queue_url(get_settings().ingest_dlq), MessageBody=body)


def dead_letters(max_messages: int = 10) -> list[dict[str, Any]]:
    """Messages waiting in the dead-letter queue (read without waiting; they stay there)."""
    response = clients.sqs().receive_message(
        QueueUrl=queue_url(get_settings().ingest_dlq), MaxNumberOfMessages=max_messages, WaitTimeSeconds=0,
        VisibilityTimeout=0,
    )
    return list(response.get("Messages", []))


def reset() -> None:
    """Forget cached queue URLs (tests switch endpoints)."""
    with _lock:
        _urls.clear()
