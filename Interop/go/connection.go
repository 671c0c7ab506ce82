package main

import (
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- connection ---------------------------------------------------------------------------------

func connectionChecks() {
	check("connection: PLAIN login, 0-9-1, server capabilities", func() {
		conn := dial()
		defer conn.Close()
		eq("mechanism", conn.Config.SASL[0].Mechanism(), "PLAIN")
		eq("version", []int{conn.Major, conn.Minor}, []int{0, 9})
		eq("locales", conn.Locales, []string{"en_US"})
		caps, _ := conn.Properties["capabilities"].(amqp.Table)
		for _, c := range []string{"publisher_confirms", "exchange_exchange_bindings", "basic.nack",
			"consumer_cancel_notify", "connection.blocked", "consumer_priorities",
			"authentication_failure_close", "per_consumer_qos", "direct_reply_to"} {
			if caps[c] != true {
				fail("capability %s = %#v", c, caps[c])
			}
		}
	})
	check("connection: bad password is refused with 403 ACCESS_REFUSED", func() {
		_, err := amqp.Dial(strings.Replace(url, "guest:guest@", "guest:wrong@", 1))
		// amqp091-go does not advertise authentication_failure_close, so RabbitMQ just closes the
		// socket and the client reports its ErrCredentials (403 ACCESS_REFUSED).
		if err != amqp.ErrCredentials {
			fail("got %v", err)
		}
		_, err = amqp.Dial(strings.Replace(url, "guest:guest@", "nobody:guest@", 1))
		if err != amqp.ErrCredentials {
			fail("unknown user: got %v", err)
		}
	})
	check("connection: tune negotiation (client heartbeat 7s wins, frame_max 131072, channel_max 2047)", func() {
		conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 7 * time.Second})
		must(err, "dial")
		defer conn.Close()
		eq("heartbeat", conn.Config.Heartbeat, 7*time.Second)
		eq("frame_max", conn.Config.FrameSize, 131072)
		eq("channel_max", conn.Config.ChannelMax, 2047)
	})
	check("connection: client heartbeat 0 takes the server's 60s", func() {
		conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 0})
		must(err, "dial")
		defer conn.Close()
		eq("heartbeat", conn.Config.Heartbeat, 60*time.Second)
	})
	check("connection: server heartbeats keep an idle 1s-heartbeat connection alive", func() {
		// amqp091-go drops the connection when nothing arrives for 1.5 intervals.
		conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 1 * time.Second})
		must(err, "dial")
		defer conn.Close()
		closed := notifyConnClose(conn)
		select {
		case e := <-closed:
			fail("connection closed while idle: %v", e)
		case <-time.After(3500 * time.Millisecond):
		}
		ch := channel(conn)
		tempQueue(ch, nil)
	})
	check("channel: open several, close one, closed channel refuses use, others keep working", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		a, b := channel(conn), channel(conn)
		must(b.Close(), "channel.close")
		eq("closed", b.IsClosed(), true)
		if err := b.Publish("", "x", false, false, amqp.Publishing{}); err != amqp.ErrClosed {
			fail("publish on closed channel: %v", err)
		}
		q := tempQueue(a, nil)
		publish(ch, "", q, "m")
		eq("body", string(waitGet(a, q, true).Body), "m")
		c := channel(conn)
		tempQueue(c, nil)
	}))
	check("connection: close is clean and deletes its exclusive queues", func() {
		conn := dial()
		q, err := channel(conn).QueueDeclare("go-exclusive"+suffix, false, false, true, false, nil)
		must(err, "queue.declare")
		must(conn.Close(), "connection.close")
		other := dial()
		defer other.Close()
		_, err = channel(other).QueueDeclarePassive(q.Name, false, false, true, false, nil)
		amqpErr("exclusive queue after close", err, 404, "NOT_FOUND - no queue '"+q.Name+"' in vhost '/'")
	})
}
