package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// --- TLS ----------------------------------------------------------------------------------------

// tlsChecks: AMQP over TLS, verified against the run's private CA, and the connection as the
// management API (HTTP on RabbitMQ's test node, HTTPS on Warren's) reports it.
func tlsChecks(amqpsURL, caFile, managementURL string) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "interop-go: cannot read the CA %s: %v\n", caFile, err)
		os.Exit(2)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fmt.Fprintf(os.Stderr, "interop-go: no certificate in %s\n", caFile)
		os.Exit(2)
	}
	verified := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	name := "interop-go-tls" + suffix

	check("tls: a certificate from an unknown CA is refused by the client", func() {
		_, err := amqp.DialTLS(amqpsURL, &tls.Config{ServerName: "localhost", RootCAs: x509.NewCertPool()})
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			fail("expected x509.UnknownAuthorityError, got %v", err)
		}
	})
	check("tls: verified handshake, confirmed publishes and a multi-frame body round trip", func() {
		conn, err := amqp.DialConfig(amqpsURL, amqp.Config{TLSClientConfig: verified,
			Properties: amqp.Table{"connection_name": name}})
		must(err, "dial over TLS")
		defer conn.Close()
		ch := channel(conn)
		q := tempQueue(ch, nil)
		c := confirming(ch)
		big := strings.Repeat("x", 300000)
		for i := 0; i < 50; i++ {
			c.body("", q, fmt.Sprintf("m%d", i))
		}
		c.body("", q, big)
		c.allAcked()
		deliveries, err := ch.Consume(q, "", false, false, false, false, nil)
		must(err, "basic.consume")
		for i := 0; i < 50; i++ {
			d := recv("delivery", deliveries)
			eq("body", string(d.Body), fmt.Sprintf("m%d", i))
			must(d.Ack(false), "ack")
		}
		d := recv("large delivery", deliveries)
		eq("large body length", len(d.Body), len(big))
		must(d.Ack(false), "ack")
		listed := waitForConnection(managementURL, roots, name)
		eq("ssl", listed["ssl"], true)
		if p, _ := listed["ssl_protocol"].(string); !strings.HasPrefix(p, "tlsv1.") {
			fail("ssl_protocol = %#v, want tlsv1.x", listed["ssl_protocol"])
		}
	})
	check("tls: a wrong password over TLS is refused with 403 ACCESS_REFUSED", func() {
		_, err := amqp.DialTLS(strings.Replace(amqpsURL, "guest:guest@", "guest:wrong@", 1), verified)
		if err != amqp.ErrCredentials {
			fail("got %v", err)
		}
	})
}

// waitForConnection polls GET /api/connections until the named connection is listed (RabbitMQ
// lists a connection once its stats are first emitted) and returns it.
func waitForConnection(managementURL string, roots *x509.CertPool, name string) map[string]interface{} {
	client := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}}}
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, err := http.NewRequest("GET", strings.TrimSuffix(managementURL, "/")+"/api/connections", nil)
		must(err, "request")
		req.SetBasicAuth("guest", "guest")
		resp, err := client.Do(req)
		must(err, "GET /api/connections")
		var listed []map[string]interface{}
		err = json.NewDecoder(resp.Body).Decode(&listed)
		resp.Body.Close()
		must(err, "decode /api/connections")
		for _, c := range listed {
			if props, _ := c["client_properties"].(map[string]interface{}); props["connection_name"] == name {
				return c
			}
		}
		if time.Now().After(deadline) {
			fail("connection %s not in /api/connections after 15s", name)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
