"""Connection, exchange, queue and routing checks."""
from harness import *  # noqa: F401,F403 (the checks share the harness's helpers and names)


# --- connection --------------------------------------------------------------------------------

@check
def login_and_tune():
    """connection: PLAIN login, capabilities, heartbeat/frame_max/channel_max negotiation"""
    proposed = []

    def heartbeat(connection, server_value):
        proposed.append(server_value)
        return 7

    connection = connect(heartbeat=heartbeat)
    try:
        impl = connection._impl
        eq("server's heartbeat", proposed, [60])
        eq("tune-ok", (impl.params.heartbeat, impl.params.frame_max, impl.params.channel_max), (7, 131072, 2047))
        capabilities = impl.server_properties["capabilities"]
        for name in ("publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
                     "connection.blocked", "consumer_priorities", "authentication_failure_close",
                     "per_consumer_qos", "direct_reply_to"):
            eq("capability " + name, capabilities.get(name), True)
    finally:
        connection.close()


@check
def bad_password():
    """connection: bad password is refused with connection.close 403 ACCESS_REFUSED"""
    for url in (URL.replace("guest:guest@", "guest:wrong@", 1), URL.replace("guest:guest@", "nobody:guest@", 1)):
        try:
            pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.ProbableAuthenticationError as error:
            text = "(403) 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. " \
                   "For details see the broker logfile.'"
            if text not in str(error):
                raise AssertionError("error %s" % error)
        else:
            raise AssertionError("login accepted")


@check
def heartbeats():
    """connection: with a 1s heartbeat the server sends heartbeat frames and keeps the connection"""
    connection = connect(heartbeat=1)
    try:
        settle(connection, 2.6)
        received = connection._impl._heartbeat_checker._heartbeat_frames_received
        if received < 2:
            raise AssertionError("%d heartbeat frames in 2.6s" % received)
        temp_queue(connection.channel())
    finally:
        connection.close()


@check
def channels():
    """channel: open several, close one, closed channel refuses use, connection.close"""
    connection = connect()
    one, two, three = connection.channel(), connection.channel(), connection.channel()
    eq("channel numbers", (one.channel_number, two.channel_number, three.channel_number), (1, 2, 3))
    two.close()
    eq("closed", two.is_closed, True)
    try:
        two.queue_declare("", exclusive=True)
    except pika.exceptions.ChannelWrongStateError:
        pass
    else:
        raise AssertionError("closed channel still usable")
    queue = temp_queue(three)
    one.basic_publish("", queue, b"m")
    eq("other channel", wait_get(three, queue, auto_ack=True)[2], b"m")
    connection.close()
    eq("connection closed", connection.is_closed, True)
    with Session() as s:
        expect_channel_error("exclusive queue after close", 404, "NOT_FOUND - no queue '%s' in vhost '/'" % queue,
                             s.channel.queue_declare, queue, passive=True)


# --- exchanges ---------------------------------------------------------------------------------

@check
def exchange_types():
    """exchange: declare direct, topic, fanout, headers; passive redeclare"""
    names = []
    try:
        with Session() as s:
            for kind in ("direct", "topic", "fanout", "headers"):
                name = "pika-x-%s%s" % (kind, SUFFIX)
                names.append(name)
                s.channel.exchange_declare(name, kind, durable=True)
                s.channel.exchange_declare(name, kind, durable=True)
                s.channel.exchange_declare(name, kind, passive=True)
    finally:
        cleanup(exchanges=names)


@check
def exchange_errors():
    """exchange: passive missing 404, other type 406, amq.foo 403, delete"""
    name = "pika-xerr" + SUFFIX
    with Session() as s:
        expect_channel_error("passive", 404, "NOT_FOUND - no exchange '%s' in vhost '/'" % name,
                             s.channel.exchange_declare, name, "direct", passive=True)
        channel = s.new_channel()
        channel.exchange_declare(name, "direct")
        expect_channel_error("other type", 406,
                             "PRECONDITION_FAILED - inequivalent arg 'type' for exchange '%s' in vhost '/': "
                             "received 'topic' but current is 'direct'" % name,
                             channel.exchange_declare, name, "topic")
        expect_channel_error("amq.foo", 403, "ACCESS_REFUSED - exchange name 'amq.foo' contains reserved prefix 'amq.*'",
                             s.new_channel().exchange_declare, "amq.foo", "direct")
        channel = s.new_channel()
        channel.exchange_delete(name)
        expect_channel_error("after delete", 404, "NOT_FOUND - no exchange '%s' in vhost '/'" % name,
                             channel.exchange_declare, name, "direct", passive=True)


