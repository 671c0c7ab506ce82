package main

import (
	"fmt"
	"regexp"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- exchanges ----------------------------------------------------------------------------------

func exchangeChecks() {
	check("exchange: declare direct, topic, fanout, headers; redeclare and passive declare", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		var names []string
		defer func() { cleanup(nil, names) }()
		for _, kind := range []string{"direct", "topic", "fanout", "headers"} {
			name := "go-x-" + kind + suffix
			names = append(names, name)
			must(ch.ExchangeDeclare(name, kind, true, false, false, false, nil), "declare "+kind)
			must(ch.ExchangeDeclare(name, kind, true, false, false, false, nil), "redeclare "+kind)
			must(ch.ExchangeDeclarePassive(name, kind, true, false, false, false, nil), "passive "+kind)
		}
		for _, name := range []string{"amq.direct", "amq.topic", "amq.fanout", "amq.headers", "amq.match"} {
			must(ch.ExchangeDeclarePassive(name, "", false, false, false, false, nil), "passive "+name)
		}
	}))
	check("exchange: passive declare of a missing exchange is 404", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-nox" + suffix
		err := ch.ExchangeDeclarePassive(name, "direct", false, false, false, false, nil)
		amqpErr("passive", err, 404, "NOT_FOUND - no exchange '"+name+"' in vhost '/'")
	}))
	check("exchange: redeclare with another type is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-xtype" + suffix
		must(ch.ExchangeDeclare(name, "direct", false, true, false, false, nil), "declare")
		defer cleanup(nil, []string{name})
		err := ch.ExchangeDeclare(name, "fanout", false, true, false, false, nil)
		amqpErr("redeclare", err, 406, "PRECONDITION_FAILED - inequivalent arg 'type' for exchange '"+name+
			"' in vhost '/': received 'fanout' but current is 'direct'")
	}))
	check("exchange: declaring amq.foo is 403", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		err := ch.ExchangeDeclare("amq.foo", "direct", false, false, false, false, nil)
		amqpErr("declare amq.foo", err, 403, "ACCESS_REFUSED - exchange name 'amq.foo' contains reserved prefix 'amq.*'")
	}))
	check("exchange: unknown type closes the connection with 503", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyConnClose(conn)
		err := ch.ExchangeDeclare("go-xbad"+suffix, "x-no-such-type", false, true, false, false, nil)
		amqpErr("declare", err, 503, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
		closedWith("connection", closed, 503, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
	}))
	check("exchange: delete, then passive is 404; deleting a missing exchange is ok", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-xdel" + suffix
		must(ch.ExchangeDeclare(name, "topic", false, false, false, false, nil), "declare")
		must(ch.ExchangeDelete(name, false, false), "delete")
		must(ch.ExchangeDelete(name, false, false), "delete again")
		err := ch.ExchangeDeclarePassive(name, "topic", false, false, false, false, nil)
		amqpErr("passive", err, 404, "NOT_FOUND - no exchange '"+name+"' in vhost '/'")
	}))
	check("exchange: delete if-unused of a bound exchange is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-xused" + suffix
		defer cleanup(nil, []string{name})
		must(ch.ExchangeDeclare(name, "direct", false, false, false, false, nil), "declare")
		q := tempQueue(ch, nil)
		must(ch.QueueBind(q, "k", name, false, nil), "bind")
		err := ch.ExchangeDelete(name, true, false)
		amqpErr("delete if-unused", err, 406, "PRECONDITION_FAILED - exchange '"+name+"' in vhost '/' in use")
	}))
	check("exchange: the default exchange cannot be bound to or deleted (403)", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		err := ch.QueueBind(q, "k", "", false, nil)
		amqpErr("bind", err, 403, "ACCESS_REFUSED - operation not permitted on the default exchange")
		ch2 := channel(conn)
		err = ch2.ExchangeDelete("", false, false)
		amqpErr("delete", err, 403, "ACCESS_REFUSED - operation not permitted on the default exchange")
	}))
	check("exchange: publishing to an internal exchange is 403", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-xint" + suffix
		defer cleanup(nil, []string{name})
		must(ch.ExchangeDeclare(name, "fanout", false, false, true, false, nil), "declare")
		closed := notifyChannelClose(ch)
		publish(ch, name, "", "x")
		closedWith("channel", closed, 403, "ACCESS_REFUSED - cannot publish to internal exchange '"+name+"' in vhost '/'")
	}))
	check("exchange: exchange-to-exchange bind routes, unbind stops it", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		src, dst := "go-xsrc"+suffix, "go-xdst"+suffix
		defer cleanup(nil, []string{src, dst})
		must(ch.ExchangeDeclare(src, "topic", false, false, false, false, nil), "declare src")
		must(ch.ExchangeDeclare(dst, "fanout", false, false, false, false, nil), "declare dst")
		must(ch.ExchangeBind(dst, "a.#", src, false, nil), "exchange.bind")
		q := tempQueue(ch, nil)
		must(ch.QueueBind(q, "", dst, false, nil), "queue.bind")
		p := confirming(ch)
		p.body(src, "a.b", "through")
		p.body(src, "b.a", "dropped")
		p.allAcked()
		eq("after bind", drain(ch, q), []string{"through"})
		must(ch.ExchangeUnbind(dst, "a.#", src, false, nil), "exchange.unbind")
		p.body(src, "a.b", "after unbind")
		p.allAcked()
		eq("after unbind", drain(ch, q), []string{})
	}))
}

