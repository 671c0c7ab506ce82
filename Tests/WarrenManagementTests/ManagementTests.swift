import Testing

/// Every management suite, one test at a time: each starts a broker, an HTTP server and
/// traffic (rabbitmqadmin starts Python processes), and running them all at once beside the
/// rest of the tests starves the timing-sensitive ones on a 2-core machine.
@Suite(.serialized) enum ManagementTests {}
