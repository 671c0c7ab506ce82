// Interop checks for an AMQP 0-9-1 broker, written against RabbitMQ 3.10.8's behaviour and run
// by scripts/interop against both RabbitMQ and Warren's embedded broker with Go's amqp091-go.
//
//	go run . amqp://guest:guest@127.0.0.1:5672/
//
// Prints "ok NAME" or "FAIL NAME: detail" per check and ends with "N passed, M failed".
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

var url string
var passed, failed int
var suffix = fmt.Sprintf("-%d", rand.New(rand.NewSource(time.Now().UnixNano())).Int31())

func check(name string, f func() error) {
	if err := f(); err != nil {
		failed++
		fmt.Printf("FAIL %s: %v\n", name, err)
	} else {
		passed++
		fmt.Printf("ok %s\n", name)
	}
}

func open() (*amqp.Connection, *amqp.Channel, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, ch, nil
}

// session runs a check on a fresh connection and channel, closing them afterwards.
func session(f func(conn *amqp.Connection, ch *amqp.Channel) error) func() error {
	return func() error {
		conn, ch, err := open()
		if err != nil {
			return err
		}
		defer conn.Close()
		return f(conn, ch)
	}
}

func expectCode(err error, code int, prefix string) error {
	var amqpErr *amqp.Error
	if !errors.As(err, &amqpErr) {
		return fmt.Errorf("expected AMQP error %d, got %v", code, err)
	}
	if amqpErr.Code != code || !strings.HasPrefix(amqpErr.Reason, prefix) {
		return fmt.Errorf("expected %d %q..., got %d %q", code, prefix, amqpErr.Code, amqpErr.Reason)
	}
	return nil
}

func get(ch *amqp.Channel, queue string) (string, error) {
	for i := 0; i < 50; i++ {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			return "", err
		}
		if ok {
			return string(d.Body), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("queue %s stayed empty", queue)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: interop AMQP-URL")
		os.Exit(2)
	}
	url = os.Args[1]
	connectionChecks()
	routingChecks()
	consumerChecks()
	reliabilityChecks()
	errorChecks()
	queueFeatureChecks()
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func connectionChecks() {
	check("login and heartbeat negotiation", func() error {
		conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 7 * time.Second})
		if err != nil {
			return err
		}
		defer conn.Close()
		if conn.Config.Heartbeat != 7*time.Second {
			return fmt.Errorf("heartbeat %v", conn.Config.Heartbeat)
		}
		if conn.Config.FrameSize != 131072 || conn.Config.ChannelMax != 2047 {
			return fmt.Errorf("frame size %d, channel max %d", conn.Config.FrameSize, conn.Config.ChannelMax)
		}
		return nil
	})
	check("bad password is refused with 403", func() error {
		bad := strings.Replace(url, "guest:guest@", "guest:wrong@", 1)
		_, err := amqp.Dial(bad)
		// amqp091-go reports any refused login as its ErrCredentials (403).
		return expectCode(err, 403, "")
	})
}

func routingChecks() {
	check("topic, fanout, headers and default exchange routing", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(q.Name, "amq.gen-") {
			return fmt.Errorf("server-named queue %q", q.Name)
		}
		topic, fanout, headers := "go-topic"+suffix, "go-fanout"+suffix, "go-headers"+suffix
		for name, kind := range map[string]string{topic: "topic", fanout: "fanout", headers: "headers"} {
			if err := ch.ExchangeDeclare(name, kind, false, true, false, false, nil); err != nil {
				return err
			}
		}
		binds := []error{
			ch.QueueBind(q.Name, "a.*.c", topic, false, nil),
			ch.QueueBind(q.Name, "x.#", topic, false, nil),
			ch.QueueBind(q.Name, "", fanout, false, nil),
			ch.QueueBind(q.Name, "", headers, false, amqp.Table{"x-match": "any", "k": "v", "j": "w"}),
		}
		for _, err := range binds {
			if err != nil {
				return err
			}
		}
		publish := func(exchange, key, body string, headers amqp.Table) error {
			return ch.Publish(exchange, key, false, false, amqp.Publishing{Body: []byte(body), Headers: headers})
		}
		steps := []error{
			publish(topic, "a.b.c", "t1", nil), publish(topic, "a.b.b.c", "dropped", nil),
			publish(topic, "x", "t2", nil), publish(topic, "x.y.z", "t3", nil),
			publish(fanout, "anything", "f1", nil), publish(headers, "", "h1", amqp.Table{"j": "w"}),
			publish(headers, "", "dropped", amqp.Table{"k": "other"}), publish("", q.Name, "d1", nil),
		}
		for _, err := range steps {
			if err != nil {
				return err
			}
		}
		var got []string
		for _, want := range []string{"t1", "t2", "t3", "f1", "h1", "d1"} {
			body, err := get(ch, q.Name)
			if err != nil {
				return err
			}
			got = append(got, body)
			if body != want {
				return fmt.Errorf("got %v", got)
			}
		}
		if _, ok, _ := ch.Get(q.Name, true); ok {
			return fmt.Errorf("an unroutable message arrived")
		}
		return nil
	}))
}

