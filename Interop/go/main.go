// Interop checks for an AMQP 0-9-1 broker, written against RabbitMQ 3.10.8's behaviour and run
// by scripts/interop against both RabbitMQ and Warren's embedded broker with Go's amqp091-go
// (Debian's golang-github-rabbitmq-amqp091-go-dev, built with GO111MODULE=off).
//
//	interop-go amqp://guest:guest@127.0.0.1:5672/ [AMQPS-URL CA-FILE MANAGEMENT-URL]
//
// With the three optional arguments it also runs the TLS checks (tls.go).
//
// Prints "ok NAME" or "FAIL NAME: detail" per check and ends with "N passed, M failed"; exits 1
// when any check failed. Every expectation here was first checked against a real RabbitMQ 3.10.8.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"time"
)

var (
	url            string
	passed, failed int
	suffix         = fmt.Sprintf("-%d", rand.New(rand.NewSource(time.Now().UnixNano())).Int31())
)

func main() {
	if len(os.Args) != 2 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: interop-go AMQP-URL [AMQPS-URL CA-FILE MANAGEMENT-URL]")
		os.Exit(2)
	}
	url = os.Args[1]
	if len(os.Args) == 5 {
		tlsChecks(os.Args[2], os.Args[3], os.Args[4])
	}
	connectionChecks()
	exchangeChecks()
	queueChecks()
	routingChecks()
	consumeChecks()
	confirmChecks()
	deadLetterChecks()
	queueFeatureChecks()
	errorChecks()
	edgeChecks()
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}
