"""Interop checks for an AMQP 0-9-1 broker with Python's pika, written against RabbitMQ 3.10.8's
behaviour and run by scripts/interop against both RabbitMQ and Warren's embedded broker.

    python3 interop.py amqp://guest:guest@127.0.0.1:5672/

Prints "ok NAME" or "FAIL NAME: detail" per check and ends with "N passed, M failed".
"""
import random
import sys
import time

import pika
import pika.exceptions

URL = sys.argv[1]
SUFFIX = "-%d" % random.randint(0, 2**31)
RESULTS = {"passed": 0, "failed": 0}


def check(function):
    name = function.__doc__.strip()
    try:
        function()
    except Exception as error:  # a failed check is reported, never fatal
        RESULTS["failed"] += 1
        print("FAIL %s: %r" % (name, error))
    else:
        RESULTS["passed"] += 1
        print("ok %s" % name)
    return function


def connect():
    return pika.BlockingConnection(pika.URLParameters(URL))


def expect(condition, detail):
    if not condition:
        raise AssertionError(detail)


@check
def declare_publish_get():
    """declare, publish with properties and headers, get them back"""
    with connect() as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        expect(queue.startswith("amq.gen-"), queue)
        properties = pika.BasicProperties(content_type="text/plain", delivery_mode=2, priority=3,
                                          correlation_id="c1", message_id="m1", app_id="pika",
                                          headers={"n": 1, "s": "text", "nested": {"b": True}, "list": [1, "a"]})
        channel.basic_publish("", queue, b"hello", properties)
        method, got, body = channel.basic_get(queue, auto_ack=True)
        expect(body == b"hello", body)
        expect(got.content_type == "text/plain" and got.delivery_mode == 2 and got.priority == 3, got)
        expect(got.headers == {"n": 1, "s": "text", "nested": {"b": True}, "list": [1, "a"]}, got.headers)
        expect(channel.basic_get(queue)[0] is None, "queue not empty")


@check
def consume_ack_and_requeue():
    """consume with manual ack; reject with requeue comes back redelivered"""
    with connect() as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        for n in range(3):
            channel.basic_publish("", queue, b"m%d" % n)
        channel.basic_qos(prefetch_count=1)
        seen = []
        for method, properties, body in channel.consume(queue, inactivity_timeout=2):
            expect(method is not None, "consumer timed out after %r" % seen)
            seen.append((body, method.redelivered))
            if body == b"m0" and not method.redelivered:
                channel.basic_reject(method.delivery_tag, requeue=True)
            else:
                channel.basic_ack(method.delivery_tag)
            if len(seen) == 4:
                break
        channel.cancel()
        expect(seen == [(b"m0", False), (b"m0", True), (b"m1", False), (b"m2", False)], seen)


@check
def confirms_and_mandatory():
    """confirm mode acks routed messages and raises UnroutableError for mandatory ones"""
    with connect() as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        queue = channel.queue_declare("", exclusive=True).method.queue
        for _ in range(100):
            channel.basic_publish("", queue, b"x")
        try:
            channel.basic_publish("", "pika-nowhere" + SUFFIX, b"lost", mandatory=True)
        except pika.exceptions.UnroutableError as error:
            returned = error.messages[0]
            expect(returned.method.reply_code == 312 and returned.method.reply_text == "NO_ROUTE", returned.method)
        else:
            raise AssertionError("no return")
        count = channel.queue_declare(queue, passive=True).method.message_count
        expect(count == 100, count)


@check
def dead_letter_on_expiry():
    """per-message TTL dead-letters with reason expired and original-expiration"""
    with connect() as connection:
        channel = connection.channel()
        dlq = "pika-dlq" + SUFFIX
        channel.queue_declare(dlq, auto_delete=True)
        work = channel.queue_declare("", exclusive=True, arguments={
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq}).method.queue
        channel.basic_publish("", work, b"stale", pika.BasicProperties(expiration="20"))
        deadline = time.time() + 3
        method = None
        while method is None and time.time() < deadline:
            time.sleep(0.05)
            method, properties, body = channel.basic_get(dlq, auto_ack=True)
        expect(method is not None, "nothing dead-lettered")
        death = properties.headers["x-death"][0]
        expect(death["reason"] == "expired" and death["queue"] == work, death)
        expect(death["original-expiration"] == "20" and properties.expiration is None, properties)
        expect(method.routing_key == dlq and body == b"stale", method)
        channel.queue_delete(dlq)


@check
def overflow_reject_publish():
    """x-overflow reject-publish nacks the publish that does not fit"""
    with connect() as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        queue = channel.queue_declare("", exclusive=True, arguments={
            "x-max-length": 1, "x-overflow": "reject-publish"}).method.queue
        channel.basic_publish("", queue, b"fits")
        try:
            channel.basic_publish("", queue, b"does not fit")
        except pika.exceptions.NackError:
            pass
        else:
            raise AssertionError("no nack")


@check
def channel_errors():
    """404 on a missing queue closes the channel, not the connection"""
    with connect() as connection:
        channel = connection.channel()
        try:
            channel.queue_declare("pika-missing" + SUFFIX, passive=True)
        except pika.exceptions.ChannelClosedByBroker as error:
            expect(error.reply_code == 404, error)
            expect(error.reply_text.startswith("NOT_FOUND - no queue 'pika-missing"), error.reply_text)
        else:
            raise AssertionError("no error")
        expect(connection.is_open, "connection closed")
        connection.channel().queue_declare("", exclusive=True)


@check
def exchange_to_exchange():
    """exchange-to-exchange bindings route through both exchanges"""
    with connect() as connection:
        channel = connection.channel()
        source, destination = "pika-source" + SUFFIX, "pika-destination" + SUFFIX
        channel.exchange_declare(source, "fanout", auto_delete=True)
        channel.exchange_declare(destination, "direct", auto_delete=True)
        channel.exchange_bind(destination, source)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, destination, routing_key="k")
        channel.basic_publish(source, "k", b"through")
        channel.basic_publish(source, "other", b"dropped")
        time.sleep(0.1)
        bodies = []
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            bodies.append(body)
        expect(bodies == [b"through"], bodies)
        channel.exchange_delete(source)
        channel.exchange_delete(destination)


@check
def bad_credentials():
    """wrong password is refused"""
    bad = URL.replace("guest:guest@", "guest:wrong@", 1)
    try:
        pika.BlockingConnection(pika.URLParameters(bad))
    except pika.exceptions.ProbableAuthenticationError as error:
        expect("ACCESS_REFUSED" in str(error), error)
    else:
        raise AssertionError("login accepted")


print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
sys.exit(1 if RESULTS["failed"] else 0)
