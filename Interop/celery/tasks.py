"""The Celery app of the Celery interop scenario (see scenario.py), imported both by the worker
that scenario.py starts (`celery -A tasks worker`) and by scenario.py itself, which sets
INTEROP_BROKER_URL and INTEROP_SUFFIX in the environment for both."""
import hashlib
import os

from celery import Celery
from celery.exceptions import Reject
from kombu import Exchange, Queue

SUFFIX = os.environ["INTEROP_SUFFIX"]
TASK_QUEUE = "interop-celery-" + SUFFIX
DLX = "interop-dlx-" + SUFFIX
DLQ = "interop-dlq-" + SUFFIX

# A durable queue that dead-letters rejected tasks to DLX, on a direct exchange of the same name
# (Celery's usual layout); scenario.py declares DLX and DLQ before the worker starts.
task_queue = Queue(TASK_QUEUE, Exchange(TASK_QUEUE, type="direct", durable=True),
                   routing_key=TASK_QUEUE, durable=True,
                   queue_arguments={"x-dead-letter-exchange": DLX})

app = Celery("interop", broker=os.environ["INTEROP_BROKER_URL"], backend="rpc://")
app.conf.update(
    broker_transport_options={"confirm_publish": True},  # every publish waits for basic.ack
    broker_connection_retry_on_startup=False,  # a broker that is not there fails fast
    broker_connection_timeout=10,
    # The worker's event loop (kombu's hub) runs work scheduled while it handles a message, such
    # as a late ack, only after its next poll, which sleeps until the next timer (up to 10 s)
    # when no more data comes. With a prefetch of 1 a deferred ack holds back the next delivery
    # that way, against RabbitMQ as well (more often against a broker that answers faster). A
    # prefetch of 4 (Celery's default multiplier) keeps deliveries coming, and a short broker
    # heartbeat, which scenario.py sets for the worker only (its own blocking client would not
    # send heartbeats while it waits), bounds any remaining stall to about 2 s.
    broker_heartbeat=int(os.environ.get("INTEROP_WORKER_HEARTBEAT") or 0) or None,
    task_queues=[task_queue],
    task_default_queue=TASK_QUEUE,
    task_default_exchange=TASK_QUEUE,
    task_default_routing_key=TASK_QUEUE,
    task_acks_late=True,  # ack after the task ran, so Reject can dead-letter it
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=4,  # see broker_heartbeat
    worker_enable_remote_control=False,  # no pidbox exchange or queue left behind
    worker_hijack_root_logger=False,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)


@app.task
def echo(*args, **kwargs):
    return {"args": args, "kwargs": kwargs}


@app.task
def digest(text):
    """Answers with a body as big as the argument, so the reply is multi-frame too."""
    data = text.encode()
    return {"length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "reversed": text[::-1]}


@app.task
def reject():
    raise Reject("rejected on purpose", requeue=False)


@app.task
def add(a, b):
    return a + b
