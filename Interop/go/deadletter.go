package main

import (
	"sort"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- confirms and transactions ------------------------------------------------------------------

func confirmChecks() {
	check("confirms: 1000 publishes are all confirmed, tags 1..1000 in order", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		must(ch.Confirm(false), "confirm.select")
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1000))
		for i := 0; i < 1000; i++ {
			must(ch.Publish("", q, false, false, amqp.Publishing{Body: []byte("x")}), "publish")
		}
		for i := 1; i <= 1000; i++ {
			select {
			case c := <-confirms:
				if !c.Ack || c.DeliveryTag != uint64(i) {
					fail("confirm %d: %+v", i, c)
				}
			case <-time.After(5 * time.Second):
				fail("only %d confirms", i-1)
			}
		}
		eq("messages", count(ch, q), 1000)
	}))
	check("tx: publishes are applied on commit and dropped on rollback", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		must(ch.Tx(), "tx.select")
		publish(ch, "", q, "rolled back")
		must(ch.TxRollback(), "tx.rollback")
		publish(ch, "", q, "committed")
		eq("before commit", count(channel(conn), q), 0)
		must(ch.TxCommit(), "tx.commit")
		eq("after commit", drain(channel(conn), q), []string{"committed"})
	}))
	check("tx: acks are applied on commit and dropped on rollback", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		publish(ch, "", q, "a")
		publish(ch, "", q, "b")
		tx := channel(conn)
		must(tx.Tx(), "tx.select")
		da, db := waitGet(tx, q, false), waitGet(tx, q, false)
		must(da.Ack(false), "ack a")
		must(tx.TxRollback(), "tx.rollback")
		must(db.Ack(false), "ack b")
		must(tx.TxCommit(), "tx.commit")
		must(tx.Close(), "close")
		d := waitGet(ch, q, true)
		eq("left", []interface{}{string(d.Body), d.Redelivered}, []interface{}{"a", true})
	}))
	check("tx: commit on a non-transactional channel is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		amqpErr("tx.commit", ch.TxCommit(), 406, "PRECONDITION_FAILED - channel is not transactional")
		c2 := channel(conn)
		amqpErr("tx.rollback", c2.TxRollback(), 406, "PRECONDITION_FAILED - channel is not transactional")
	}))
	check("tx: confirm.select on a tx channel and tx.select on a confirm channel are 406", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		must(ch.Tx(), "tx.select")
		amqpErr("confirm after tx", ch.Confirm(false), 406, "PRECONDITION_FAILED - cannot switch from tx to confirm mode")
		c2 := channel(conn)
		must(c2.Confirm(false), "confirm.select")
		amqpErr("tx after confirm", c2.Tx(), 406, "PRECONDITION_FAILED - cannot switch from confirm to tx mode")
	}))
}

// --- TTL, length limits, dead lettering ---------------------------------------------------------

// death returns the x-death entries of a dead-lettered delivery.
func deaths(d amqp.Delivery) []amqp.Table {
	raw, ok := d.Headers["x-death"].([]interface{})
	if !ok {
		fail("x-death is %#v", d.Headers["x-death"])
	}
	var out []amqp.Table
	for _, r := range raw {
		t, ok := r.(amqp.Table)
		if !ok {
			fail("x-death entry %#v", r)
		}
		out = append(out, t)
	}
	return out
}

