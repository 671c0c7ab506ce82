"""Publish, get, consume, confirm and transaction checks."""
from harness import *  # noqa: F401,F403 (the checks share the harness's helpers and names)


# --- publish, get, consume ---------------------------------------------------------------------

@check
def get_and_properties():
    """get: get-empty, get-ok count, properties and headers round-trip"""
    with Session() as s:
        channel = s.channel
        queue = temp_queue(channel)
        eq("get-empty", channel.basic_get(queue), (None, None, None))
        stamp = datetime.datetime(2024, 1, 2, 3, 4, 5)
        headers = {"n": 1, "big": 2**40, "neg": -5, "s": "text", "dec": decimal.Decimal("1.25"), "t": True, "none": None,
                   "nested": {"b": False}, "list": [1, "a", {"k": "v"}], "ts": stamp, "bytes": b"\x00\x01"}
        properties = pika.BasicProperties(content_type="text/plain", content_encoding="gzip", delivery_mode=2,
                                          priority=3, correlation_id="c1", reply_to="r", expiration="60000",
                                          message_id="m1", timestamp=1700000000, type="t", user_id="guest",
                                          app_id="pika", headers=headers)
        channel.confirm_delivery()
        channel.basic_publish("", queue, b"hello", properties)
        channel.basic_publish("", queue, b"second")
        method, got, body = wait_get(channel, queue, auto_ack=True)
        eq("get-ok", (body, method.message_count, method.redelivered, method.exchange, method.routing_key),
           (b"hello", 1, False, "", queue))
        for name in ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id", "reply_to",
                     "expiration", "message_id", "timestamp", "type", "user_id", "app_id"):
            eq(name, getattr(got, name), getattr(properties, name))
        for key, value in headers.items():
            eq("header " + key, naive(got.headers.get(key, "<missing>")), value)


@check
def consume_ack_round_robin():
    """consume: manual ack, round-robin over two consumers, unacked requeued redelivered on close"""
    with Session() as s:
        queue = temp_queue(s.channel)
        consumer = s.new_channel()
        seen = {"a": [], "b": []}
        for tag in ("a", "b"):
            consumer.basic_consume(queue, lambda ch, m, p, body, tag=tag: seen[tag].append((body.decode(), m)),
                                   consumer_tag=tag)
        for n in range(6):
            s.channel.basic_publish("", queue, str(n).encode())
        pump(s.connection, lambda: len(seen["a"]) + len(seen["b"]) == 6, what="6 deliveries")
        eq("round robin", ([b for b, _ in seen["a"]], [b for b, _ in seen["b"]]),
           (["0", "2", "4"], ["1", "3", "5"]))
        eq("consumer tags", {m.consumer_tag for _, m in seen["a"]}, {"a"})
        for body, method in seen["a"]:
            consumer.basic_ack(method.delivery_tag)
        consumer.close()
        got = []
        for _ in range(3):
            method, _, body = wait_get(s.channel, queue, auto_ack=True)
            got.append((body.decode(), method.redelivered))
        eq("requeued", got, [("1", True), ("3", True), ("5", True)])
        eq("left", drain(s.channel, queue), [])


@check
def prefetch():
    """consume: basic.qos prefetch_count limits unacked deliveries"""
    with Session() as s:
        queue = temp_queue(s.channel)
        consumer = s.new_channel()
        consumer.basic_qos(prefetch_count=2)
        got = []
        consumer.basic_consume(queue, lambda ch, m, p, body: got.append(m))
        for n in range(5):
            s.channel.basic_publish("", queue, str(n).encode())
        pump(s.connection, lambda: len(got) == 2, what="2 deliveries")
        settle(s.connection, 0.3)
        eq("in flight", len(got), 2)
        eq("ready", count(s.channel, queue), 3)
        consumer.basic_ack(got[1].delivery_tag, multiple=True)
        pump(s.connection, lambda: len(got) == 4, what="4 deliveries")
        settle(s.connection, 0.2)
        eq("in flight after ack", len(got), 4)


