"""Shared by the Python client scenarios (py-amqp, kombu, aio-pika, celery): the check runner, the
names, the messages the scenario publishes and the assertions on what comes back, so that every
client is held to exactly the same expectations (written against RabbitMQ 3.10.8's behaviour).

Each scenario adds this folder to sys.path relative to its own file and does `import common`.
"""
import asyncio
import random
import signal
import sys
import time
import urllib.parse

CHECK_TIMEOUT = 20  # seconds per check; a check that takes longer fails, the program goes on


def url_from_argv():
    if len(sys.argv) != 2:
        sys.exit("usage: %s AMQP-URL" % sys.argv[0])
    return sys.argv[1]


def parse_url(url):
    """(host, port, user, password, vhost) from an amqp:// URL, for clients that take them apart.
    amqp://h:p/ means the default vhost "/", as kombu and pika read it."""
    parts = urllib.parse.urlsplit(url)
    vhost = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return (parts.hostname, parts.port or 5672, urllib.parse.unquote(parts.username or "guest"),
            urllib.parse.unquote(parts.password or "guest"), vhost)


# A random suffix keeps concurrent or leftover runs from seeing each other's queues.
SUFFIX = "%08x" % random.getrandbits(32)
DLX = "interop-dlx-" + SUFFIX
DLQ = "interop-dlq-" + SUFFIX
WORK = "interop-work-" + SUFFIX
WORK_ARGUMENTS = {"x-dead-letter-exchange": DLX}

# 300,000 bytes is more than two 131072-byte frames, so the body travels in three body frames.
BIG_BODY = bytes(k % 251 for k in range(300000))


def body(i):
    return ("message %d" % i).encode()


def headers(i):
    """Nested tables and arrays of mixed types: what the encoders and decoders must round-trip.
    "ms" is beyond 32 bits: py-amqp writes it with the type "L", which RabbitMQ reads."""
    return {"trace": {"id": "t-%d" % i, "hops": [1, "two", {"three": 3}],
                      "deep": {"level": 2, "ok": True}},
            "n": i, "ms": 1764748800000 + i}


# --- comparisons ------------------------------------------------------------------------------

def same(what, got, want):
    """Deep equality that accepts any int type (and bytes for str) but keeps bools apart from ints:
    True == 1 in Python, and a broker that turned a boolean into an int must not pass."""
    if isinstance(want, bool):
        if not isinstance(got, bool) or got != want:
            raise AssertionError("%s: got %r, want %r" % (what, got, want))
    elif isinstance(want, int):
        if isinstance(got, bool) or not isinstance(got, int) or got != want:
            raise AssertionError("%s: got %r, want %r" % (what, got, want))
    elif isinstance(want, str):
        if isinstance(got, (bytes, bytearray)):
            got = bytes(got).decode("utf-8", "replace")
        if got != want:
            raise AssertionError("%s: got %r, want %r" % (what, got, want))
    elif isinstance(want, dict):
        if not isinstance(got, dict):
            raise AssertionError("%s: got %r, want a table" % (what, got))
        if set(got) != set(want):
            raise AssertionError("%s: keys %s, want %s" % (what, sorted(got), sorted(want)))
        for key in want:
            same("%s.%s" % (what, key), got[key], want[key])
    elif isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            raise AssertionError("%s: got %r, want %r" % (what, got, want))
        for index, (g, w) in enumerate(zip(got, want)):
            same("%s[%d]" % (what, index), g, w)
    elif got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def check_body(what, got, want):
    got = bytes(got) if not isinstance(got, str) else got.encode()
    if got != want:
        first = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]), None)
        raise AssertionError("%s: %d bytes, want %d; first difference at %s"
                             % (what, len(got), len(want), first))


