package main

import (
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- queue types and features -------------------------------------------------------------------

func queueFeatureChecks() {
	check("priority: x-max-priority delivers higher priorities first, FIFO within one", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, amqp.Table{"x-max-priority": int32(5)})
		p := confirming(ch)
		for _, m := range []struct {
			body string
			prio uint8
		}{{"p1", 1}, {"p5a", 5}, {"p3", 3}, {"p0", 0}, {"p5b", 5}, {"p9", 9}} {
			p.publish("", q, amqp.Publishing{Body: []byte(m.body), Priority: m.prio})
		}
		p.allAcked()
		eq("order", drain(ch, q), []string{"p5a", "p5b", "p9", "p3", "p1", "p0"})
	}))
	check("single-active-consumer: only the first consumer receives until it cancels", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, amqp.Table{"x-single-active-consumer": true})
		a, err := ch.Consume(q, "a", true, false, false, false, nil)
		must(err, "consume a")
		b, err := ch.Consume(q, "b", true, false, false, false, nil)
		must(err, "consume b")
		pub := channel(conn)
		for i := 0; i < 4; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		var got []string
		for i := 0; i < 4; i++ {
			got = append(got, string(recv("a", a).Body))
		}
		eq("a", got, []string{"0", "1", "2", "3"})
		quiet("b while a is active", b, 200*time.Millisecond)
		must(ch.Cancel("a", false), "cancel a")
		publish(pub, "", q, "4")
		eq("b after a cancelled", string(recv("b", b).Body), "4")
	}))
	check("quorum: x-delivery-limit dead-letters with delivery_limit; redeliveries carry x-delivery-count", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		qq := "go-quorum" + suffix
		defer cleanup([]string{qq}, nil)
		dlq := tempQueue(ch, nil)
		q, err := ch.QueueDeclare(qq, true, false, false, false, amqp.Table{"x-queue-type": "quorum", "x-delivery-limit": int32(2),
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		must(err, "declare quorum queue")
		eq("name", q.Name, qq)
		p := confirming(ch)
		p.body("", qq, "poison")
		p.allAcked()
		var seen []interface{}
		for i := 0; i < 3; i++ {
			d := waitGet(ch, qq, false)
			seen = append(seen, []interface{}{d.Redelivered, d.Headers["x-delivery-count"]})
			must(d.Nack(false, true), "nack")
		}
		eq("deliveries (redelivered, x-delivery-count)", seen, []interface{}{
			[]interface{}{false, int64(0)}, []interface{}{true, int64(1)}, []interface{}{true, int64(2)}})
		d := waitGet(ch, dlq, true)
		eq("dead-lettered", string(d.Body), "poison")
		checkDeath("x-death[0]", deaths(d)[0], 1, "delivery_limit", qq, "", []string{qq}, nil)
		eq("quorum queue", count(ch, qq), 0)
	}))
	check("quorum: a non-durable quorum queue is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-quorum-bad" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-queue-type": "quorum"})
		amqpErr("non-durable", err, 406, "PRECONDITION_FAILED - invalid property 'non-durable' for queue '"+name+"' in vhost '/'")
	}))
	check("quorum: an exclusive quorum queue is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-quorum-excl" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, true, false, true, false, amqp.Table{"x-queue-type": "quorum"})
		amqpErr("exclusive", err, 406, "PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue '"+name+"' in vhost '/'")
	}))
}

// --- errors -------------------------------------------------------------------------------------

func errorChecks() {
	check("error: publish with immediate=true closes the connection with 540", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyConnClose(conn)
		must(ch.Publish("", "anything", false, true, amqp.Publishing{Body: []byte("x")}), "publish")
		closedWith("connection", closed, 540, "NOT_IMPLEMENTED - immediate=true")
	}))
	check("error: basic.qos prefetch_size != 0 closes the connection with 540", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyConnClose(conn)
		err := ch.Qos(10, 4096, false)
		amqpErr("basic.qos", err, 540, "NOT_IMPLEMENTED - prefetch_size!=0 (4096)")
		closedWith("connection", closed, 540, "NOT_IMPLEMENTED - prefetch_size!=0 (4096)")
	}))
	check("error: basic.recover requeue=false closes the connection with 540", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyConnClose(conn)
		err := ch.Recover(false)
		amqpErr("basic.recover", err, 540, "NOT_IMPLEMENTED - requeue=false")
		closedWith("connection", closed, 540, "NOT_IMPLEMENTED - requeue=false")
	}))
	check("error: channel.flow active=false closes the connection with 540", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyConnClose(conn)
		err := ch.Flow(false)
		amqpErr("channel.flow", err, 540, "NOT_IMPLEMENTED - active=false")
		closedWith("connection", closed, 540, "NOT_IMPLEMENTED - active=false")
	}))
	check("error: ack of an unknown delivery tag closes the channel with 406; the connection survives", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		other := channel(conn)
		closed := notifyChannelClose(ch)
		must(ch.Ack(42, false), "basic.ack")
		closedWith("channel", closed, 406, "PRECONDITION_FAILED - unknown delivery tag 42")
		q := tempQueue(other, nil)
		publish(other, "", q, "still here")
		eq("other channel", string(waitGet(channel(conn), q, true).Body), "still here")
	}))
	check("error: acking the same delivery twice is 406 unknown delivery tag", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		publish(ch, "", q, "once")
		d := waitGet(ch, q, false)
		closed := notifyChannelClose(ch)
		must(d.Ack(false), "ack")
		must(d.Ack(false), "ack again")
		closedWith("channel", closed, 406, "PRECONDITION_FAILED - unknown delivery tag 1")
	}))
	check("error: publish to a missing exchange closes the channel with 404; the connection survives", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-nox" + suffix
		closed := notifyChannelClose(ch)
		publish(ch, name, "k", "x")
		closedWith("channel", closed, 404, "NOT_FOUND - no exchange '"+name+"' in vhost '/'")
		ch2 := channel(conn)
		q := tempQueue(ch2, nil)
		publish(ch2, "", q, "fine")
		eq("new channel", string(waitGet(ch2, q, true).Body), "fine")
	}))
}