// --- queues -------------------------------------------------------------------------------------

func queueChecks() {
	check("queue: durable, exclusive, auto-delete declare and declare-ok counts", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		durable := "go-durable" + suffix
		defer cleanup([]string{durable}, nil)
		q, err := ch.QueueDeclare(durable, true, false, false, false, nil)
		must(err, "declare durable")
		eq("declare-ok", []interface{}{q.Name, q.Messages, q.Consumers}, []interface{}{durable, 0, 0})
		p := confirming(ch)
		p.body("", durable, "1")
		p.body("", durable, "2")
		p.allAcked()
		q, err = ch.QueueDeclare(durable, true, false, false, false, nil)
		must(err, "redeclare durable")
		eq("messages after redeclare", q.Messages, 2)
		_, err = ch.Consume(durable, "c", false, false, false, false, nil)
		must(err, "consume")
		time.Sleep(100 * time.Millisecond)
		q, err = ch.QueueDeclarePassive(durable, false, false, false, false, nil)
		must(err, "passive")
		eq("passive declare-ok", []int{q.Messages, q.Consumers}, []int{0, 1})
		ex, err := ch.QueueDeclare("go-excl"+suffix, false, false, true, false, nil)
		must(err, "declare exclusive")
		eq("exclusive name", ex.Name, "go-excl"+suffix)
		ad, err := ch.QueueDeclare("go-autodel"+suffix, false, true, false, false, nil)
		must(err, "declare auto-delete")
		defer cleanup([]string{ad.Name}, nil)
		ch2 := channel(conn)
		n, err := ch2.QueueDelete(durable, false, false, false)
		must(err, "delete")
		eq("delete-ok message count (ready only; 2 are unacked)", n, 0)
	}))
	check("queue: server-named queue is amq.gen- plus 22 base64url characters", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q, err := ch.QueueDeclare("", false, false, true, false, nil)
		must(err, "declare")
		if !regexp.MustCompile(`^amq\.gen-[A-Za-z0-9_-]{22}$`).MatchString(q.Name) {
			fail("name %q", q.Name)
		}
		q2, err := ch.QueueDeclare("", false, true, true, false, nil)
		must(err, "declare 2")
		if q2.Name == q.Name {
			fail("two server-named queues called %q", q.Name)
		}
	}))
	check("queue: passive declare of a missing queue is 404 NOT_FOUND", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-missing" + suffix
		_, err := ch.QueueDeclarePassive(name, false, false, false, false, nil)
		amqpErr("passive", err, 404, "NOT_FOUND - no queue '"+name+"' in vhost '/'")
	}))
	check("queue: another connection's exclusive queue is 405 for declare, passive, consume, get, bind, purge, delete", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q, err := ch.QueueDeclare("go-locked"+suffix, false, false, true, false, nil)
		must(err, "declare")
		other := dial()
		defer other.Close()
		text := "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '" + q.Name +
			"' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration."
		ops := []struct {
			name string
			f    func(*amqp.Channel) error
		}{
			{"declare", func(c *amqp.Channel) error {
				_, err := c.QueueDeclare(q.Name, false, false, true, false, nil)
				return err
			}},
			{"passive declare", func(c *amqp.Channel) error {
				_, err := c.QueueDeclarePassive(q.Name, false, false, true, false, nil)
				return err
			}},
			{"consume", func(c *amqp.Channel) error {
				_, err := c.Consume(q.Name, "", true, false, false, false, nil)
				return err
			}},
			{"get", func(c *amqp.Channel) error { _, _, err := c.Get(q.Name, true); return err }},
			{"bind", func(c *amqp.Channel) error { return c.QueueBind(q.Name, "k", "amq.direct", false, nil) }},
			{"purge", func(c *amqp.Channel) error { _, err := c.QueuePurge(q.Name, false); return err }},
			{"delete", func(c *amqp.Channel) error { _, err := c.QueueDelete(q.Name, false, false, false); return err }},
		}
		for _, op := range ops {
			amqpErr(op.name, op.f(channel(other)), 405, text)
		}
	}))
	check("queue: redeclare with other arguments or durability is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-redeclare" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-message-ttl": int32(1000)})
		must(err, "declare")
		_, err = ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-message-ttl": int32(2000)})
		amqpErr("other ttl", err, 406, "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '"+name+
			"' in vhost '/': received '2000' but current is '1000'")
		_, err = channel(conn).QueueDeclare(name, true, false, false, false, amqp.Table{"x-message-ttl": int32(1000)})
		amqpErr("other durability", err, 406, "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '"+name+
			"' in vhost '/': received 'true' but current is 'false'")
		_, err = channel(conn).QueueDeclare(name, false, false, false, false, amqp.Table{"x-message-ttl": int32(1000)})
		must(err, "equivalent redeclare")
	}))
	check("queue: bind routes, unbind stops routing, unbinding twice is ok", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		must(ch.QueueBind(q, "k1", "amq.direct", false, nil), "bind")
		p := confirming(ch)
		p.body("amq.direct", "k1", "bound")
		p.allAcked()
		must(ch.QueueUnbind(q, "k1", "amq.direct", nil), "unbind")
		p.body("amq.direct", "k1", "unbound")
		p.allAcked()
		must(ch.QueueUnbind(q, "k1", "amq.direct", nil), "unbind again")
		eq("messages", drain(ch, q), []string{"bound"})
	}))
	check("queue: purge returns the ready count and leaves unacked messages", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		for i := 0; i < 5; i++ {
			p.body("", q, fmt.Sprint(i))
		}
		p.allAcked()
		sub := channel(conn)
		waitGet(sub, q, false)
		n, err := ch.QueuePurge(q, false)
		must(err, "purge")
		eq("purged", n, 4)
		must(sub.Close(), "close the channel holding the unacked message")
		d := waitGet(ch, q, true)
		eq("requeued", []interface{}{string(d.Body), d.Redelivered}, []interface{}{"0", true})
	}))
	check("queue: delete if-unused with a consumer and if-empty with messages are 406; delete-ok counts", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-qdel" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, nil)
		must(err, "declare")
		p := confirming(ch)
		p.body("", name, "a")
		p.body("", name, "b")
		p.allAcked()
		cons := channel(conn)
		_, err = cons.Consume(name, "holder", false, false, false, false, nil)
		must(err, "consume")
		time.Sleep(100 * time.Millisecond)
		_, err = channel(conn).QueueDelete(name, true, false, false)
		amqpErr("if-unused", err, 406, "PRECONDITION_FAILED - queue '"+name+"' in vhost '/' in use")
		must(cons.Close(), "close consumer channel")
		_, err = channel(conn).QueueDelete(name, false, true, false)
		amqpErr("if-empty", err, 406, "PRECONDITION_FAILED - queue '"+name+"' in vhost '/' not empty")
		n, err := channel(conn).QueueDelete(name, true, false, false)
		must(err, "delete if-unused")
		eq("deleted messages", n, 2)
	}))
	check("queue: auto-delete queue goes when its last consumer is cancelled", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-ad" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, true, false, false, nil)
		must(err, "declare")
		_, err = ch.Consume(name, "c1", true, false, false, false, nil)
		must(err, "consume 1")
		_, err = ch.Consume(name, "c2", true, false, false, false, nil)
		must(err, "consume 2")
		must(ch.Cancel("c1", false), "cancel 1")
		count(ch, name)
		must(ch.Cancel("c2", false), "cancel 2")
		time.Sleep(100 * time.Millisecond)
		_, err = ch.QueueDeclarePassive(name, false, true, false, false, nil)
		amqpErr("after last cancel", err, 404, "NOT_FOUND - no queue '"+name+"' in vhost '/'")
	}))
}
