"""The Python interop scenario with kombu (over its pyamqp transport, as Celery uses it):
confirmed persistent publishes with nested headers, a multi-frame body, manual acks, rejection
dead-lettering with x-death, and nothing left behind.

    python3 scenario.py amqp://guest:guest@127.0.0.1:5672/

Prints "ok NAME" / "FAIL NAME: detail" per check, then "N passed, M failed"; exits 1 on failure.
"""
import os
import sys

from kombu import Connection, Consumer, Exchange, Producer, Queue

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py-common"))
import common  # noqa: E402
from common import BIG_BODY, DLQ, DLX, WORK, body, headers  # noqa: E402

URL = common.url_from_argv()
dlx = Exchange(DLX, type="fanout", durable=False)
dlq = Queue(DLQ, exchange=dlx, routing_key="", durable=False)
work = Queue(WORK, exchange=Exchange(""), routing_key=WORK, durable=True,
             queue_arguments=common.WORK_ARGUMENTS)
# confirm_publish makes every Producer.publish wait for the broker's basic.ack (py-amqp raises
# MessageNacked on a basic.nack); the scenario also counts the acks to check that explicitly.
connection = Connection(URL, transport_options={"confirm_publish": True}, connect_timeout=10)
state = {"acks": [], "nacks": [], "received": []}


def setup():
    channel = connection.channel()
    dlq(channel).declare()  # declares the fanout exchange, the queue and the binding
    work(channel).declare()  # the default exchange is not declared nor bound to
    # kombu's channel here is py-amqp's; its confirm events let us see each basic.ack.
    channel.events["basic_ack"].add(lambda tag, multiple: state["acks"].append((tag, multiple)))
    channel.events["basic_nack"].add(lambda tag, multiple: state["nacks"].append((tag, multiple)))
    state["channel"] = channel
    state["producer"] = Producer(channel, exchange=Exchange(""), routing_key=WORK)


def confirmed_tags():
    common.eq("nacks", state["nacks"], [])
    return [tag for tag, multiple in state["acks"]]


def publish_three():
    for i in (1, 2, 3):
        # A bytes body with a content_type is sent as is, not serialized.
        state["producer"].publish(body(i), content_type="text/plain", content_encoding="utf-8",
                                  delivery_mode=2, headers=headers(i))
    common.eq("confirmed tags", confirmed_tags(), [1, 2, 3])


def publish_big():
    state["producer"].publish(BIG_BODY, content_type="application/octet-stream",
                              content_encoding="binary", delivery_mode=2)
    common.eq("confirmed tags", confirmed_tags(), [1, 2, 3, 4])


def consume_manual_acks():
    received = state["received"]
    # on_message gets the raw kombu Message, so nothing is decoded behind the scenario's back.
    consumer = Consumer(state["channel"], queues=[work], no_ack=False, prefetch_count=10,
                        on_message=received.append)
    with consumer:
        while len(received) < 4:
            connection.drain_events(timeout=10)
    for i, message in enumerate(received[:3], 1):
        common.check_body("message %d body" % i, message.body, body(i))
        common.same("message %d headers" % i, message.headers, headers(i))
        common.eq("message %d delivery_mode" % i, message.properties.get("delivery_mode"), 2)
        common.eq("message %d content_type" % i, message.content_type, "text/plain")
    big = received[3]
    common.check_body("big body", big.body, BIG_BODY)
    common.eq("big delivery_mode", big.properties.get("delivery_mode"), 2)
    for message in (received[0], received[1], big):
        message.ack()
    received[2].reject(requeue=False)


def dead_lettered():
    bound = dlq(state["channel"])
    message = common.retry("a message in %s" % DLQ, lambda: bound.get(no_ack=False))
    try:
        common.check_body("dead-lettered body", message.body, body(3))
        common.check_dead_lettered(message.headers, WORK, headers(3))
    finally:
        message.ack()  # even after a failed assertion, so the next check sees the broker


def nothing_left():
    channel = state["channel"]

    def empty(queue):
        return lambda: True if queue(channel).queue_declare(passive=True).message_count == 0 \
            else None
    common.retry("work queue empty", empty(work), 3)
    common.retry("dead-letter queue empty", empty(dlq), 3)


def cleanup():
    """Deletes what the scenario declared over a fresh connection: a failure may have closed the
    scenario's channel or connection."""
    common.quietly(connection.release)
    with Connection(URL, connect_timeout=5) as fresh:
        channel = fresh.channel()
        for queue in (work, dlq):
            common.quietly(queue(channel).delete)
        common.quietly(dlx(channel).delete)


common.run_scenario(setup, (publish_three, publish_big, consume_manual_acks, dead_lettered, nothing_left), cleanup)
