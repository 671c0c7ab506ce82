"""Harness and helpers shared by the pika interop checks (see interop.py)."""
import datetime
import decimal
import random
import re
import signal
import sys
import time

import pika
import pika.exceptions
import pika.spec

if len(sys.argv) not in (2, 5):
    sys.exit("usage: interop.py AMQP-URL [AMQPS-URL CA-FILE MANAGEMENT-URL]")
URL = sys.argv[1]
# With them, the TLS checks run too (checks_tls.py).
TLS = tuple(sys.argv[2:5]) if len(sys.argv) == 5 else None
SUFFIX = "-%d" % random.randint(0, 2**31)
RESULTS = {"passed": 0, "failed": 0}
CHECK_TIMEOUT = 20


class CheckTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CheckTimeout("timed out after %ds" % CHECK_TIMEOUT)


signal.signal(signal.SIGALRM, _alarm)


def check(function):
    """Runs a check at once; its docstring is its name."""
    name = function.__doc__.strip()
    signal.alarm(CHECK_TIMEOUT)
    try:
        function()
    except Exception as error:  # a failed check is reported, never fatal
        signal.alarm(0)
        RESULTS["failed"] += 1
        print("FAIL %s: %s" % (name, ("%s: %s" % (type(error).__name__, error)).replace("\n", " ")))
    else:
        signal.alarm(0)
        RESULTS["passed"] += 1
        print("ok %s" % name)
    sys.stdout.flush()
    return function


# --- helpers ----------------------------------------------------------------------------------

def connect(**overrides):
    parameters = pika.URLParameters(URL)
    for key, value in overrides.items():
        setattr(parameters, key, value)
    return pika.BlockingConnection(parameters)


class Session:
    """A connection and a channel, closed on exit whatever happened."""

    def __enter__(self):
        self.connection = connect()
        self.channel = self.connection.channel()
        return self

    def __exit__(self, *exc):
        try:
            if self.connection.is_open:
                self.connection.close()
        except Exception:
            pass

    def new_channel(self):
        return self.connection.channel()


def eq(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def expect_channel_error(what, code, text, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except pika.exceptions.ChannelClosedByBroker as error:
        eq(what, (error.reply_code, error.reply_text), (code, text))
    else:
        raise AssertionError("%s: no channel error, want %d %r" % (what, code, text))


def expect_connection_error(what, code, text, function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except pika.exceptions.ConnectionClosedByBroker as error:
        eq(what, (error.reply_code, error.reply_text), (code, text))
    except pika.exceptions.ChannelClosedByBroker as error:
        raise AssertionError("%s: channel error %d %r, want connection error %d %r"
                             % (what, error.reply_code, error.reply_text, code, text))
    else:
        raise AssertionError("%s: no connection error, want %d %r" % (what, code, text))


def temp_queue(channel, arguments=None):
    return channel.queue_declare("", exclusive=True, arguments=arguments).method.queue


def wait_get(channel, queue, auto_ack=False, timeout=3.0):
    deadline = time.time() + timeout
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=auto_ack)
        if method is not None:
            return method, properties, body
        if time.time() > deadline:
            raise AssertionError("queue %s stayed empty for %ss" % (queue, timeout))
        time.sleep(0.01)


def drain(channel, queue):
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(body.decode())


def count(channel, queue):
    return channel.queue_declare(queue, passive=True).method.message_count


def pump(connection, until, timeout=3.0, what="condition"):
    """Processes I/O until until() is true."""
    deadline = time.time() + timeout
    while not until():
        if time.time() > deadline:
            raise AssertionError("%s not reached within %ss" % (what, timeout))
        connection.process_data_events(time_limit=0.02)


def settle(connection, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        connection.process_data_events(time_limit=0.02)


def cleanup(queues=(), exchanges=()):
    try:
        with Session() as s:
            for q in queues:
                try:
                    s.new_channel().queue_delete(q)
                except Exception:
                    pass
            for x in exchanges:
                try:
                    s.new_channel().exchange_delete(x)
                except Exception:
                    pass
    except Exception:
        pass


def naive(value):
    """pika 1.2 decodes timestamps as naive UTC datetimes, 1.3+ as aware ones."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def publish_confirmed(channel, exchange, key, body, properties=None, mandatory=False):
    """basic_publish on a confirm channel: raises NackError / UnroutableError."""
    channel.basic_publish(exchange, key, body.encode() if isinstance(body, str) else body, properties,
                          mandatory=mandatory)
