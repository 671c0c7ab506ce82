package main

import (
	"fmt"
	"reflect"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- publish, get, consume ----------------------------------------------------------------------

func consumeChecks() {
	check("get: get-empty on an empty queue, get-ok message count", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		_, ok, err := ch.Get(q, true)
		must(err, "get")
		eq("got a message from an empty queue", ok, false)
		p := confirming(ch)
		for _, b := range []string{"1", "2", "3"} {
			p.body("", q, b)
		}
		p.allAcked()
		d := waitGet(ch, q, true)
		eq("get-ok", []interface{}{string(d.Body), d.MessageCount, d.Redelivered, d.DeliveryTag, d.Exchange, d.RoutingKey},
			[]interface{}{"1", uint32(2), false, uint64(1), "", q})
	}))
	check("consume: manual ack; unacked deliveries return redelivered when the channel closes", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		cons := channel(conn)
		deliveries, err := cons.Consume(q, "go-consumer", false, false, false, false, nil)
		must(err, "consume")
		publish(ch, "", q, "m1")
		publish(ch, "", q, "m2")
		d1, d2 := recv("m1", deliveries), recv("m2", deliveries)
		eq("deliveries", []interface{}{string(d1.Body), d1.DeliveryTag, d1.ConsumerTag, d1.Redelivered, string(d2.Body), d2.DeliveryTag},
			[]interface{}{"m1", uint64(1), "go-consumer", false, "m2", uint64(2)})
		must(d1.Ack(false), "ack")
		eq("ready while unacked", count(ch, q), 0)
		must(cons.Close(), "channel.close")
		d := waitGet(ch, q, true)
		eq("after close", []interface{}{string(d.Body), d.Redelivered}, []interface{}{"m2", true})
		eq("rest", drain(ch, q), []string{})
	}))
	check("consume: round-robin over two consumers", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		a, err := ch.Consume(q, "a", true, false, false, false, nil)
		must(err, "consume a")
		b, err := ch.Consume(q, "b", true, false, false, false, nil)
		must(err, "consume b")
		pub := channel(conn)
		for i := 0; i < 6; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		var gotA, gotB []string
		for i := 0; i < 3; i++ {
			gotA = append(gotA, string(recv("a", a).Body))
			gotB = append(gotB, string(recv("b", b).Body))
		}
		eq("a and b", [][]string{gotA, gotB}, [][]string{{"0", "2", "4"}, {"1", "3", "5"}})
	}))
	check("consume: basic.qos prefetch_count limits unacked deliveries", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		must(ch.Qos(2, 0, false), "basic.qos")
		deliveries, err := ch.Consume(q, "", false, false, false, false, nil)
		must(err, "consume")
		pub := channel(conn)
		for i := 1; i <= 5; i++ {
			publish(pub, "", q, fmt.Sprint(i))
		}
		recv("1", deliveries)
		second := recv("2", deliveries)
		quiet("with 2 unacked", deliveries, 300*time.Millisecond)
		eq("ready", count(pub, q), 3)
		must(second.Ack(true), "ack multiple")
		recv("3", deliveries)
		fourth := recv("4", deliveries)
		quiet("with 2 unacked again", deliveries, 200*time.Millisecond)
		must(fourth.Ack(true), "ack multiple")
		eq("5", string(recv("5", deliveries).Body), "5")
	}))
	check("ack: nack/reject with requeue come back redelivered in original order", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		for _, b := range []string{"1", "2", "3", "4"} {
			p.body("", q, b)
		}
		p.allAcked()
		d1, d2, d3 := waitGet(ch, q, false), waitGet(ch, q, false), waitGet(ch, q, false)
		must(d2.Reject(true), "reject 2")
		must(d3.Nack(false, true), "nack 3")
		must(d1.Nack(false, true), "nack 1")
		var got []string
		for i := 0; i < 4; i++ {
			d := waitGet(ch, q, true)
			got = append(got, fmt.Sprintf("%s:%v", d.Body, d.Redelivered))
		}
		eq("order", got, []string{"1:true", "2:true", "3:true", "4:false"})
	}))
	check("ack: nack multiple requeues every earlier delivery", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		for _, b := range []string{"1", "2", "3"} {
			p.body("", q, b)
		}
		p.allAcked()
		waitGet(ch, q, false)
		waitGet(ch, q, false)
		d3 := waitGet(ch, q, false)
		must(d3.Nack(true, true), "nack multiple")
		var got []string
		for i := 0; i < 3; i++ {
			d := waitGet(ch, q, true)
			got = append(got, fmt.Sprintf("%s:%v", d.Body, d.Redelivered))
		}
		eq("order", got, []string{"1:true", "2:true", "3:true"})
	}))
	check("ack: multiple=true acks every earlier delivery", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		for _, b := range []string{"1", "2", "3", "4"} {
			p.body("", q, b)
		}
		p.allAcked()
		sub := channel(conn)
		var ds []amqp.Delivery
		for i := 0; i < 4; i++ {
			ds = append(ds, waitGet(sub, q, false))
		}
		must(ds[2].Ack(true), "ack multiple")
		must(sub.Close(), "close")
		d := waitGet(ch, q, true)
		eq("left", []interface{}{string(d.Body), d.Redelivered}, []interface{}{"4", true})
		eq("rest", drain(ch, q), []string{})
	}))
	check("consume: basic.recover requeue=true redelivers unacked messages", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		deliveries, err := ch.Consume(q, "", false, false, false, false, nil)
		must(err, "consume")
		pub := channel(conn)
		publish(pub, "", q, "r1")
		publish(pub, "", q, "r2")
		first := []amqp.Delivery{recv("r1", deliveries), recv("r2", deliveries)}
		must(ch.Recover(true), "basic.recover")
		again := []amqp.Delivery{recv("r1 again", deliveries), recv("r2 again", deliveries)}
		eq("first", []interface{}{string(first[0].Body), first[0].Redelivered, string(first[1].Body), first[1].Redelivered},
			[]interface{}{"r1", false, "r2", false})
		eq("again", []interface{}{string(again[0].Body), again[0].Redelivered, again[0].DeliveryTag, string(again[1].Body), again[1].Redelivered, again[1].DeliveryTag},
			[]interface{}{"r1", true, uint64(3), "r2", true, uint64(4)})
		must(again[1].Ack(true), "ack")
		quiet("after ack", deliveries, 100*time.Millisecond)
		eq("ready", count(pub, q), 0)
	}))
	check("consume: cancel by the client closes the delivery channel; later messages stay queued", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		deliveries, err := ch.Consume(q, "go-cancel-me", true, false, false, false, nil)
		must(err, "consume")
		publish(ch, "", q, "before")
		eq("before", string(recv("before", deliveries).Body), "before")
		must(ch.Cancel("go-cancel-me", false), "basic.cancel")
		select {
		case d, ok := <-deliveries:
			if ok {
				fail("delivery after cancel: %q", d.Body)
			}
		case <-time.After(3 * time.Second):
			fail("delivery channel still open")
		}
		publish(ch, "", q, "after")
		eq("queued", string(waitGet(ch, q, true).Body), "after")
	}))
	check("consume: deleting the queue cancels its consumers (server basic.cancel)", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-cancel" + suffix
		defer cleanup([]string{name}, nil)
		_, err := ch.QueueDeclare(name, false, false, false, false, nil)
		must(err, "declare")
		cancels := ch.NotifyCancel(make(chan string, 1))
		_, err = ch.Consume(name, "watcher", true, false, false, false, nil)
		must(err, "consume")
		_, err = channel(conn).QueueDelete(name, false, false, false)
		must(err, "delete")
		select {
		case tag := <-cancels:
			eq("cancelled tag", tag, "watcher")
		case <-time.After(3 * time.Second):
			fail("no basic.cancel from the server")
		}
		tempQueue(ch, nil) // the channel stays open
	}))
	check("consume: exclusive consumer makes other consumers 403, and vice versa", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q1, q2 := "go-exclc"+suffix, "go-exclc2"+suffix
		defer cleanup([]string{q1, q2}, nil)
		for _, q := range []string{q1, q2} {
			_, err := ch.QueueDeclare(q, false, true, false, false, nil)
			must(err, "declare")
		}
		_, err := ch.Consume(q1, "first", true, true, false, false, nil)
		must(err, "exclusive consume")
		_, err = channel(conn).Consume(q1, "second", true, false, false, false, nil)
		amqpErr("second consumer", err, 403, "ACCESS_REFUSED - queue '"+q1+"' in vhost '/' in exclusive use")
		_, err = ch.Consume(q2, "plain", true, false, false, false, nil)
		must(err, "plain consume")
		_, err = channel(conn).Consume(q2, "exclusive", true, true, false, false, nil)
		amqpErr("exclusive after a consumer", err, 403, "ACCESS_REFUSED - queue '"+q2+"' in vhost '/' in exclusive use")
	}))
	check("consume: reusing a consumer tag on a channel is 530 NOT_ALLOWED", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		closed := notifyConnClose(conn)
		_, err := ch.Consume(q, "dup", true, false, false, false, nil)
		must(err, "consume")
		_, err = ch.Consume(q, "dup", true, false, false, false, nil)
		amqpErr("second consume", err, 530, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'")
		closedWith("connection", closed, 530, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'")
	}))
	check("consume: consuming from a missing queue is 404", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		name := "go-nocq" + suffix
		_, err := ch.Consume(name, "", true, false, false, false, nil)
		amqpErr("consume", err, 404, "NOT_FOUND - no queue '"+name+"' in vhost '/'")
	}))
	check("publish: properties and header table types round-trip", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		ts := time.Unix(1700000000, 0)
		msg := amqp.Publishing{
			ContentType: "application/json", ContentEncoding: "utf-8", DeliveryMode: 2, Priority: 4,
			CorrelationId: "corr", ReplyTo: "reply", Expiration: "60000", MessageId: "mid", Timestamp: ts,
			Type: "kind", UserId: "guest", AppId: "go", Body: []byte(`{"a":1}`),
			Headers: amqp.Table{"bool": true, "i8": int8(-8), "i16": int16(-16), "i32": int32(-32), "i64": int64(-64),
				"f32": float32(1.5), "f64": float64(2.25), "str": "s", "bytes": []byte{0, 1, 2},
				"dec": amqp.Decimal{Scale: 2, Value: 12345}, "ts": ts, "void": nil,
				"arr": []interface{}{int32(1), "two", true}, "tbl": amqp.Table{"k": "v"}},
		}
		p := confirming(ch)
		p.publish("", q, msg)
		p.allAcked()
		d := waitGet(ch, q, true)
		got := amqp.Publishing{ContentType: d.ContentType, ContentEncoding: d.ContentEncoding, DeliveryMode: d.DeliveryMode,
			Priority: d.Priority, CorrelationId: d.CorrelationId, ReplyTo: d.ReplyTo, Expiration: d.Expiration,
			MessageId: d.MessageId, Timestamp: d.Timestamp, Type: d.Type, UserId: d.UserId, AppId: d.AppId,
			Body: d.Body, Headers: d.Headers}
		for k := range msg.Headers {
			eq("header "+k, got.Headers[k], msg.Headers[k])
		}
		got.Headers, msg.Headers = nil, nil
		eq("properties", got, msg)
	}))
	check("publish: user_id other than the login is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		closed := notifyChannelClose(ch)
		must(ch.Publish("", "anything", false, false, amqp.Publishing{UserId: "mallory"}), "publish")
		closedWith("channel", closed, 406, "PRECONDITION_FAILED - user_id property set to 'mallory' but authenticated user was 'guest'")
	}))
	check("publish: a 300 KB body spans several frames and arrives intact", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		body := make([]byte, 300*1024)
		for i := range body {
			body[i] = byte(i * 7)
		}
		p := confirming(ch)
		p.publish("", q, amqp.Publishing{Body: body})
		p.allAcked()
		d := waitGet(ch, q, true)
		if !reflect.DeepEqual(d.Body, body) {
			fail("body of %d bytes differs", len(d.Body))
		}
	}))
}
