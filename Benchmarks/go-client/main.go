// Command go-client is the yardstick for warren perf's own client: a publisher and a no-ack
// consumer written with Go's amqp091-go, doing what `warren perf --multi-ack 0` does for one
// producer and one consumer, so scripts/bench can compare the two clients against one broker.
//
//	go-client -url amqp://guest:guest@127.0.0.1:5672/ -time 8 -size 64
//
// It prints one JSON line: {"publishRate": ..., "consumeRate": ...} in messages per second.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	url := flag.String("url", "amqp://guest:guest@127.0.0.1:5672/", "broker URL")
	seconds := flag.Float64("time", 8, "seconds to publish")
	size := flag.Int("size", 64, "body size in bytes")
	flag.Parse()
	if err := run(*url, time.Duration(*seconds*float64(time.Second)), *size); err != nil {
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(1)
	}
}

func run(url string, duration time.Duration, size int) error {
	consumerConnection, consumerChannel, err := open(url)
	if err != nil {
		return err
	}
	defer consumerConnection.Close()
	queue, err := consumerChannel.QueueDeclare("", false, false, false, false, nil)
	if err != nil {
		return err
	}
	deliveries, err := consumerChannel.Consume(queue.Name, "", true, false, false, false, nil)
	if err != nil {
		return err
	}
	var received int64
	go func() {
		for range deliveries {
			atomic.AddInt64(&received, 1)
		}
	}()

	publisherConnection, publisherChannel, err := open(url)
	if err != nil {
		return err
	}
	defer publisherConnection.Close()
	body := make([]byte, size)
	for i := range body {
		body[i] = 'g'
	}
	message := amqp.Publishing{Body: body}
	start := time.Now()
	deadline := start.Add(duration)
	sent := 0
	for {
		// Checking the clock every message would cost more than a publish.
		if sent%256 == 0 && time.Now().After(deadline) {
			break
		}
		if err := publisherChannel.Publish("", queue.Name, false, false, message); err != nil {
			return err
		}
		sent++
	}
	elapsed := time.Since(start).Seconds()
	consumed := atomic.LoadInt64(&received)
	result := map[string]float64{
		"publishRate": float64(sent) / elapsed,
		"consumeRate": float64(consumed) / elapsed,
	}
	line, err := json.Marshal(result)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

// open dials a connection of its own and opens a channel on it.
func open(url string) (*amqp.Connection, *amqp.Channel, error) {
	connection, err := amqp.Dial(url)
	if err != nil {
		return nil, nil, err
	}
	channel, err := connection.Channel()
	if err != nil {
		connection.Close()
		return nil, nil, err
	}
	return connection, channel, nil
}
