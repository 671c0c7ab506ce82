"""AMQP over TLS, verified against the run's private CA, and the connection as the management API
(HTTP on RabbitMQ's test node, HTTPS on Warren's) reports it. Runs only when interop.py is given
AMQPS-URL CA-FILE MANAGEMENT-URL."""
import base64
import json
import ssl
import urllib.parse
import urllib.request

from harness import *  # noqa: F401,F403 (the checks share the harness's helpers and names)


def tls_parameters(context, url=None, name=None):
    parameters = pika.URLParameters(url or TLS[0])
    parameters.ssl_options = pika.SSLOptions(context, "localhost")
    if name:
        parameters.client_properties = {"connection_name": name}
    return parameters


def listed_connection(context, name):
    """The connection named so in GET /api/connections, once listed (RabbitMQ lists a connection
    when its stats are first emitted)."""
    parts = urllib.parse.urlsplit(TLS[2])
    base = urllib.parse.urlunsplit((parts.scheme, parts.hostname + (":%d" % parts.port if parts.port else ""),
                                    parts.path.rstrip("/"), "", ""))
    request = urllib.request.Request(base + "/api/connections")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
    deadline = time.monotonic() + 15
    while True:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            for connection in json.load(response):
                if (connection.get("client_properties") or {}).get("connection_name") == name:
                    return connection
        if time.monotonic() > deadline:
            raise AssertionError("connection %s not in /api/connections after 15s" % name)
        time.sleep(0.25)


if TLS:
    VERIFIED = ssl.create_default_context(cafile=TLS[1])

    @check
    def tls_unknown_ca():
        """tls: a certificate from an unknown CA is refused by the client"""
        untrusted = ssl.create_default_context()
        try:
            pika.BlockingConnection(tls_parameters(untrusted)).close()
        except (ssl.SSLCertVerificationError, pika.exceptions.AMQPConnectionError) as error:
            if "CERTIFICATE_VERIFY_FAILED" not in repr(error):
                raise AssertionError("refused, but not for the certificate: %r" % (error,))
        else:
            raise AssertionError("connected with a CA that did not sign the server's certificate")

    @check
    def tls_round_trip():
        """tls: verified handshake, confirmed publishes and a multi-frame body round trip"""
        name = "interop-pika-tls" + SUFFIX
        connection = pika.BlockingConnection(tls_parameters(VERIFIED, name=name))
        try:
            channel = connection.channel()
            queue = channel.queue_declare("", exclusive=True).method.queue
            channel.confirm_delivery()
            big = b"y" * 300000
            for n in range(50):
                channel.basic_publish("", queue, b"m%d" % n)
            channel.basic_publish("", queue, big)
            got = []
            for _ in range(51):
                method, _, body = wait_get(channel, queue, auto_ack=False)
                channel.basic_ack(method.delivery_tag)
                got.append(body)
            eq("bodies", got, [b"m%d" % n for n in range(50)] + [big])
            listed = listed_connection(VERIFIED, name)
            eq("ssl", listed.get("ssl"), True)
            if not str(listed.get("ssl_protocol")).startswith("tlsv1."):
                raise AssertionError("ssl_protocol = %r, want tlsv1.x" % (listed.get("ssl_protocol"),))
        finally:
            connection.close()

    @check
    def tls_wrong_password():
        """tls: a wrong password over TLS is refused with 403 ACCESS_REFUSED"""
        try:
            pika.BlockingConnection(tls_parameters(VERIFIED, url=TLS[0].replace("guest:guest@", "guest:wrong@"))).close()
        except pika.exceptions.ProbableAuthenticationError as error:
            if "403" not in str(error) and "ACCESS_REFUSED" not in str(error):
                raise AssertionError("refused, but not with 403: %r" % (error,))
        else:
            raise AssertionError("connected with a wrong password")
