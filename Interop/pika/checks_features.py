"""TTL, length limit, dead lettering, queue feature and error checks."""
from harness import *  # noqa: F401,F403 (the checks share the harness's helpers and names)


# --- TTL, length limits, dead lettering --------------------------------------------------------

def check_death(what, death, count_, reason, queue, exchange, keys, **extra):
    stamp = naive(death.get("time"))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if not isinstance(stamp, datetime.datetime) or abs((now - stamp).total_seconds()) > 60:
        raise AssertionError("%s: time %r" % (what, stamp))
    want = dict({"count": count_, "reason": reason, "queue": queue, "time": death.get("time"), "exchange": exchange,
                 "routing-keys": keys}, **extra)
    eq(what, death, want)


@check
def dead_letter_reject():
    """dead-letter: reject(requeue=false) gives x-death and x-first-death-*, DLX and DL routing key"""
    source, dlx = "pika-dlsrc" + SUFFIX, "pika-dlx" + SUFFIX
    try:
        with Session() as s:
            channel = s.channel
            channel.exchange_declare(source, "topic")
            channel.exchange_declare(dlx, "direct")
            dlq = temp_queue(channel)
            channel.queue_bind(dlq, dlx, "dead")
            work = temp_queue(channel, {"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead"})
            channel.queue_bind(work, source, "orders.*")
            channel.confirm_delivery()
            channel.basic_publish(source, "orders.new", b"bad", pika.BasicProperties(headers={"app": "v"}))
            channel.basic_reject(wait_get(channel, work)[0].delivery_tag, requeue=False)
            method, properties, body = wait_get(channel, dlq, auto_ack=True)
            eq("delivery", (body, method.exchange, method.routing_key), (b"bad", dlx, "dead"))
            headers = properties.headers
            eq("header keys", sorted(headers), ["app", "x-death", "x-first-death-exchange", "x-first-death-queue",
                                                "x-first-death-reason"])
            eq("x-first-death", (headers["x-first-death-reason"], headers["x-first-death-queue"],
                                 headers["x-first-death-exchange"]), ("rejected", work, source))
            eq("x-death length", len(headers["x-death"]), 1)
            check_death("x-death[0]", headers["x-death"][0], 1, "rejected", work, source, ["orders.new"])
    finally:
        cleanup(exchanges=[source, dlx])


