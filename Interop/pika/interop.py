"""Interop checks for an AMQP 0-9-1 broker with Python's pika (1.2 from Debian bookworm or 1.3+
from PyPI), written against RabbitMQ 3.10.8's behaviour and run by scripts/interop against both
RabbitMQ and Warren's embedded broker.

    python3 interop.py amqp://guest:guest@127.0.0.1:5672/ [AMQPS-URL CA-FILE MANAGEMENT-URL]

With the three optional arguments the TLS checks run too (checks_tls.py).

Prints "ok NAME" or "FAIL NAME: detail" per check and ends with "N passed, M failed"; exits 1 when
any check failed. Every expectation here was first checked against a real RabbitMQ 3.10.8.
"""
import sys

from harness import RESULTS
import checks_topology  # noqa: F401 (each check runs as its module is imported, in this order)
import checks_delivery  # noqa: F401
import checks_features  # noqa: F401
import checks_tls  # noqa: F401

print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
sys.exit(1 if RESULTS["failed"] else 0)
