"""The Python interop scenario with aio-pika (asyncio, over aiormq and pamqp): confirmed
persistent publishes with nested headers, a multi-frame body, manual acks, rejection
dead-lettering with x-death, and nothing left behind.

    python3 scenario.py amqp://guest:guest@127.0.0.1:5672/

Prints "ok NAME" / "FAIL NAME: detail" per check, then "N passed, M failed"; exits 1 on failure.
"""
import asyncio
import os
import sys

import aio_pika
from pamqp.commands import Basic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py-common"))
import common  # noqa: E402
from common import BIG_BODY, DLQ, DLX, WORK, body, headers  # noqa: E402

URL = common.url_from_argv()
state = {"received": []}


async def setup():
    state["connection"] = await aio_pika.connect(URL, timeout=10)
    # publisher_confirms: each publish awaits the broker's answer; a basic.nack raises.
    channel = await state["connection"].channel(publisher_confirms=True)
    dlx = await channel.declare_exchange(DLX, aio_pika.ExchangeType.FANOUT, durable=False)
    dlq = await channel.declare_queue(DLQ, durable=False)
    await dlq.bind(dlx, routing_key="")
    state["work"] = await channel.declare_queue(WORK, durable=True,
                                                arguments=common.WORK_ARGUMENTS)
    state.update(channel=channel, dlx=dlx, dlq=dlq)


async def publish_confirmed(message):
    # mandatory=False: an unroutable message would just be confirmed, no basic.return involved.
    confirm = await state["channel"].default_exchange.publish(message, routing_key=WORK,
                                                              mandatory=False)
    if not isinstance(confirm, Basic.Ack):
        raise AssertionError("publish answered %r, want basic.ack" % (confirm,))


async def publish_three():
    for i in (1, 2, 3):
        await publish_confirmed(aio_pika.Message(
            body(i), content_type="text/plain", headers=headers(i),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT))


async def publish_big():
    await publish_confirmed(aio_pika.Message(BIG_BODY, content_type="application/octet-stream",
                                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT))


async def consume_manual_acks():
    await state["channel"].set_qos(prefetch_count=10)
    received = state["received"]
    all_four = asyncio.get_running_loop().create_future()

    async def on_message(message):
        received.append(message)
        if len(received) == 4 and not all_four.done():
            all_four.set_result(None)

    tag = await state["work"].consume(on_message, no_ack=False)
    try:
        await all_four
    finally:
        await state["work"].cancel(tag)
    for i, message in enumerate(received[:3], 1):
        common.check_body("message %d body" % i, message.body, body(i))
        common.same("message %d headers" % i, message.headers, headers(i))
        common.eq("message %d delivery_mode" % i, message.delivery_mode,
                  aio_pika.DeliveryMode.PERSISTENT)
        common.eq("message %d content_type" % i, message.content_type, "text/plain")
    big = received[3]
    common.check_body("big body", big.body, BIG_BODY)
    common.eq("big delivery_mode", big.delivery_mode, aio_pika.DeliveryMode.PERSISTENT)
    for message in (received[0], received[1], big):
        await message.ack()
    await received[2].reject(requeue=False)


async def retry(what, coroutine_function, timeout=5.0):
    """Awaits coroutine_function until it returns something other than None."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await coroutine_function()
        if result is not None:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("%s: not within %ss" % (what, timeout))
        await asyncio.sleep(0.05)


async def dead_lettered():
    message = await retry("a message in %s" % DLQ,
                          lambda: state["dlq"].get(no_ack=False, fail=False))
    try:
        common.check_body("dead-lettered body", message.body, body(3))
        common.check_dead_lettered(message.headers, WORK, headers(3))
    finally:
        await message.ack()  # even after a failed assertion, so the next check sees the broker


async def nothing_left():
    async def empty(name):
        queue = await state["channel"].declare_queue(name, passive=True)
        return True if queue.declaration_result.message_count == 0 else None
    await retry("work queue empty", lambda: empty(WORK), 3)
    await retry("dead-letter queue empty", lambda: empty(DLQ), 3)


async def cleanup():
    """Deletes what the scenario declared over a fresh connection: a failure may have closed the
    scenario's channel or connection."""
    if "connection" in state:
        await state["connection"].close()
    connection = await aio_pika.connect(URL, timeout=5)
    async with connection:
        channel = await connection.channel()
        for queue in (WORK, DLQ):
            await channel.queue_delete(queue)
        await channel.exchange_delete(DLX)


asyncio.run(common.arun_scenario(
    setup, (publish_three, publish_big, consume_manual_acks, dead_lettered, nothing_left), cleanup))
common.finish()
