"""The Python interop scenario with py-amqp (`import amqp`, the client under kombu and Celery):
confirmed persistent publishes with nested headers, a multi-frame body, manual acks, rejection
dead-lettering with x-death, and nothing left behind.

    python3 scenario.py amqp://guest:guest@127.0.0.1:5672/

Prints "ok NAME" / "FAIL NAME: detail" per check, then "N passed, M failed"; exits 1 on failure.
"""
import os
import sys

import amqp
from amqp import spec

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py-common"))
import common  # noqa: E402
from common import BIG_BODY, DLQ, DLX, WORK, body, headers  # noqa: E402

host, port, user, password, vhost = common.parse_url(common.url_from_argv())
# confirm_publish stays off: the scenario selects confirms itself and counts the acks it gets.
connection = amqp.Connection(host="%s:%d" % (host, port), userid=user, password=password,
                             virtual_host=vhost, connect_timeout=10, frame_max=131072)
state = {"acked": set(), "nacked": set(), "next_tag": 0, "received": []}


def setup():
    connection.connect()
    channel = connection.channel()
    channel.exchange_declare(DLX, "fanout", durable=False, auto_delete=False)
    channel.queue_declare(DLQ, durable=False, auto_delete=False)
    channel.queue_bind(DLQ, DLX, "")
    channel.queue_declare(WORK, durable=True, auto_delete=False, arguments=common.WORK_ARGUMENTS)
    channel.confirm_select()
    channel.events["basic_ack"].add(lambda tag, multiple: settle(state["acked"], tag, multiple))
    channel.events["basic_nack"].add(lambda tag, multiple: settle(state["nacked"], tag, multiple))
    state["channel"] = channel


def settle(into, tag, multiple):
    """Records a confirm; a multiple one settles every outstanding tag up to `tag`."""
    if multiple:
        into.update(t for t in range(1, tag + 1)
                    if t not in state["acked"] and t not in state["nacked"])
    else:
        into.add(tag)


def publish_confirmed(message):
    """Publishes and waits until the broker confirms this delivery tag; a nack fails the check."""
    channel = state["channel"]
    state["next_tag"] += 1
    tag = state["next_tag"]
    channel.basic_publish(message, exchange="", routing_key=WORK)
    while tag not in state["acked"] and tag not in state["nacked"]:
        connection.drain_events(timeout=10)
    if tag in state["nacked"]:
        raise AssertionError("publish %d was nacked" % tag)


def publish_three():
    for i in (1, 2, 3):
        publish_confirmed(amqp.Message(body(i), content_type="text/plain", delivery_mode=2,
                                       application_headers=headers(i)))
    common.eq("acked tags", sorted(state["acked"]), [1, 2, 3])


def publish_big():
    publish_confirmed(amqp.Message(BIG_BODY, content_type="application/octet-stream",
                                   delivery_mode=2))
    common.eq("acked tags", sorted(state["acked"]), [1, 2, 3, 4])


def consume_manual_acks():
    channel = state["channel"]
    channel.basic_qos(0, 10, False)
    received = state["received"]
    tag = channel.basic_consume(WORK, no_ack=False, callback=received.append)
    while len(received) < 4:
        connection.drain_events(timeout=10)
    channel.basic_cancel(tag)
    for i, message in enumerate(received[:3], 1):
        common.check_body("message %d body" % i, message.body, body(i))
        common.same("message %d headers" % i, message.headers, headers(i))
        common.eq("message %d delivery_mode" % i, message.properties.get("delivery_mode"), 2)
        common.eq("message %d content_type" % i, message.properties.get("content_type"),
                  "text/plain")
    big = received[3]
    common.check_body("big body", big.body, BIG_BODY)
    common.eq("big delivery_mode", big.properties.get("delivery_mode"), 2)
    for message in (received[0], received[1], big):
        channel.basic_ack(message.delivery_tag)
    channel.basic_reject(received[2].delivery_tag, requeue=False)


def dead_lettered():
    channel = state["channel"]
    message = common.retry("a message in %s" % DLQ, lambda: channel.basic_get(DLQ, no_ack=False))
    try:
        common.check_body("dead-lettered body", message.body, body(3))
        common.check_dead_lettered(message.headers, WORK, headers(3))
    finally:
        channel.basic_ack(message.delivery_tag)  # even after a failed assertion, so the next check sees the broker


def nothing_left():
    channel = state["channel"]
    # queue_declare(passive) answers (queue, message_count, consumer_count).
    common.retry("work queue empty",
                 lambda: True if channel.queue_declare(WORK, passive=True)[1] == 0 else None, 3)
    common.retry("dead-letter queue empty",
                 lambda: True if channel.queue_declare(DLQ, passive=True)[1] == 0 else None, 3)


def cleanup():
    """Deletes what the scenario declared over a fresh connection: a failure may have closed the
    scenario's channel or connection."""
    common.quietly(connection.close)
    with amqp.Connection(host="%s:%d" % (host, port), userid=user, password=password,
                         virtual_host=vhost, connect_timeout=5) as fresh:
        channel = fresh.channel()
        for queue in (WORK, DLQ):
            channel.queue_delete(queue)
        channel.exchange_delete(DLX)

common.run_scenario(setup, (publish_three, publish_big, consume_manual_acks, dead_lettered, nothing_left), cleanup)