func keysOf(t amqp.Table) []string {
	var keys []string
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkDeath compares one x-death entry, with time checked to be a recent timestamp.
func checkDeath(what string, got amqp.Table, count int64, reason, queue, exchange string, keys []string, extra amqp.Table) {
	ts, ok := got["time"].(time.Time)
	if !ok || time.Since(ts) > time.Minute || time.Until(ts) > 5*time.Second {
		fail("%s: time %#v", what, got["time"])
	}
	rk := []interface{}{}
	for _, k := range keys {
		rk = append(rk, k)
	}
	want := amqp.Table{"count": count, "reason": reason, "queue": queue, "exchange": exchange, "routing-keys": rk, "time": ts}
	for k, v := range extra {
		want[k] = v
	}
	eq(what+" keys", keysOf(got), keysOf(want))
	for k := range want {
		eq(what+" "+k, got[k], want[k])
	}
}

func firstDeath(what string, d amqp.Delivery, reason, queue, exchange string) {
	eq(what+" x-first-death", []interface{}{d.Headers["x-first-death-reason"], d.Headers["x-first-death-queue"], d.Headers["x-first-death-exchange"]},
		[]interface{}{reason, queue, exchange})
	for _, h := range []string{"x-last-death-reason", "x-last-death-queue", "x-last-death-exchange"} {
		if _, ok := d.Headers[h]; ok {
			fail("%s: 3.10 has no %s header", what, h)
		}
	}
}

func deadLetterChecks() {
	check("dead-letter: reject(requeue=false) moves the message to the DLX with x-death and x-first-death-*", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		src, dlx := "go-dlsrc"+suffix, "go-dlx"+suffix
		defer cleanup(nil, []string{src, dlx})
		must(ch.ExchangeDeclare(src, "direct", false, false, false, false, nil), "declare src")
		must(ch.ExchangeDeclare(dlx, "direct", false, false, false, false, nil), "declare dlx")
		dlq := tempQueue(ch, nil)
		must(ch.QueueBind(dlq, "dl-key", dlx, false, nil), "bind dlq")
		work := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dl-key"})
		must(ch.QueueBind(work, "k1", src, false, nil), "bind work")
		p := confirming(ch)
		p.publish(src, "k1", amqp.Publishing{Body: []byte("bad"), Headers: amqp.Table{"app": "v"}, MessageId: "m1"})
		p.allAcked()
		must(waitGet(ch, work, false).Reject(false), "reject")
		d := waitGet(ch, dlq, true)
		eq("delivery", []interface{}{string(d.Body), d.Exchange, d.RoutingKey, d.MessageId, d.Headers["app"]},
			[]interface{}{"bad", dlx, "dl-key", "m1", "v"})
		ds := deaths(d)
		eq("x-death entries", len(ds), 1)
		checkDeath("x-death[0]", ds[0], 1, "rejected", work, src, []string{"k1"}, nil)
		firstDeath("", d, "rejected", work, src)
		eq("work queue", count(ch, work), 0)
	}))
	check("dead-letter: nack(requeue=false) keeps the original routing key without x-dead-letter-routing-key", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlx := "go-dlx2" + suffix
		defer cleanup(nil, []string{dlx})
		must(ch.ExchangeDeclare(dlx, "fanout", false, false, false, false, nil), "declare dlx")
		dlq := tempQueue(ch, nil)
		must(ch.QueueBind(dlq, "", dlx, false, nil), "bind")
		work := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": dlx})
		publish(ch, "", work, "n")
		must(waitGet(ch, work, false).Nack(false, false), "nack")
		d := waitGet(ch, dlq, true)
		eq("delivery", []string{d.Exchange, d.RoutingKey}, []string{dlx, work})
		checkDeath("x-death[0]", deaths(d)[0], 1, "rejected", work, "", []string{work}, nil)
	}))
	check("dead-letter: two hops list x-death newest first; a second death in the same queue counts 2", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q3 := tempQueue(ch, nil)
		q2 := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": q3})
		q1 := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": q2})
		publish(ch, "", q1, "hop")
		must(waitGet(ch, q1, false).Reject(false), "reject from q1")
		must(waitGet(ch, q2, false).Reject(false), "reject from q2")
		d := waitGet(ch, q3, true)
		eq("delivery", []string{d.Exchange, d.RoutingKey}, []string{"", q3})
		ds := deaths(d)
		eq("entries", len(ds), 2)
		checkDeath("x-death[0]", ds[0], 1, "rejected", q2, "", []string{q2}, nil)
		checkDeath("x-death[1]", ds[1], 1, "rejected", q1, "", []string{q1}, nil)
		firstDeath("", d, "rejected", q1, "")
		// Publish it again into q1 with its headers and reject it there again.
		p := confirming(ch)
		p.publish("", q1, amqp.Publishing{Body: d.Body, Headers: d.Headers})
		p.allAcked()
		must(waitGet(ch, q1, false).Reject(false), "reject from q1 again")
		d = waitGet(ch, q2, true)
		ds = deaths(d)
		eq("entries after second death", len(ds), 2)
		checkDeath("x-death[0] again", ds[0], 2, "rejected", q1, "", []string{q1}, nil)
		checkDeath("x-death[1] again", ds[1], 1, "rejected", q2, "", []string{q2}, nil)
		firstDeath("again", d, "rejected", q1, "")
	}))
	check("ttl: x-message-ttl dead-letters with reason expired", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		src := "go-ttlsrc" + suffix
		defer cleanup(nil, []string{src})
		must(ch.ExchangeDeclare(src, "topic", false, false, false, false, nil), "declare")
		dlq := tempQueue(ch, nil)
		work := tempQueue(ch, amqp.Table{"x-message-ttl": int32(50), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		must(ch.QueueBind(work, "t.*", src, false, nil), "bind")
		publish(ch, src, "t.k", "short-lived")
		d := waitGet(ch, dlq, true)
		eq("delivery", []string{string(d.Body), d.Exchange, d.RoutingKey}, []string{"short-lived", "", dlq})
		checkDeath("x-death[0]", deaths(d)[0], 1, "expired", work, src, []string{"t.k"}, nil)
		firstDeath("", d, "expired", work, src)
		eq("work", count(ch, work), 0)
	}))
	check("ttl: per-message expiration dead-letters with reason expired and original-expiration", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlq := tempQueue(ch, nil)
		work := tempQueue(ch, amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		must(ch.Publish("", work, false, false, amqp.Publishing{Body: []byte("stale"), Expiration: "30"}), "publish")
		d := waitGet(ch, dlq, true)
		eq("expiration property", d.Expiration, "")
		checkDeath("x-death[0]", deaths(d)[0], 1, "expired", work, "", []string{work}, amqp.Table{"original-expiration": "30"})
	}))
	check("ttl: expiration 0 on a queue without consumers expires at once", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		p.publish("", q, amqp.Publishing{Body: []byte("now or never"), Expiration: "0"})
		p.allAcked()
		time.Sleep(50 * time.Millisecond)
		eq("messages", drain(ch, q), []string{})
	}))
	check("max-length: drop-head dead-letters the oldest with reason maxlen", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlq := tempQueue(ch, nil)
		work := tempQueue(ch, amqp.Table{"x-max-length": int32(2), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		p := confirming(ch)
		for _, b := range []string{"1", "2", "3"} {
			p.body("", work, b)
		}
		p.allAcked()
		d := waitGet(ch, dlq, true)
		eq("dead", string(d.Body), "1")
		checkDeath("x-death[0]", deaths(d)[0], 1, "maxlen", work, "", []string{work}, nil)
		eq("kept", drain(ch, work), []string{"2", "3"})
	}))
	check("max-length: x-overflow reject-publish nacks the publish that does not fit", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		dlq := tempQueue(ch, nil)
		work := tempQueue(ch, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish",
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		p := confirming(ch)
		p.body("", work, "fits")
		p.body("", work, "does not fit")
		eq("acks", p.wait(), []bool{true, false})
		eq("kept", drain(ch, work), []string{"fits"})
		eq("dead-lettered (reject-publish does not)", drain(ch, dlq), []string{})
	}))
}
