package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- harness ------------------------------------------------------------------------------------

type failure struct{ msg string }

// fail ends the running check with a FAIL line.
func fail(format string, a ...interface{}) { panic(failure{fmt.Sprintf(format, a...)}) }

func must(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func eq(what string, got, want interface{}) {
	if !reflect.DeepEqual(got, want) {
		fail("%s: got %#v, want %#v", what, got, want)
	}
}

// check runs one check with a watchdog, so a broker that never answers fails the check instead of
// hanging the program.
func check(name string, f func()) {
	done := make(chan string, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				if fl, ok := r.(failure); ok {
					done <- fl.msg
				} else {
					done <- fmt.Sprintf("panic: %v", r)
				}
			}
		}()
		f()
		done <- ""
	}()
	var msg string
	select {
	case msg = <-done:
	case <-time.After(20 * time.Second):
		msg = "timed out after 20s"
	}
	if msg == "" {
		passed++
		fmt.Printf("ok %s\n", name)
	} else {
		failed++
		fmt.Printf("FAIL %s: %s\n", name, strings.ReplaceAll(msg, "\n", " "))
	}
}

func dial() *amqp.Connection {
	conn, err := amqp.Dial(url)
	must(err, "dial")
	return conn
}

func channel(conn *amqp.Connection) *amqp.Channel {
	ch, err := conn.Channel()
	must(err, "channel.open")
	return ch
}

// session runs f on a fresh connection and channel, closing the connection afterwards.
func session(f func(conn *amqp.Connection, ch *amqp.Channel)) func() {
	return func() {
		conn := dial()
		defer conn.Close()
		f(conn, channel(conn))
	}
}

// cleanup deletes queues and exchanges on a connection of its own (the test's channel may be
// closed by then).
func cleanup(queues []string, exchanges []string) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return
	}
	defer conn.Close()
	for _, q := range queues {
		if ch, err := conn.Channel(); err == nil {
			ch.QueueDelete(q, false, false, false)
		}
	}
	for _, x := range exchanges {
		if ch, err := conn.Channel(); err == nil {
			ch.ExchangeDelete(x, false, false)
		}
	}
}

// amqpErr asserts that err is an AMQP error with this code and exactly this reply text.
func amqpErr(what string, err error, code int, text string) {
	var e *amqp.Error
	if !errors.As(err, &e) {
		fail("%s: expected AMQP error %d %q, got %v", what, code, text, err)
	}
	if e.Code != code || e.Reason != text {
		fail("%s: expected %d %q, got %d %q", what, code, text, e.Code, e.Reason)
	}
}

// closedWith waits for the error a channel's or connection's NotifyClose reports.
func closedWith(what string, c chan *amqp.Error, code int, text string) {
	select {
	case e := <-c:
		if e == nil {
			fail("%s: closed without an error, want %d %q", what, code, text)
		}
		amqpErr(what, e, code, text)
	case <-time.After(waitLimit):
		fail("%s: still open after %v, want %d %q", what, waitLimit, code, text)
	}
}

func notifyChannelClose(ch *amqp.Channel) chan *amqp.Error {
	return ch.NotifyClose(make(chan *amqp.Error, 1))
}

func notifyConnClose(conn *amqp.Connection) chan *amqp.Error {
	return conn.NotifyClose(make(chan *amqp.Error, 1))
}

func publish(ch *amqp.Channel, exchange, key, body string) {
	must(ch.Publish(exchange, key, false, false, amqp.Publishing{Body: []byte(body)}), "publish")
}

// confirmer publishes in confirm mode and waits for the confirms.
type confirmer struct {
	ch       *amqp.Channel
	confirms chan amqp.Confirmation
	pending  int
}

func confirming(ch *amqp.Channel) *confirmer {
	must(ch.Confirm(false), "confirm.select")
	return &confirmer{ch: ch, confirms: ch.NotifyPublish(make(chan amqp.Confirmation, 2000))}
}

func (c *confirmer) publish(exchange, key string, msg amqp.Publishing) {
	must(c.ch.Publish(exchange, key, false, false, msg), "publish")
	c.pending++
}

func (c *confirmer) body(exchange, key, body string) {
	c.publish(exchange, key, amqp.Publishing{Body: []byte(body)})
}

// wait returns one ack flag per publish since the last wait, in publish order.
func (c *confirmer) wait() []bool {
	var acks []bool
	for len(acks) < c.pending {
		select {
		case conf, ok := <-c.confirms:
			if !ok {
				fail("channel closed after %d of %d confirms", len(acks), c.pending)
			}
			acks = append(acks, conf.Ack)
		case <-time.After(waitLimit):
			fail("only %d of %d confirms after %v", len(acks), c.pending, waitLimit)
		}
	}
	c.pending = 0
	return acks
}

func (c *confirmer) allAcked() {
	for i, ack := range c.wait() {
		if !ack {
			fail("publish %d was nacked", i+1)
		}
	}
}

// waitGet polls basic.get until a message arrives.
func waitGet(ch *amqp.Channel, queue string, autoAck bool) amqp.Delivery {
	deadline := time.Now().Add(3 * time.Second)
	for {
		d, ok, err := ch.Get(queue, autoAck)
		must(err, "basic.get "+queue)
		if ok {
			return d
		}
		if time.Now().After(deadline) {
			fail("queue %s stayed empty for 3s", queue)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drain gets (auto-ack) everything that is in the queue now.
func drain(ch *amqp.Channel, queue string) []string {
	bodies := []string{}
	for {
		d, ok, err := ch.Get(queue, true)
		must(err, "basic.get "+queue)
		if !ok {
			return bodies
		}
		bodies = append(bodies, string(d.Body))
	}
}

func count(ch *amqp.Channel, queue string) int {
	q, err := ch.QueueDeclarePassive(queue, false, false, false, false, nil)
	must(err, "passive queue.declare "+queue)
	return q.Messages
}

// waitLimit bounds waits for what must happen (a confirm, a delivery, a close): long, because it
// only guards against hangs, and a broker on a busy 2-core machine can take seconds.
const waitLimit = 20 * time.Second

func recv(what string, d <-chan amqp.Delivery) amqp.Delivery {
	select {
	case m, ok := <-d:
		if !ok {
			fail("%s: consumer channel closed", what)
		}
		return m
	case <-time.After(waitLimit):
		fail("%s: no delivery within %v", what, waitLimit)
	}
	return amqp.Delivery{}
}

func quiet(what string, d <-chan amqp.Delivery, wait time.Duration) {
	select {
	case m, ok := <-d:
		if ok {
			fail("%s: unexpected delivery %q", what, m.Body)
		}
	case <-time.After(wait):
	}
}

func tempQueue(ch *amqp.Channel, args amqp.Table) string {
	q, err := ch.QueueDeclare("", false, false, true, false, args)
	must(err, "queue.declare")
	return q.Name
}