def check_dead_lettered(hdrs, queue, original_headers=None, exchange=""):
    """The headers RabbitMQ adds when it dead-letters a message rejected from `queue` without
    requeue, which was published to `exchange` with routing key `queue`."""
    if hdrs is None:
        raise AssertionError("dead-lettered message has no headers")
    deaths = hdrs.get("x-death")
    if not isinstance(deaths, (list, tuple)) or len(deaths) != 1:
        raise AssertionError("x-death: got %r, want a list of one table" % (deaths,))
    death = deaths[0]
    if not isinstance(death, dict):
        raise AssertionError("x-death[0]: got %r, want a table" % (death,))
    same("x-death[0].count", death.get("count"), 1)
    same("x-death[0].reason", death.get("reason"), "rejected")
    same("x-death[0].queue", death.get("queue"), queue)
    same("x-death[0].exchange", death.get("exchange"), exchange)
    same("x-death[0].routing-keys", death.get("routing-keys"), [queue])
    if "time" not in death:
        raise AssertionError("x-death[0] has no time: %r" % (death,))
    same("x-first-death-reason", hdrs.get("x-first-death-reason"), "rejected")
    same("x-first-death-queue", hdrs.get("x-first-death-queue"), queue)
    same("x-first-death-exchange", hdrs.get("x-first-death-exchange"), exchange)
    for key, value in (original_headers or {}).items():
        same(key, hdrs.get(key), value)


def retry(what, function, timeout=5.0, pause=0.05):
    """Calls function until it returns something other than None (brokers dead-letter and settle
    acks asynchronously); fails with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        result = function()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %ss" % (what, timeout))
        time.sleep(pause)


def eq(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


# --- the check runner -------------------------------------------------------------------------

class CheckTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CheckTimeout("timed out after %ds" % CHECK_TIMEOUT)


RESULTS = {"passed": 0, "failed": 0}


def _report(name, error):
    if error is None:
        RESULTS["passed"] += 1
        print("ok %s" % name)
    else:
        RESULTS["failed"] += 1
        detail = ("%s: %s" % (type(error).__name__, error)).replace("\n", " ")
        print("FAIL %s: %s" % (name, detail))
    sys.stdout.flush()


def check(name, function, timeout=CHECK_TIMEOUT):
    """Runs a blocking check under SIGALRM, so a check that waits forever still ends."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    error = None
    try:
        function()
    except BaseException as e:  # a failed check is reported, never fatal (KeyboardInterrupt aside)
        if isinstance(e, KeyboardInterrupt):
            raise
        error = e
    finally:
        signal.alarm(0)
    _report(name, error)
    return error is None


async def acheck(name, coroutine_function, timeout=CHECK_TIMEOUT):
    """Runs an asyncio check, cancelled after `timeout` seconds. (Not asyncio.wait_for: a
    client's own timeout inside the check must not be reported as the check's.)"""
    task = asyncio.ensure_future(coroutine_function())
    done, _ = await asyncio.wait({task}, timeout=timeout)
    error = None
    if not done:
        task.cancel()
        await asyncio.wait({task})  # let the cancellation finish before the next check runs
        error = CheckTimeout("timed out after %ds" % timeout)
    elif task.exception() is not None:
        error = task.exception()
    _report(name, error)
    return error is None


_QUIET = {"depth": 0}


def quietly(function, *args, timeout=5, **kwargs):
    """Cleanup: never lets an error (or a hang, via SIGALRM) stop the program from reporting. A
    nested call runs under the outer call's alarm."""
    outer = _QUIET["depth"] > 0
    _QUIET["depth"] += 1
    if not outer:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
    try:
        function(*args, **kwargs)
    except Exception:
        pass
    finally:
        _QUIET["depth"] -= 1
        if not outer:
            signal.alarm(0)


def finish():
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    sys.stdout.flush()
    sys.exit(1 if RESULTS["failed"] else 0)


# The scenario's steps, named as every client of the matrix names them.
STEPS = ("confirmed persistent publishes with nested headers", "multi-frame body", "manual acks",
         "rejection dead-letters with x-death", "nothing left behind")


def run_scenario(setup, steps, cleanup):
    """Runs setup, then each step (in STEPS' order) if setup passed, then cleanup whatever
    happened; prints the summary line and exits."""
    if check("connect and declare the topology", setup):
        for name, step in zip(STEPS, steps):
            check(name, step)
    quietly(cleanup)
    finish()


async def arun_scenario(setup, steps, cleanup):
    """run_scenario for asyncio clients (finish() is left to the caller, outside the loop)."""
    if await acheck("connect and declare the topology", setup):
        for name, step in zip(STEPS, steps):
            await acheck(name, step)
    try:
        await asyncio.wait_for(cleanup(), 5)
    except Exception:
        pass  # cleanup is best effort; the checks have reported already