@check
def ttl_expiry():
    """ttl: x-message-ttl and per-message expiration dead-letter with reason expired"""
    with Session() as s:
        channel = s.channel
        dlq = temp_queue(channel)
        per_message = temp_queue(channel, {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
        channel.basic_publish("", per_message, b"per-message", pika.BasicProperties(expiration="20"))
        method, properties, body = wait_get(channel, dlq, auto_ack=True)
        eq("per-message", (body, method.exchange, method.routing_key, properties.expiration),
           (b"per-message", "", dlq, None))
        check_death("per-message x-death", properties.headers["x-death"][0], 1, "expired", per_message, "",
                    [per_message], **{"original-expiration": "20"})
        # x-message-ttl, no dead-letter routing key: the message keeps its original key
        work = temp_queue(channel, {"x-message-ttl": 40, "x-dead-letter-exchange": "amq.direct"})
        channel.queue_bind(dlq, "amq.direct", "ttl-key")
        channel.queue_bind(work, "amq.topic", "ttl-key")
        channel.basic_publish("amq.topic", "ttl-key", b"queue-ttl")
        method, properties, body = wait_get(channel, dlq, auto_ack=True)
        eq("queue ttl", (body, method.exchange, method.routing_key), (b"queue-ttl", "amq.direct", "ttl-key"))
        check_death("queue-ttl x-death", properties.headers["x-death"][0], 1, "expired", work, "amq.topic",
                    ["ttl-key"])


@check
def max_length():
    """max-length: drop-head dead-letters with maxlen; reject-publish nacks"""
    with Session() as s:
        channel = s.channel
        dlq = temp_queue(channel)
        work = temp_queue(channel, {"x-max-length": 1, "x-dead-letter-exchange": "",
                                    "x-dead-letter-routing-key": dlq})
        channel.confirm_delivery()
        channel.basic_publish("", work, b"old")
        channel.basic_publish("", work, b"new")
        method, properties, body = wait_get(channel, dlq, auto_ack=True)
        eq("dropped head", body, b"old")
        check_death("x-death", properties.headers["x-death"][0], 1, "maxlen", work, "", [work])
        eq("kept", drain(channel, work), ["new"])
        full = temp_queue(channel, {"x-max-length": 1, "x-overflow": "reject-publish"})
        channel.basic_publish("", full, b"fits")
        try:
            channel.basic_publish("", full, b"does not fit")
        except pika.exceptions.NackError:
            pass
        else:
            raise AssertionError("no nack")
        eq("kept", drain(channel, full), ["fits"])


# --- queue types and features ------------------------------------------------------------------

@check
def priority():
    """priority: x-max-priority delivers higher priorities first"""
    with Session() as s:
        queue = temp_queue(s.channel, {"x-max-priority": 10})
        s.channel.confirm_delivery()
        for body, p in (("low", 1), ("none", None), ("high", 9), ("mid", 5), ("high2", 9)):
            s.channel.basic_publish("", queue, body.encode(), pika.BasicProperties(priority=p))
        eq("order", drain(s.channel, queue), ["high", "high2", "mid", "low", "none"])


@check
def single_active_consumer():
    """single-active-consumer: only the first consumer receives"""
    with Session() as s:
        queue = temp_queue(s.channel, {"x-single-active-consumer": True})
        got = {"a": [], "b": []}
        for tag in ("a", "b"):
            s.channel.basic_consume(queue, lambda ch, m, p, body, tag=tag: got[tag].append(body.decode()),
                                    auto_ack=True, consumer_tag=tag)
        for n in range(4):
            s.channel.basic_publish("", queue, str(n).encode())
        pump(s.connection, lambda: len(got["a"]) == 4, what="4 deliveries to a")
        settle(s.connection, 0.2)
        eq("deliveries", got, {"a": ["0", "1", "2", "3"], "b": []})
        s.channel.basic_cancel("a")
        s.channel.basic_publish("", queue, b"4")
        pump(s.connection, lambda: got["b"], what="delivery to b")
        eq("after cancel", got["b"], ["4"])


@check
def quorum_delivery_limit():
    """quorum: x-delivery-limit dead-letters with delivery_limit; x-delivery-count on redeliveries"""
    name = "pika-quorum" + SUFFIX
    try:
        with Session() as s:
            channel = s.channel
            dlq = temp_queue(channel)
            channel.queue_declare(name, durable=True, arguments={
                "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": dlq})
            channel.confirm_delivery()
            channel.basic_publish("", name, b"poison")
            seen = []
            for _ in range(2):
                method, properties, _ = wait_get(channel, name)
                seen.append((method.redelivered, (properties.headers or {}).get("x-delivery-count")))
                channel.basic_nack(method.delivery_tag, requeue=True)
            eq("deliveries", seen, [(False, 0), (True, 1)])
            method, properties, body = wait_get(channel, dlq, auto_ack=True)
            eq("dead-lettered", body, b"poison")
            check_death("x-death", properties.headers["x-death"][0], 1, "delivery_limit", name, "", [name])
            eq("quorum queue", count(channel, name), 0)
    finally:
        cleanup(queues=[name])


# --- errors ------------------------------------------------------------------------------------

@check
def immediate():
    """error: immediate=true closes the connection with 540"""
    with Session() as s:
        # pika's public API has no immediate flag; send the method through the channel implementation.
        s.channel._impl._send_method(pika.spec.Basic.Publish(exchange="", routing_key="x", immediate=True),
                                     (pika.BasicProperties(), b"x"))
        expect_connection_error("immediate", 540, "NOT_IMPLEMENTED - immediate=true",
                                settle, s.connection, 2)


@check
def qos_prefetch_size():
    """error: basic.qos prefetch_size != 0 closes the connection with 540"""
    with Session() as s:
        expect_connection_error("basic.qos", 540, "NOT_IMPLEMENTED - prefetch_size!=0 (100)",
                                s.channel.basic_qos, prefetch_size=100)


@check
def unknown_delivery_tag():
    """error: ack of an unknown delivery tag is channel error 406; the connection survives"""
    with Session() as s:
        s.channel.basic_ack(7)
        expect_channel_error("ack", 406, "PRECONDITION_FAILED - unknown delivery tag 7",
                             s.channel.queue_declare, "", exclusive=True)
        eq("connection open", s.connection.is_open, True)
        temp_queue(s.new_channel())


@check
def missing_exchange():
    """error: publish to a missing exchange is channel error 404; the connection survives"""
    name = "pika-nox" + SUFFIX
    with Session() as s:
        s.channel.basic_publish(name, "k", b"x")
        expect_channel_error("publish", 404, "NOT_FOUND - no exchange '%s' in vhost '/'" % name,
                             s.channel.queue_declare, "", exclusive=True)
        channel = s.new_channel()
        queue = temp_queue(channel)
        channel.basic_publish("", queue, b"fine")
        eq("after the error", wait_get(channel, queue, auto_ack=True)[2], b"fine")
