"""The Python interop scenario adapted to Celery (tasks.py): a worker started here runs tasks from
a durable queue that dead-letters to a fanout exchange, results come back over rpc://, and every
publish waits for the broker's confirm.

    python3 scenario.py amqp://guest:guest@127.0.0.1:5672/

Prints "ok NAME" / "FAIL NAME: detail" per check, then "N passed, M failed"; exits 1 on failure.
The worker is killed at the end whatever happened.
"""
import hashlib
import os
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "py-common"))
import common  # noqa: E402

URL = common.url_from_argv()
# tasks.py reads these, here and in the worker, so both talk to the same broker and queues.
os.environ.update(INTEROP_BROKER_URL=URL, INTEROP_SUFFIX=common.SUFFIX)
sys.path.insert(0, HERE)
import tasks  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

dlx = Exchange(tasks.DLX, type="fanout", durable=False)
dlq = Queue(tasks.DLQ, exchange=dlx, routing_key="", durable=False)
NESTED = {"trace": {"id": "t-1", "hops": [1, "two", {"three": 3}], "deep": {"level": 2, "ok": True}},
          "n": 1, "none": None, "float": 2.5}
BIG = "".join((string.ascii_letters + string.digits)[k % 62] for k in range(300000))
state = {}


def start_worker():
    """Declares the dead-letter exchange and queue, then starts one solo worker on the task queue
    and waits for its "ready" line."""
    with Connection(URL, connect_timeout=10) as connection:
        dlq(connection.channel()).declare()
    state["log"] = tempfile.NamedTemporaryFile(prefix="interop-celery-", suffix=".log")
    state["worker"] = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo",
         "--concurrency=1", "-Q", tasks.TASK_QUEUE, "-n", "interop-%s@%%h" % common.SUFFIX,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=HERE, stdout=state["log"], stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env=dict(os.environ, INTEROP_WORKER_HEARTBEAT="4"))
    while b"ready." not in worker_log():
        if state["worker"].poll() is not None:
            raise AssertionError("worker exited with %s: %s"
                                 % (state["worker"].returncode, worker_log()[-800:]))
        time.sleep(0.1)


def worker_log():
    with open(state["log"].name, "rb") as log:
        return log.read()


def nested_arguments():
    result = tasks.echo.delay(NESTED, [NESTED, [1, [2, [3]]]], flag=True, text="é")
    common.same("echo", result.get(timeout=15),
                {"args": [NESTED, [NESTED, [1, [2, [3]]]]], "kwargs": {"flag": True, "text": "é"}})


def big_argument():
    got = tasks.digest.delay(BIG).get(timeout=15)
    common.eq("length", got.get("length"), len(BIG))
    common.eq("sha256", got.get("sha256"), hashlib.sha256(BIG.encode()).hexdigest())
    common.eq("reversed text is the argument reversed", got.get("reversed") == BIG[::-1], True)


def rejected_task():
    result = tasks.reject.delay()
    with Connection(URL, connect_timeout=10) as connection:
        bound = dlq(connection.channel())
        message = common.retry("a message in %s" % tasks.DLQ, lambda: bound.get(no_ack=False), 10)
        try:
            # Celery publishes to a direct queue through the default exchange ("") with the
            # queue's name as routing key. Its protocol 2 carries the task's name and id in the
            # headers; they must survive dead-lettering.
            common.check_dead_lettered(message.headers, tasks.TASK_QUEUE,
                                       {"task": "tasks.reject", "id": result.id})
        finally:
            message.ack()  # even after a failed assertion, so the next check sees the broker


def concurrent_delays():
    results = [tasks.add.delay(i, 1000) for i in range(20)]  # all in flight before any result
    common.eq("results", [r.get(timeout=15) for r in results], [i + 1000 for i in range(20)])


def nothing_left():
    with Connection(URL, connect_timeout=10) as connection:
        channel = connection.channel()
        for queue in (tasks.task_queue, dlq):
            common.retry("%s empty" % queue.name, lambda: True if queue(channel).queue_declare(
                passive=True).message_count == 0 else None, 3)


def stop_worker():
    """Kills the worker this program started (by its pid) and deletes what the scenario made."""
    worker = state.get("worker")
    if worker is not None and worker.poll() is None:
        # Celery's shutdown waits for its event loop's next wake-up (up to 2 s with the worker's
        # heartbeat, see tasks.py), so the worker gets one second to exit before it is killed.
        worker.terminate()
        try:
            worker.wait(1)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
    with Connection(URL, connect_timeout=5) as connection:
        channel = connection.channel()
        for queue in (tasks.task_queue, dlq):
            common.quietly(queue(channel).delete)
        common.quietly(tasks.task_queue.exchange(channel).delete)
        common.quietly(dlx(channel).delete)


try:
    if common.check("worker starts", start_worker):
        common.check("nested arguments and results through rpc://", nested_arguments)
        common.check("300,000-byte argument and result", big_argument)
        common.check("Reject(requeue=False) dead-letters with x-death", rejected_task)
        common.check("20 concurrent delays", concurrent_delays)
        common.check("nothing left behind", nothing_left)
finally:
    common.quietly(stop_worker, timeout=10)
    common.quietly(tasks.app.close)
common.finish()