@check
def exchange_to_exchange():
    """exchange: exchange-to-exchange bind routes through both, unbind stops it"""
    source, destination = "pika-source" + SUFFIX, "pika-destination" + SUFFIX
    try:
        with Session() as s:
            channel = s.channel
            channel.exchange_declare(source, "fanout")
            channel.exchange_declare(destination, "direct")
            channel.exchange_bind(destination, source, routing_key="ignored")
            queue = temp_queue(channel)
            channel.queue_bind(queue, destination, routing_key="k")
            channel.confirm_delivery()
            publish_confirmed(channel, source, "k", "through")
            publish_confirmed(channel, source, "other", "dropped")
            eq("routed", drain(channel, queue), ["through"])
            channel.exchange_unbind(destination, source, routing_key="ignored")
            publish_confirmed(channel, source, "k", "after unbind")
            eq("after unbind", drain(channel, queue), [])
    finally:
        cleanup(exchanges=[source, destination])


# --- queues ------------------------------------------------------------------------------------

@check
def queue_declare():
    """queue: durable, exclusive, auto-delete and server-named declare"""
    durable = "pika-durable" + SUFFIX
    try:
        with Session() as s:
            ok = s.channel.queue_declare(durable, durable=True).method
            eq("declare-ok", (ok.queue, ok.message_count, ok.consumer_count), (durable, 0, 0))
            s.channel.confirm_delivery()
            s.channel.basic_publish("", durable, b"1")
            eq("redeclare count", s.channel.queue_declare(durable, durable=True).method.message_count, 1)
            eq("exclusive", s.channel.queue_declare("pika-excl" + SUFFIX, exclusive=True).method.queue,
               "pika-excl" + SUFFIX)
            auto = s.channel.queue_declare("pika-auto" + SUFFIX, auto_delete=True).method.queue
            s.channel.basic_consume(auto, lambda *a: None, consumer_tag="c")
            s.channel.basic_cancel("c")
            expect_channel_error("auto-delete after cancel", 404, "NOT_FOUND - no queue '%s' in vhost '/'" % auto,
                                 s.new_channel().queue_declare, auto, passive=True)
            named = s.new_channel().queue_declare("", exclusive=True).method.queue
            if not re.match(r"^amq\.gen-[A-Za-z0-9_-]{22}$", named):
                raise AssertionError("server-named queue %r" % named)
            eq("delete-ok", s.new_channel().queue_delete(durable).method.message_count, 1)
    finally:
        cleanup(queues=[durable])


@check
def queue_errors():
    """queue: passive missing 404, other connection's exclusive 405, other args 406"""
    name = "pika-qerr" + SUFFIX
    try:
        with Session() as s:
            expect_channel_error("passive", 404, "NOT_FOUND - no queue '%s' in vhost '/'" % name,
                                 s.channel.queue_declare, name, passive=True)
            locked = s.new_channel().queue_declare("pika-locked" + SUFFIX, exclusive=True).method.queue
            with Session() as other:
                text = ("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in vhost '/'. It could "
                        "be originally declared on another connection or the exclusive property value does not match "
                        "that of the original declaration." % locked)
                expect_channel_error("declare", 405, text, other.channel.queue_declare, locked, exclusive=True)
                expect_channel_error("consume", 405, text, other.new_channel().basic_consume, locked, lambda *a: None)
                expect_channel_error("get", 405, text, other.new_channel().basic_get, locked)
            channel = s.new_channel()
            channel.queue_declare(name, arguments={"x-max-length": 10})
            expect_channel_error("other args", 406,
                                 "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '%s' in vhost '/': "
                                 "received '20' but current is '10'" % name,
                                 channel.queue_declare, name, arguments={"x-max-length": 20})
            channel = s.new_channel()
            expect_channel_error("missing args", 406,
                                 "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '%s' in vhost '/': "
                                 "received none but current is the value '10' of type 'signedint'" % name,
                                 channel.queue_declare, name)
    finally:
        cleanup(queues=[name])


