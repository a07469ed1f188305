"""The local ingest worker (``python -m infra.worker``): long-polls the ingest queue on moto and hands
each message to the same handler the SQS Lambda runs (``chalicelib.routes.jobs.handle_ingest``, the
function ``chalice package`` deploys), called as Lambda calls it: a Lambda-shaped SQS event and a context.

Like Lambda's event source mapping: a message is deleted when the handler returns and left on the
queue when it raises (made visible again after ODAVL_WORKER_RETRY_SECONDS instead of the queue's
15-minute visibility timeout), so the queue's redrive policy moves it to the dead-letter queue after
3 receives. SIGTERM/SIGINT stop it after the message in hand.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from chalicelib.config import get_settings
from chalicelib.logs import logger
from chalicelib.routes.jobs import handle_ingest
from chalicelib.store import queue


class Worker:
    """Receive, dispatch, acknowledge, until stopped."""

    def __init__(self, wait_seconds: int = 1, retry_seconds: int = 1) -> None:
        self.wait_seconds = wait_seconds
        self.retry_seconds = retry_seconds
        self.stopping = False

    def stop(self, *_: Any) -> None:
        self.stopping = True

    def run(self) -> None:
        logger.info("ingest worker started", extra={"queue": get_settings().ingest_queue})
        while not self.stopping:
            try:
                messages = queue.receive_ingest(max_messages=1, wait_seconds=self.wait_seconds)
            except Exception:
                logger.exception("receive failed; retrying")
                time.sleep(1)
                continue
            for message in messages:
                self.dispatch(message)

    def dispatch(self, message: dict[str, Any]) -> bool:
        """Run the handler on one message; True when it was processed (and deleted)."""
        try:
            handle_ingest(lambda_event(message, get_settings().ingest_queue), None)
        except Exception:
            logger.exception("ingest message failed; it will be delivered again")
            try:
                queue.delay_ingest(message["ReceiptHandle"], self.retry_seconds)
            except Exception:
                logger.exception("could not shorten the message's visibility")
            return False
        queue.delete_ingest(message["ReceiptHandle"])
        return True


def lambda_event(message: dict[str, Any], queue_name: str) -> dict[str, Any]:
    """A ReceiveMessage message as the SQS event Lambda would pass (one record)."""
    settings = get_settings()
    return {
        "Records": [{
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": dict(message.get("MessageAttributes") or {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{settings.region}:000000000000:{queue_name}",
            "awsRegion": settings.region,
        }]
    }


def main() -> int:
    worker = Worker(
        wait_seconds=int(os.environ.get("ODAVL_WORKER_WAIT_SECONDS", "1")),
        retry_seconds=int(os.environ.get("ODAVL_WORKER_RETRY_SECONDS", "1")),
    )
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    print(f"ingest worker polling {get_settings().ingest_queue}", flush=True)
    worker.run()
    logger.info("ingest worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
