package main

import (
	"fmt"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- edge cases ---------------------------------------------------------------------------------

func edgeChecks() {
	check("connection: close-ok then the client closes; no EOF error reported (10 connections)", func() {
		// RabbitMQ leaves the socket open after close-ok for the client to close; amqp091-go reports a
		// 501 EOF to NotifyClose when the server closes it first.
		for i := 0; i < 10; i++ {
			conn := dial()
			closed := notifyConnClose(conn)
			channel(conn)
			must(conn.Close(), "connection.close")
			if e, ok := <-closed; ok {
				fail("connection %d: NotifyClose reported %v for a client close", i+1, e)
			}
		}
	})
	check("queue: x-expires deletes an unused queue", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-expires" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-expires": int32(100)})
		must(err, "declare")
		time.Sleep(400 * time.Millisecond)
		_, err = ch.QueueDeclarePassive(name, false, false, false, false, nil)
		amqpErr("after expiry", err, 404, "NOT_FOUND - no queue '"+name+"' in vhost '/'")
	}))
	check("queue: invalid argument values are 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-badarg" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-message-ttl": "soon"})
		amqpErr("string ttl", err, 406, "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '"+name+"' in vhost '/': \"expected integer, got longstr\"")
		_, err = channel(conn).QueueDeclare(name, false, false, false, false, amqp.Table{"x-message-ttl": int32(-1)})
		amqpErr("negative ttl", err, 406, "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '"+name+"' in vhost '/': {value_negative,-1}")
		_, err = channel(conn).QueueDeclare(name, false, false, false, false, amqp.Table{"x-overflow": "sideways"})
		amqpErr("bad overflow", err, 406, "PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '"+name+"' in vhost '/': invalid_overflow")
	}))
	check("queue: deleting a missing queue is ok, purging one is 404", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-nothere" + suffix
		n, err := ch.QueueDelete(name, false, false, false)
		must(err, "delete")
		eq("count", n, 0)
		_, err = ch.QueuePurge(name, false)
		amqpErr("purge", err, 404, "NOT_FOUND - no queue '"+name+"' in vhost '/'")
	}))
	check("queue: binding a missing queue or to a missing exchange is 404", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		x := "go-nobx" + suffix
		err := channel(conn).QueueBind(q, "k", x, false, nil)
		amqpErr("missing exchange", err, 404, "NOT_FOUND - no exchange '"+x+"' in vhost '/'")
		err = channel(conn).QueueBind("go-nobq"+suffix, "k", "amq.direct", false, nil)
		amqpErr("missing queue", err, 404, "NOT_FOUND - no queue 'go-nobq"+suffix+"' in vhost '/'")
	}))
	check("exchange: auto-delete exchange goes when its last binding is removed", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-xad" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "direct", false, true, false, false, nil), "declare")
		q := tempQueue(ch, nil)
		must(ch.QueueBind(q, "a", x, false, nil), "bind a")
		must(ch.QueueBind(q, "b", x, false, nil), "bind b")
		must(ch.QueueUnbind(q, "a", x, nil), "unbind a")
		must(ch.ExchangeDeclarePassive(x, "direct", false, true, false, false, nil), "still there with one binding")
		must(ch.QueueUnbind(q, "b", x, nil), "unbind b")
		err := ch.ExchangeDeclarePassive(x, "direct", false, true, false, false, nil)
		amqpErr("after last unbind", err, 404, "NOT_FOUND - no exchange '"+x+"' in vhost '/'")
	}))
	check("exchange: alternate-exchange receives unroutable messages", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x, ae := "go-xmain"+suffix, "go-xae"+suffix
		defer cleanup(nil, []string{x, ae})
		must(ch.ExchangeDeclare(ae, "fanout", false, false, false, false, nil), "declare ae")
		must(ch.ExchangeDeclare(x, "direct", false, false, false, false, amqp.Table{"alternate-exchange": ae}), "declare")
		q, aq := tempQueue(ch, nil), tempQueue(ch, nil)
		must(ch.QueueBind(q, "k", x, false, nil), "bind")
		must(ch.QueueBind(aq, "", ae, false, nil), "bind ae")
		must(ch.Confirm(false), "confirm.select")
		returns := ch.NotifyReturn(make(chan amqp.Return, 2))
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 2))
		must(ch.Publish(x, "k", true, false, amqp.Publishing{Body: []byte("routed")}), "publish")
		must(ch.Publish(x, "other", true, false, amqp.Publishing{Body: []byte("alternate")}), "publish")
		for i := 0; i < 2; i++ {
			select {
			case c := <-confirms:
				eq("ack", c.Ack, true)
			case <-time.After(3 * time.Second):
				fail("no confirm")
			}
		}
		select {
		case r := <-returns:
			fail("returned %q though the alternate exchange routed it", r.Body)
		default:
		}
		eq("main", drain(ch, q), []string{"routed"})
		d := waitGet(ch, aq, true)
		eq("alternate", []string{string(d.Body), d.Exchange, d.RoutingKey}, []string{"alternate", x, "other"})
	}))
	check("exchange: a cycle of exchange bindings still delivers one copy per queue", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		a, b := "go-xcyca"+suffix, "go-xcycb"+suffix
		defer cleanup(nil, []string{a, b})
		must(ch.ExchangeDeclare(a, "fanout", false, false, false, false, nil), "declare a")
		must(ch.ExchangeDeclare(b, "fanout", false, false, false, false, nil), "declare b")
		must(ch.ExchangeBind(b, "", a, false, nil), "a -> b")
		must(ch.ExchangeBind(a, "", b, false, nil), "b -> a")
		q := tempQueue(ch, nil)
		must(ch.QueueBind(q, "", a, false, nil), "bind to a")
		must(ch.QueueBind(q, "", b, false, nil), "bind to b")
		p := confirming(ch)
		p.body(a, "", "once")
		p.allAcked()
		eq("copies", drain(ch, q), []string{"once"})
	}))
	check("dead-letter: an expired message that would return to its own queue is dropped; a rejected one comes back", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		ttl := tempQueue(ch, amqp.Table{"x-message-ttl": int32(30), "x-dead-letter-exchange": ""})
		publish(ch, "", ttl, "cycle")
		time.Sleep(300 * time.Millisecond)
		eq("expired cycle", drain(ch, ttl), []string{})
		rej := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": ""})
		publish(ch, "", rej, "again")
		must(waitGet(ch, rej, false).Reject(false), "reject")
		d := waitGet(ch, rej, true)
		eq("rejected cycle", []interface{}{string(d.Body), d.Redelivered}, []interface{}{"again", false})
		checkDeath("x-death[0]", deaths(d)[0], 1, "rejected", rej, "", []string{rej}, nil)
	}))
	check("dead-letter: a missing dead-letter exchange drops the message", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": "go-nodlx" + suffix})
		publish(ch, "", q, "x")
		must(waitGet(ch, q, false).Reject(false), "reject")
		time.Sleep(100 * time.Millisecond)
		eq("queue", drain(ch, q), []string{})
		tempQueue(ch, nil) // the channel is still open
	}))
	check("ttl: per-message expiry happens only at the head of the queue", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		p.publish("", q, amqp.Publishing{Body: []byte("long"), Expiration: "60000"})
		p.publish("", q, amqp.Publishing{Body: []byte("short"), Expiration: "20"})
		p.allAcked()
		time.Sleep(150 * time.Millisecond)
		eq("ready behind an unexpired head", count(ch, q), 2)
		eq("get", string(waitGet(ch, q, true).Body), "long")
		_, ok, err := ch.Get(q, true)
		must(err, "get")
		eq("expired message delivered", ok, false)
	}))
	check("max-length: x-overflow reject-publish-dlx nacks and dead-letters with maxlen", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlq := tempQueue(ch, nil)
		work := tempQueue(ch, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish-dlx",
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		p := confirming(ch)
		p.body("", work, "fits")
		p.body("", work, "rejected")
		eq("acks", p.wait(), []bool{true, false})
		d := waitGet(ch, dlq, true)
		eq("dead-lettered", string(d.Body), "rejected")
		checkDeath("x-death[0]", deaths(d)[0], 1, "maxlen", work, "", []string{work}, nil)
		eq("kept", drain(ch, work), []string{"fits"})
	}))
	check("max-length: x-max-length-bytes drops from the head", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, amqp.Table{"x-max-length-bytes": int32(10)})
		p := confirming(ch)
		for _, b := range []string{"aaaa", "bbbb", "cccc"} {
			p.body("", q, b)
		}
		p.allAcked()
		eq("kept", drain(ch, q), []string{"bbbb", "cccc"})
	}))
	check("consume: higher x-priority consumers are served first", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		low, err := ch.Consume(q, "low", true, false, false, false, amqp.Table{"x-priority": int32(1)})
		must(err, "consume low")
		high, err := ch.Consume(q, "high", true, false, false, false, amqp.Table{"x-priority": int32(10)})
		must(err, "consume high")
		pub := channel(conn)
		for i := 0; i < 4; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		for i := 0; i < 4; i++ {
			eq("high", string(recv("high", high).Body), fmt.Sprint(i))
		}
		quiet("low", low, 200*time.Millisecond)
	}))
	check("consume: basic.qos global=true limits the whole channel", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		must(ch.Qos(3, 0, true), "basic.qos global")
		a, err := ch.Consume(q, "a", false, false, false, false, nil)
		must(err, "consume a")
		b, err := ch.Consume(q, "b", false, false, false, false, nil)
		must(err, "consume b")
		pub := channel(conn)
		for i := 0; i < 6; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		n := 0
		for done := false; !done; {
			select {
			case <-a:
				n++
			case <-b:
				n++
			case <-time.After(300 * time.Millisecond):
				done = true
			}
		}
		eq("in flight on the channel", n, 3)
		eq("ready", count(pub, q), 3)
	}))
	check("consume: basic.qos global=false applies to consumers started afterwards", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		before, err := ch.Consume(q, "before", false, false, false, false, nil)
		must(err, "consume before")
		must(ch.Qos(1, 0, false), "basic.qos")
		pub := channel(conn)
		for i := 0; i < 3; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		for i := 0; i < 3; i++ {
			recv("unlimited consumer", before)
		}
		must(ch.Cancel("before", false), "cancel (its 3 deliveries stay unacked)")
		after, err := ch.Consume(q, "after", false, false, false, false, nil)
		must(err, "consume after")
		publish(pub, "", q, "3")
		publish(pub, "", q, "4")
		eq("limited consumer", string(recv("limited consumer", after).Body), "3")
		quiet("with 1 unacked", after, 200*time.Millisecond)
	}))
	check("consume: cancelling an unknown consumer tag is ok", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		must(ch.Cancel("go-never-consumed", false), "basic.cancel")
		tempQueue(ch, nil)
	}))
	check("ack: delivery tags are per channel; acking another channel's tag is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		publish(ch, "", q, "a")
		publish(ch, "", q, "b")
		other := channel(conn)
		d1 := waitGet(ch, q, false)
		d2 := waitGet(other, q, false)
		eq("tags", []uint64{d1.DeliveryTag, d2.DeliveryTag}, []uint64{1, 1})
		third := channel(conn)
		closed := notifyChannelClose(third)
		must(third.Ack(1, false), "ack on a channel with no deliveries")
		closedWith("channel", closed, 406, "PRECONDITION_FAILED - unknown delivery tag 1")
	}))
	check("publish: an empty body arrives as an empty body", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		p.publish("", q, amqp.Publishing{ContentType: "text/plain"})
		p.allAcked()
		d := waitGet(ch, q, true)
		eq("body", []interface{}{len(d.Body), d.ContentType}, []interface{}{0, "text/plain"})
	}))
	check("quorum: redeclaring a quorum queue without x-queue-type is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-quorum-re" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
		must(err, "declare")
		_, err = ch.QueueDeclare(name, true, false, false, false, nil)
		amqpErr("redeclare", err, 406, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '"+name+
			"' in vhost '/': received none but current is the value 'quorum' of type 'longstr'")
	}))
	check("connection: AMQPLAIN login", func() {
		user := "guest"
		conn, err := amqp.DialConfig(url, amqp.Config{SASL: []amqp.Authentication{&amqp.AMQPlainAuth{Username: user, Password: "guest"}}})
		must(err, "dial")
		defer conn.Close()
		eq("mechanism", conn.Config.SASL[0].Mechanism(), "AMQPLAIN")
		tempQueue(channel(conn), nil)
		_, err = amqp.DialConfig(url, amqp.Config{SASL: []amqp.Authentication{&amqp.AMQPlainAuth{Username: user, Password: "wrong"}}})
		if err != amqp.ErrCredentials {
			fail("bad AMQPLAIN password: %v", err)
		}
	})
	check("connection: tune-ok frame_max below 4096 is refused", func() {
		conn, err := amqp.DialConfig(url, amqp.Config{FrameSize: 1024})
		if err == nil {
			defer conn.Close()
			ch, cerr := conn.Channel()
			if cerr == nil {
				_, cerr = ch.QueueDeclare("", false, false, true, false, nil)
			}
			fail("connection with frame_max 1024 accepted (then %v)", cerr)
		}
		// RabbitMQ closes with 530 "NOT_ALLOWED - frame_max=1024 < 4096 min size"; amqp091-go reports any
		// failure before connection.open-ok as its own ErrVhost.
		if err != amqp.ErrVhost {
			fail("dial: got %v, want amqp.ErrVhost", err)
		}
	})
	check("exchange: redeclare with other durability or arguments is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-xre" + suffix
		defer cleanup(nil, []string{name})
		must(ch.ExchangeDeclare(name, "direct", false, false, false, false, nil), "declare")
		err := ch.ExchangeDeclare(name, "direct", true, false, false, false, nil)
		amqpErr("durable", err, 406, "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '"+name+
			"' in vhost '/': received 'true' but current is 'false'")
		err = channel(conn).ExchangeDeclare(name, "direct", false, false, false, false, amqp.Table{"alternate-exchange": "ae"})
		amqpErr("arguments", err, 406, "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '"+name+
			"' in vhost '/': received the value 'ae' of type 'longstr' but current is none")
	}))
	check("exchange: amq.* exchanges cannot be deleted; amq.default is no exchange over AMQP", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		err := ch.ExchangeDelete("amq.direct", false, false)
		amqpErr("delete amq.direct", err, 403, "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed")
		ch2 := channel(conn)
		closed := notifyChannelClose(ch2)
		publish(ch2, "amq.default", "k", "via amq.default")
		closedWith("publish to amq.default", closed, 404, "NOT_FOUND - no exchange 'amq.default' in vhost '/'")
	}))
	check("queue: declaring a queue named amq.* is 403", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		_, err := ch.QueueDeclare("amq.foo", false, false, true, false, nil)
		amqpErr("declare", err, 403, "ACCESS_REFUSED - queue name 'amq.foo' contains reserved prefix 'amq.*'")
	}))
	check("queue: an unknown x-queue-type is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-qtype" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "fancy"})
		amqpErr("declare", err, 406, "PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '"+name+
			"' in vhost '/': \"unsupported queue type 'fancy'\"")
	}))
	check("ack: multiple=true with delivery tag 0 acks everything outstanding", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		p.body("", q, "1")
		p.body("", q, "2")
		p.allAcked()
		sub := channel(conn)
		waitGet(sub, q, false)
		waitGet(sub, q, false)
		must(sub.Ack(0, true), "ack 0 multiple")
		must(sub.Close(), "close")
		eq("left", drain(ch, q), []string{})
	}))
	check("direct reply-to: amq.rabbitmq.reply-to round trip", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		replies, err := ch.Consume("amq.rabbitmq.reply-to", "rpc-client", true, false, false, false, nil)
		must(err, "consume amq.rabbitmq.reply-to")
		server := channel(conn)
		requests := tempQueue(server, nil)
		must(ch.Publish("", requests, false, false, amqp.Publishing{Body: []byte("ping"), ReplyTo: "amq.rabbitmq.reply-to", CorrelationId: "c1"}), "publish request")
		req := waitGet(server, requests, true)
		if !strings.HasPrefix(req.ReplyTo, "amq.rabbitmq.reply-to.") {
			fail("request reply_to %q", req.ReplyTo)
		}
		must(server.Publish("", req.ReplyTo, false, false, amqp.Publishing{Body: []byte("pong"), CorrelationId: req.CorrelationId}), "publish reply")
		r := recv("reply", replies)
		eq("reply", []string{string(r.Body), r.CorrelationId, r.Exchange, r.RoutingKey}, []string{"pong", "c1", "", req.ReplyTo})
	}))
	check("direct reply-to: publishing with it without consuming is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		closed := notifyChannelClose(ch)
		must(ch.Publish("", q, false, false, amqp.Publishing{Body: []byte("x"), ReplyTo: "amq.rabbitmq.reply-to"}), "publish")
		closedWith("channel", closed, 406, "PRECONDITION_FAILED - fast reply consumer does not exist")
	}))
	check("dead-letter: x-death routing-keys include CC keys, not the stripped BCC", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlx := "go-dlxcc" + suffix
		defer cleanup(nil, []string{dlx})
		must(ch.ExchangeDeclare(dlx, "fanout", false, false, false, false, nil), "declare")
		dlq := tempQueue(ch, nil)
		must(ch.QueueBind(dlq, "", dlx, false, nil), "bind")
		work := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": dlx})
		p := confirming(ch)
		p.publish("", work, amqp.Publishing{Body: []byte("m"), Headers: amqp.Table{"CC": []interface{}{"cc-key"}, "BCC": []interface{}{"bcc-key"}}})
		p.allAcked()
		must(waitGet(ch, work, false).Reject(false), "reject")
		d := waitGet(ch, dlq, true)
		checkDeath("x-death[0]", deaths(d)[0], 1, "rejected", work, "", []string{work, "cc-key"}, nil)
		cc, _ := d.Headers["CC"].([]interface{})
		eq("CC header", cc, []interface{}{"cc-key"})
	}))
}
