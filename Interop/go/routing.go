package main

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- routing ------------------------------------------------------------------------------------

func routingChecks() {
	check("routing: direct exchange by exact key, one queue bound twice gets one copy", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-rdirect" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "direct", false, false, false, false, nil), "declare")
		qa, qb := tempQueue(ch, nil), tempQueue(ch, nil)
		must(ch.QueueBind(qa, "a", x, false, nil), "bind")
		must(ch.QueueBind(qa, "b", x, false, nil), "bind")
		must(ch.QueueBind(qb, "b", x, false, nil), "bind")
		p := confirming(ch)
		for _, k := range []string{"a", "b", "c", "A"} {
			p.body(x, k, k)
		}
		p.allAcked()
		eq("qa", drain(ch, qa), []string{"a", "b"})
		eq("qb", drain(ch, qb), []string{"b"})
	}))
	check("routing: topic with * and # over several keys", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-rtopic" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "topic", false, false, false, false, nil), "declare")
		patterns := []string{"*.orange.*", "*.*.rabbit", "lazy.#", "#", "a.#.b", "*", "#.z", "a.*.#"}
		queues := map[string]string{}
		for _, pat := range patterns {
			queues[pat] = tempQueue(ch, nil)
			must(ch.QueueBind(queues[pat], pat, x, false, nil), "bind "+pat)
		}
		keys := []string{"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
			"lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.male.rabbit", "lazy", "a.b",
			"a.x.y.b", "z", "x.y.z", "a", "a.x", ""}
		p := confirming(ch)
		for _, k := range keys {
			p.body(x, k, k)
		}
		p.allAcked()
		want := map[string][]string{
			"*.orange.*": {"quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox"},
			"*.*.rabbit": {"quick.orange.rabbit", "lazy.pink.rabbit"},
			"lazy.#":     {"lazy.orange.elephant", "lazy.brown.fox", "lazy.pink.rabbit", "lazy"},
			"#":          keys,
			"a.#.b":      {"a.b", "a.x.y.b"},
			"*":          {"orange", "lazy", "z", "a"},
			"#.z":        {"z", "x.y.z"},
			"a.*.#":      {"a.b", "a.x.y.b", "a.x"},
		}
		for _, pat := range patterns {
			eq("pattern "+pat, drain(ch, queues[pat]), want[pat])
		}
	}))
	check("routing: fanout ignores the key and copies to every queue", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-rfanout" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "fanout", false, false, false, false, nil), "declare")
		qa, qb := tempQueue(ch, nil), tempQueue(ch, nil)
		must(ch.QueueBind(qa, "", x, false, nil), "bind")
		must(ch.QueueBind(qb, "ignored", x, false, nil), "bind")
		p := confirming(ch)
		p.body(x, "anything", "f1")
		p.body(x, "", "f2")
		p.allAcked()
		eq("qa", drain(ch, qa), []string{"f1", "f2"})
		eq("qb", drain(ch, qb), []string{"f1", "f2"})
	}))
	check("routing: headers exchange x-match all and any", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-rheaders" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "headers", false, false, false, false, nil), "declare")
		qall, qany, qdef := tempQueue(ch, nil), tempQueue(ch, nil), tempQueue(ch, nil)
		must(ch.QueueBind(qall, "", x, false, amqp.Table{"x-match": "all", "format": "pdf", "type": "report"}), "bind all")
		must(ch.QueueBind(qany, "", x, false, amqp.Table{"x-match": "any", "format": "pdf", "type": "report"}), "bind any")
		must(ch.QueueBind(qdef, "", x, false, amqp.Table{"format": "pdf"}), "bind default")
		p := confirming(ch)
		send := func(body string, h amqp.Table) { p.publish(x, "key", amqp.Publishing{Body: []byte(body), Headers: h}) }
		send("both", amqp.Table{"format": "pdf", "type": "report", "extra": int32(1)})
		send("format", amqp.Table{"format": "pdf", "type": "log"})
		send("type", amqp.Table{"type": "report"})
		send("none", nil)
		send("other", amqp.Table{"format": "zip"})
		p.allAcked()
		eq("all", drain(ch, qall), []string{"both"})
		eq("any", drain(ch, qany), []string{"both", "format", "type"})
		eq("no x-match (all)", drain(ch, qdef), []string{"both", "format"})
	}))
	check("routing: headers x-match all-with-x and any-with-x also match x- headers", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		x := "go-rheadersx" + suffix
		defer cleanup(nil, []string{x})
		must(ch.ExchangeDeclare(x, "headers", false, false, false, false, nil), "declare")
		qall, qallx, qanyx := tempQueue(ch, nil), tempQueue(ch, nil), tempQueue(ch, nil)
		must(ch.QueueBind(qall, "", x, false, amqp.Table{"x-match": "all", "x-tag": "a", "kind": "k"}), "bind all")
		must(ch.QueueBind(qallx, "", x, false, amqp.Table{"x-match": "all-with-x", "x-tag": "a", "kind": "k"}), "bind all-with-x")
		must(ch.QueueBind(qanyx, "", x, false, amqp.Table{"x-match": "any-with-x", "x-tag": "a"}), "bind any-with-x")
		p := confirming(ch)
		send := func(body string, h amqp.Table) { p.publish(x, "key", amqp.Publishing{Body: []byte(body), Headers: h}) }
		send("kind-only", amqp.Table{"kind": "k"})
		send("tag-and-kind", amqp.Table{"kind": "k", "x-tag": "a"})
		send("wrong-tag", amqp.Table{"kind": "k", "x-tag": "b"})
		p.allAcked()
		eq("all ignores x- headers", drain(ch, qall), []string{"kind-only", "tag-and-kind", "wrong-tag"})
		eq("all-with-x", drain(ch, qallx), []string{"tag-and-kind"})
		eq("any-with-x", drain(ch, qanyx), []string{"tag-and-kind"})
	}))
	check("routing: default exchange routes by queue name", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		q := tempQueue(ch, nil)
		p := confirming(ch)
		p.body("", q, "d1")
		p.body("", "go-no-such-queue"+suffix, "dropped")
		p.allAcked()
		d := waitGet(ch, q, true)
		eq("delivery", []string{string(d.Body), d.Exchange, d.RoutingKey}, []string{"d1", "", q})
		eq("rest", drain(ch, q), []string{})
	}))
	check("routing: unroutable mandatory publish gets basic.return 312 NO_ROUTE before the confirm ack", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		must(ch.Confirm(false), "confirm.select")
		returns := ch.NotifyReturn(make(chan amqp.Return, 1))
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 2))
		key := "go-nowhere" + suffix
		must(ch.Publish("amq.direct", key, true, false, amqp.Publishing{Body: []byte("lost"), MessageId: "m1"}), "publish")
		// amqp091-go hands both to their Go channels from its one reader goroutine, in frame
		// order; once both are buffered a select over the two picks either at random. So wait
		// for the confirm, then the return must already be there.
		select {
		case c := <-confirms:
			eq("confirm", []interface{}{c.DeliveryTag, c.Ack}, []interface{}{uint64(1), true})
		case <-time.After(3 * time.Second):
			fail("no confirm")
		}
		select {
		case r := <-returns:
			eq("return", []interface{}{r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey, string(r.Body), r.MessageId},
				[]interface{}{uint16(312), "NO_ROUTE", "amq.direct", key, "lost", "m1"})
		default:
			fail("the confirm ack came before the basic.return (or no return at all)")
		}
		// Not mandatory: silently dropped, still acked, no return.
		must(ch.Publish("amq.direct", key, false, false, amqp.Publishing{Body: []byte("dropped")}), "publish")
		select {
		case c := <-confirms:
			eq("confirm 2", []interface{}{c.DeliveryTag, c.Ack}, []interface{}{uint64(2), true})
		case <-time.After(3 * time.Second):
			fail("no confirm 2")
		}
		select {
		case r := <-returns:
			fail("return for a non-mandatory publish: %+v", r)
		case <-time.After(100 * time.Millisecond):
		}
	}))
	check("routing: CC and BCC headers add routing keys, BCC is stripped", session(func(conn *amqp.Connection, ch *amqp.Channel) {
		qa, qb, qc := tempQueue(ch, nil), tempQueue(ch, nil), tempQueue(ch, nil)
		p := confirming(ch)
		p.publish("", qa, amqp.Publishing{Body: []byte("m"), Headers: amqp.Table{
			"CC": []interface{}{qb}, "BCC": []interface{}{qc}}})
		p.allAcked()
		var problems []string
		for _, q := range []struct{ name, role string }{{qa, "routing key"}, {qb, "CC"}, {qc, "BCC"}} {
			d, ok, err := ch.Get(q.name, true)
			must(err, "get")
			if !ok {
				problems = append(problems, "nothing routed by "+q.role)
				continue
			}
			if _, ok := d.Headers["BCC"]; ok {
				problems = append(problems, "BCC header delivered via "+q.role)
			}
			if cc, _ := d.Headers["CC"].([]interface{}); !reflect.DeepEqual(cc, []interface{}{qb}) {
				problems = append(problems, fmt.Sprintf("CC header %#v via %s", d.Headers["CC"], q.role))
			}
			if d.RoutingKey != qa {
				problems = append(problems, "routing key "+d.RoutingKey+" via "+q.role)
			}
		}
		if len(problems) > 0 {
			fail("%s", strings.Join(problems, "; "))
		}
	}))
}