@check
def bind_purge_delete():
    """queue: bind/unbind, purge count, delete if-unused / if-empty 406"""
    name = "pika-bpd" + SUFFIX
    try:
        with Session() as s:
            channel = s.channel
            channel.queue_declare(name)
            channel.queue_bind(name, "amq.topic", routing_key="a.*")
            channel.confirm_delivery()
            for key in ("a.b", "a.c", "b.a"):
                publish_confirmed(channel, "amq.topic", key, key)
            channel.queue_unbind(name, "amq.topic", routing_key="a.*")
            publish_confirmed(channel, "amq.topic", "a.d", "after unbind")
            eq("routed", count(channel, name), 2)
            eq("purged", channel.queue_purge(name).method.message_count, 2)
            eq("after purge", count(channel, name), 0)
            publish_confirmed(channel, "", name, "x")
            holder = s.new_channel()
            holder.basic_consume(name, lambda *a: None, consumer_tag="holder")
            expect_channel_error("if-unused", 406, "PRECONDITION_FAILED - queue '%s' in vhost '/' in use" % name,
                                 s.new_channel().queue_delete, name, if_unused=True)
            holder.close()
            expect_channel_error("if-empty", 406, "PRECONDITION_FAILED - queue '%s' in vhost '/' not empty" % name,
                                 s.new_channel().queue_delete, name, if_empty=True)
            eq("delete-ok", s.new_channel().queue_delete(name, if_unused=True).method.message_count, 1)
    finally:
        cleanup(queues=[name])


# --- routing -----------------------------------------------------------------------------------

@check
def routing():
    """routing: direct, topic * and #, fanout, headers all/any, default exchange"""
    direct, topic, fanout, headers = ("pika-r%s%s" % (k, SUFFIX) for k in ("direct", "topic", "fanout", "headers"))
    try:
        with Session() as s:
            channel = s.channel
            for name, kind in ((direct, "direct"), (topic, "topic"), (fanout, "fanout"), (headers, "headers")):
                channel.exchange_declare(name, kind)
            q = {k: temp_queue(channel) for k in ("d1", "d2", "star", "hash", "mid", "f1", "f2", "all", "any")}
            channel.queue_bind(q["d1"], direct, "red")
            channel.queue_bind(q["d2"], direct, "green")
            channel.queue_bind(q["d2"], direct, "red")
            channel.queue_bind(q["star"], topic, "*.error")
            channel.queue_bind(q["hash"], topic, "app.#")
            channel.queue_bind(q["mid"], topic, "*.*.#.z")
            channel.queue_bind(q["f1"], fanout, "")
            channel.queue_bind(q["f2"], fanout, "x")
            channel.queue_bind(q["all"], headers, "", {"x-match": "all", "a": 1, "b": "two"})
            channel.queue_bind(q["any"], headers, "", {"x-match": "any", "a": 1, "b": "two"})
            channel.confirm_delivery()
            for key in ("red", "green", "blue"):
                publish_confirmed(channel, direct, key, key)
            for key in ("app.error", "db.error", "app", "app.x.error", "error", "a.b.z", "a.b.c.d.z", "a.z"):
                publish_confirmed(channel, topic, key, key)
            publish_confirmed(channel, fanout, "whatever", "fan")
            for body, h in (("ab", {"a": 1, "b": "two", "c": 3}), ("a", {"a": 1}), ("b", {"b": "two"}),
                            ("wrong", {"a": 2}), ("none", None)):
                publish_confirmed(channel, headers, "", body, pika.BasicProperties(headers=h))
            publish_confirmed(channel, "", q["d1"], "default")
            want = {"d1": ["red", "default"], "d2": ["red", "green"], "star": ["app.error", "db.error"],
                    "hash": ["app.error", "app", "app.x.error"], "mid": ["a.b.z", "a.b.c.d.z"],
                    "f1": ["fan"], "f2": ["fan"], "all": ["ab"], "any": ["ab", "a", "b"]}
            for k in sorted(want):
                eq(k, drain(channel, q[k]), want[k])
    finally:
        cleanup(exchanges=[direct, topic, fanout, headers])


@check
def mandatory_return():
    """routing: unroutable mandatory publish is returned 312 NO_ROUTE before the confirm"""
    with Session() as s:
        s.channel.confirm_delivery()
        key = "pika-nowhere" + SUFFIX
        try:
            s.channel.basic_publish("amq.direct", key, b"lost", mandatory=True)
        except pika.exceptions.UnroutableError as error:
            # pika raises this only when the return arrived before the publish's ack
            eq("returned", len(error.messages), 1)
            method = error.messages[0].method
            eq("return", (method.reply_code, method.reply_text, method.exchange, method.routing_key,
                          error.messages[0].body), (312, "NO_ROUTE", "amq.direct", key, b"lost"))
        else:
            raise AssertionError("no basic.return before the ack")
        s.channel.basic_publish("amq.direct", key, b"dropped")  # not mandatory: acked, no error