func consumerChecks() {
	// A prefetch above the message count lets the broker dispatch all four at once, so the 2/2
	// split does not depend on which consumer acks first.
	check("round robin and manual ack", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		if err := ch.Qos(10, 0, false); err != nil {
			return err
		}
		a, err := ch.Consume(q.Name, "a", false, false, false, false, nil)
		if err != nil {
			return err
		}
		b, err := ch.Consume(q.Name, "b", false, false, false, false, nil)
		if err != nil {
			return err
		}
		for i := 0; i < 4; i++ {
			if err := ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte(fmt.Sprint(i))}); err != nil {
				return err
			}
		}
		counts := map[string]int{}
		for i := 0; i < 4; i++ {
			select {
			case d := <-a:
				counts["a"]++
				d.Ack(false)
			case d := <-b:
				counts["b"]++
				d.Ack(false)
			case <-time.After(3 * time.Second):
				return fmt.Errorf("only %v deliveries", counts)
			}
		}
		if counts["a"] != 2 || counts["b"] != 2 {
			return fmt.Errorf("uneven split %v", counts)
		}
		return nil
	}))
	check("nack with requeue redelivers in order", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, nil)
		for _, body := range []string{"1", "2", "3"} {
			ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte(body)})
		}
		time.Sleep(50 * time.Millisecond)
		var tags []uint64
		for i := 0; i < 3; i++ {
			d, ok, err := ch.Get(q.Name, false)
			if err != nil || !ok {
				return fmt.Errorf("get %d: %v %v", i, ok, err)
			}
			tags = append(tags, d.DeliveryTag)
		}
		if err := ch.Nack(tags[2], true, true); err != nil {
			return err
		}
		d, ok, err := ch.Get(q.Name, true)
		if err != nil || !ok || string(d.Body) != "1" || !d.Redelivered {
			return fmt.Errorf("expected redelivered 1, got %q redelivered=%v ok=%v err=%v", d.Body, d.Redelivered, ok, err)
		}
		return nil
	}))
	check("server cancels a consumer when its queue is deleted", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		name := "go-cancel" + suffix
		if _, err := ch.QueueDeclare(name, false, false, false, false, nil); err != nil {
			return err
		}
		cancels := ch.NotifyCancel(make(chan string, 1))
		if _, err := ch.Consume(name, "watcher", true, false, false, false, nil); err != nil {
			return err
		}
		other, _ := conn.Channel()
		if _, err := other.QueueDelete(name, false, false, false); err != nil {
			return err
		}
		select {
		case tag := <-cancels:
			if tag != "watcher" {
				return fmt.Errorf("cancelled %q", tag)
			}
			return nil
		case <-time.After(3 * time.Second):
			return fmt.Errorf("no basic.cancel")
		}
	}))
}