@check
def requeue_order():
    """ack: nack/reject requeue come back redelivered in original order; multiple ack"""
    with Session() as s:
        channel = s.channel
        queue = temp_queue(channel)
        channel.confirm_delivery()
        for body in ("1", "2", "3", "4"):
            channel.basic_publish("", queue, body.encode())
        tags = [wait_get(channel, queue)[0].delivery_tag for _ in range(3)]
        channel.basic_reject(tags[1], requeue=True)
        channel.basic_nack(tags[2], multiple=False, requeue=True)
        channel.basic_nack(tags[0], multiple=False, requeue=True)
        got = []
        for _ in range(4):
            method, _, body = wait_get(channel, queue)
            got.append((body.decode(), method.redelivered, method.delivery_tag))
        eq("order", [(b, r) for b, r, _ in got], [("1", True), ("2", True), ("3", True), ("4", False)])
        channel.basic_ack(got[2][2], multiple=True)  # acks 1, 2, 3
        s.new_channel().close()
        channel.close()
        check_channel = s.new_channel()
        method, _, body = wait_get(check_channel, queue, auto_ack=True)
        eq("left after multiple ack", (body, method.redelivered), (b"4", True))
        eq("rest", drain(check_channel, queue), [])


@check
def recover():
    """consume: basic.recover requeue=true redelivers unacked messages"""
    with Session() as s:
        queue = temp_queue(s.channel)
        got = []
        s.channel.basic_consume(queue, lambda ch, m, p, body: got.append((body.decode(), m.redelivered)))
        s.channel.basic_publish("", queue, b"r1")
        pump(s.connection, lambda: len(got) == 1)
        s.channel.basic_recover(requeue=True)
        pump(s.connection, lambda: len(got) == 2)
        eq("deliveries", got, [("r1", False), ("r1", True)])


@check
def cancel():
    """consume: client cancel stops deliveries; deleting the queue sends basic.cancel"""
    with Session() as s:
        queue = temp_queue(s.channel)
        got = []
        s.channel.basic_consume(queue, lambda ch, m, p, body: got.append(body), auto_ack=True, consumer_tag="mine")
        s.channel.basic_cancel("mine")
        s.channel.basic_publish("", queue, b"after cancel")
        settle(s.connection, 0.1)
        eq("deliveries after cancel", got, [])
        eq("queued", count(s.channel, queue), 1)
        name = "pika-cancel" + SUFFIX
        try:
            cancels = []
            channel = s.new_channel()
            channel.add_on_cancel_callback(lambda frame: cancels.append(frame.method.consumer_tag))
            channel.queue_declare(name)
            channel.basic_consume(name, lambda *a: None, consumer_tag="watched")
            s.new_channel().queue_delete(name)
            pump(s.connection, lambda: cancels, what="basic.cancel from the server")
            eq("cancelled", cancels, ["watched"])
            eq("channel open", channel.is_open, True)
        finally:
            cleanup(queues=[name])


@check
def exclusive_consumer():
    """consume: an exclusive consumer makes a second consumer 403"""
    name = "pika-exclc" + SUFFIX
    try:
        with Session() as s:
            s.channel.queue_declare(name, auto_delete=True)
            s.channel.basic_consume(name, lambda *a: None, exclusive=True)
            expect_channel_error("second consumer", 403,
                                 "ACCESS_REFUSED - queue '%s' in vhost '/' in exclusive use" % name,
                                 s.new_channel().basic_consume, name, lambda *a: None)
    finally:
        cleanup(queues=[name])


# --- confirms and transactions -----------------------------------------------------------------

@check
def confirms():
    """confirms: 1000 publishes confirmed"""
    with Session() as s:
        queue = temp_queue(s.channel)
        s.channel.confirm_delivery()
        for n in range(1000):
            s.channel.basic_publish("", queue, b"x")  # raises NackError on a nack
        eq("messages", count(s.channel, queue), 1000)


@check
def transactions():
    """tx: select, rollback drops, commit applies; commit without select is 406"""
    with Session() as s:
        queue = temp_queue(s.channel)
        tx = s.new_channel()
        tx.tx_select()
        tx.basic_publish("", queue, b"rolled back")
        tx.tx_rollback()
        tx.basic_publish("", queue, b"committed")
        eq("before commit", count(s.channel, queue), 0)
        tx.tx_commit()
        eq("after commit", drain(s.channel, queue), ["committed"])
        expect_channel_error("commit", 406, "PRECONDITION_FAILED - channel is not transactional",
                             s.new_channel().tx_commit)