func reliabilityChecks() {
	check("1000 publishes confirmed", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, nil)
		if err := ch.Confirm(false); err != nil {
			return err
		}
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1000))
		for i := 0; i < 1000; i++ {
			if err := ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
				return err
			}
		}
		for i := 1; i <= 1000; i++ {
			select {
			case c := <-confirms:
				if !c.Ack || c.DeliveryTag != uint64(i) {
					return fmt.Errorf("confirm %d: %+v", i, c)
				}
			case <-time.After(5 * time.Second):
				return fmt.Errorf("only %d confirms", i-1)
			}
		}
		return nil
	}))
	check("mandatory return arrives before the ack", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		if err := ch.Confirm(false); err != nil {
			return err
		}
		returns := ch.NotifyReturn(make(chan amqp.Return, 1))
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 1))
		if err := ch.Publish("", "go-nowhere"+suffix, true, false, amqp.Publishing{Body: []byte("lost")}); err != nil {
			return err
		}
		select {
		case r := <-returns:
			if r.ReplyCode != 312 || r.ReplyText != "NO_ROUTE" || string(r.Body) != "lost" {
				return fmt.Errorf("return %d %q %q", r.ReplyCode, r.ReplyText, r.Body)
			}
		case c := <-confirms:
			return fmt.Errorf("confirm %+v before the return", c)
		case <-time.After(3 * time.Second):
			return fmt.Errorf("no return")
		}
		select {
		case c := <-confirms:
			if !c.Ack {
				return fmt.Errorf("unroutable message nacked")
			}
			return nil
		case <-time.After(3 * time.Second):
			return fmt.Errorf("no confirm")
		}
	}))
	check("tx commit and rollback", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, nil)
		if err := ch.Tx(); err != nil {
			return err
		}
		ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("rolled back")})
		if err := ch.TxRollback(); err != nil {
			return err
		}
		ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("committed")})
		if err := ch.TxCommit(); err != nil {
			return err
		}
		state, err := ch.QueueDeclarePassive(q.Name, false, true, true, false, nil)
		if err != nil || state.Messages != 1 {
			return fmt.Errorf("messages %d, err %v", state.Messages, err)
		}
		return nil
	}))
	check("reject without requeue dead-letters with x-death", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		dlx, dlq, work := "go-dlx"+suffix, "go-dlq"+suffix, "go-work"+suffix
		ch.ExchangeDeclare(dlx, "fanout", false, true, false, false, nil)
		ch.QueueDeclare(dlq, false, true, false, false, nil)
		ch.QueueBind(dlq, "", dlx, false, nil)
		if _, err := ch.QueueDeclare(work, false, true, false, false, amqp.Table{"x-dead-letter-exchange": dlx}); err != nil {
			return err
		}
		ch.Publish("", work, false, false, amqp.Publishing{Body: []byte("bad")})
		time.Sleep(50 * time.Millisecond)
		d, ok, err := ch.Get(work, false)
		if err != nil || !ok {
			return fmt.Errorf("get: %v %v", ok, err)
		}
		d.Reject(false)
		time.Sleep(50 * time.Millisecond)
		dead, ok, err := ch.Get(dlq, true)
		if err != nil || !ok {
			return fmt.Errorf("dlq empty: %v", err)
		}
		deaths, _ := dead.Headers["x-death"].([]interface{})
		if len(deaths) != 1 {
			return fmt.Errorf("x-death %v", dead.Headers["x-death"])
		}
		death := deaths[0].(amqp.Table)
		if death["reason"] != "rejected" || death["queue"] != work || death["count"] != int64(1) {
			return fmt.Errorf("x-death entry %v", death)
		}
		if dead.Exchange != dlx || dead.Headers["x-first-death-reason"] != "rejected" {
			return fmt.Errorf("exchange %q headers %v", dead.Exchange, dead.Headers)
		}
		ch.QueueDelete(dlq, false, false, false)
		ch.QueueDelete(work, false, false, false)
		return nil
	}))
}

func errorChecks() {
	check("passive declare of a missing queue is 404 and the connection survives", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		_, err = ch.QueueDeclarePassive("go-missing"+suffix, false, false, false, false, nil)
		if err := expectCode(err, 404, "NOT_FOUND - no queue 'go-missing"); err != nil {
			return err
		}
		again, err := conn.Channel()
		if err != nil {
			return err
		}
		_, err = again.QueueDeclare("", false, true, true, false, nil)
		return err
	}))
	check("another connection's exclusive queue is 405", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, nil)
		other, och, err := open()
		if err != nil {
			return err
		}
		defer other.Close()
		_, err = och.Consume(q.Name, "", true, false, false, false, nil)
		return expectCode(err, 405, "RESOURCE_LOCKED")
	}))
	check("redeclare with other arguments is 406", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		name := "go-redeclare" + suffix
		ch.QueueDeclare(name, false, true, false, false, amqp.Table{"x-message-ttl": int32(1000)})
		_, err = ch.QueueDeclare(name, false, true, false, false, amqp.Table{"x-message-ttl": int32(2000)})
		if err := expectCode(err, 406, "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl'"); err != nil {
			return err
		}
		cleanup, _ := conn.Channel()
		_, err = cleanup.QueueDelete(name, false, false, false)
		return err
	}))
	check("immediate=true closes the connection with 540", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		closed := conn.NotifyClose(make(chan *amqp.Error, 1))
		ch.Publish("", "anything", false, true, amqp.Publishing{Body: []byte("x")})
		select {
		case e := <-closed:
			return expectCode(e, 540, "NOT_IMPLEMENTED - immediate=true")
		case <-time.After(3 * time.Second):
			return fmt.Errorf("connection stayed open")
		}
	}))
}

func queueFeatureChecks() {
	check("x-message-ttl expires messages", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, amqp.Table{"x-message-ttl": int32(50)})
		ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("short-lived")})
		time.Sleep(300 * time.Millisecond)
		if _, ok, _ := ch.Get(q.Name, true); ok {
			return fmt.Errorf("message outlived its TTL")
		}
		return nil
	}))
	check("x-max-priority delivers higher priorities first", session(func(conn *amqp.Connection, ch *amqp.Channel) (err error) {
		q, _ := ch.QueueDeclare("", false, true, true, false, amqp.Table{"x-max-priority": int32(5)})
		for _, p := range []uint8{1, 5, 3} {
			ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte(fmt.Sprint(p)), Priority: p})
		}
		time.Sleep(50 * time.Millisecond)
		var order []string
		for i := 0; i < 3; i++ {
			body, err := get(ch, q.Name)
			if err != nil {
				return err
			}
			order = append(order, body)
		}
		if strings.Join(order, ",") != "5,3,1" {
			return fmt.Errorf("order %v", order)
		}
		return nil
	}))
}
