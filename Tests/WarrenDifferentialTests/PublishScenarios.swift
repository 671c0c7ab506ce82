import NIOCore
import Testing
import WarrenClient

/// What comes back to a publisher and what a message carries: alternate exchanges, basic.return
/// (312 NO_ROUTE) and its place before the confirm on the wire, CC/BCC, server-chosen names.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct PublishScenarios {
    @Test func alternateExchangesAndMandatoryReturns() async throws {
        let queues = ["diff-ae-main", "diff-ae-alt", "diff-ae-alt2"]
        let exchanges = ["diff-ae-x", "diff-ae-alt", "diff-ae-alt2", "diff-ae-broken"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: exchanges) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                // x (direct, AE alt) ; alt (direct, AE alt2) ; alt2 (fanout) ; broken (AE missing).
                try await ch.exchangeDeclare(exchanges[2] + s, type: "fanout")
                try await ch.exchangeDeclare(exchanges[1] + s, type: "direct",
                                             arguments: ["alternate-exchange": .string(exchanges[2] + s)])
                try await ch.exchangeDeclare(exchanges[0] + s, type: "direct",
                                             arguments: ["alternate-exchange": .string(exchanges[1] + s)])
                try await ch.exchangeDeclare(exchanges[3] + s, type: "direct",
                                             arguments: ["alternate-exchange": .string("diff-ae-none\(s)")])
                for q in queues { try await ch.queueDeclare(q + s) }
                try await ch.queueBind(queues[0] + s, exchange: exchanges[0] + s, routingKey: "main")
                try await ch.queueBind(queues[1] + s, exchange: exchanges[1] + s, routingKey: "alt")
                try await ch.queueBind(queues[2] + s, exchange: exchanges[2] + s)
                try await ch.confirmSelect()
                let returns = Collector()
                let returnTask = Task {
                    for await r in ch.returns {
                        returns.append("return \(r.replyCode) \(r.replyText) exchange=\(r.exchange) key=\(r.routingKey) "
                                       + "body=\(r.bodyString)" + Transcript.describe(r.properties))
                    }
                }
                let sends: [(String, String, String, Bool)] = [
                    ("routed", exchanges[0], "main", true), ("to-alt", exchanges[0], "alt", true),
                    ("to-alt2", exchanges[0], "other", true), ("broken-ae", exchanges[3], "k", true),
                    ("broken-ae-not-mandatory", exchanges[3], "k", false),
                    ("default-missing", "", "diff-ae-none", true),
                ]
                for (body, exchange, key, mandatory) in sends {
                    let seq = try await ch.publish(ByteBuffer(string: body), exchange: exchange.isEmpty ? "" : exchange + s,
                                                   routingKey: key, mandatory: mandatory,
                                                   properties: BasicProperties(contentType: "text/plain", messageID: body))
                    t.record("\(body): confirm \(try await ch.waitForConfirm(seq))")
                }
                try await Task.sleep(for: .milliseconds(200))
                returnTask.cancel()
                for line in returns.take() { t.record(t.normalise(line)) }
                for q in queues { try await Scenario.drain(ch, q + s, into: &t, label: q) }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// Server-named queues and consumer tags: shape checked and replaced by a marker.
    @Test func serverNamedQueuesAndConsumerTags() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let first = try await ch.queueDeclare("", exclusive: true)
                let second = try await ch.queueDeclare("", exclusive: true)
                t.record("declare-ok \(first.queue) \(first.messageCount) \(first.consumerCount)")
                t.record("names differ: \(first.queue != second.queue)")
                try await ch.publish(ByteBuffer(string: "to-generated"), routingKey: first.queue)
                try await ch.queueBind(first.queue, exchange: "amq.fanout")
                try await ch.publish(ByteBuffer(string: "via-amq.fanout"), exchange: "amq.fanout", routingKey: "any")
                let consumer = try await ch.consume(first.queue, noAck: true)
                t.record("consume-ok \(consumer.consumerTag)")
                var it = consumer.makeAsyncIterator()
                for _ in 0..<2 {
                    let d = try #require(try await it.next())
                    t.record("deliver \(d.bodyString) ctag=\(d.consumerTag) exchange=\(d.exchange) key=\(d.routingKey)")
                }
                let counts = try await ch.queueDeclare(first.queue, passive: true)
                t.record("passive \(counts.queue) \(counts.messageCount) \(counts.consumerCount)")
                try await ch.queueUnbind(first.queue, exchange: "amq.fanout")
                try await Scenario.refused("redeclare generated durable", on: connection, into: &t) {
                    try await $0.queueDeclare(first.queue, durable: true, exclusive: true)
                }
                t.record("delete-ok \(try await ch.queueDelete(second.queue))")
                try await connection.close()
                _ = s
            }
        }
        Scenario.expectSame(results)
    }

    /// CC and BCC headers add routing keys; BCC is removed from the delivered message.
    @Test func ccAndBccHeaders() async throws {
        let names = ["diff-cc-q0", "diff-cc-q1", "diff-cc-q2"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: names, exchanges: ["diff-cc-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let x = "diff-cc-x\(s)"
                try await ch.exchangeDeclare(x, type: "direct")
                for (i, q) in names.enumerated() {
                    try await ch.queueDeclare(q + s)
                    try await ch.queueBind(q + s, exchange: x, routingKey: "k\(i)")
                }
                let sends: [(String, FieldTable)] = [
                    ("cc", ["CC": .array(["k1"]), "other": "o"]),
                    ("bcc", ["BCC": .array(["k2"]), "other": "o"]),
                    ("both", ["BCC": .array(["k2"]), "CC": .array(["k1", "k0"])]),
                ]
                for (body, headers) in sends {
                    try await ch.publish(ByteBuffer(string: body), exchange: x, routingKey: "k0",
                                         properties: BasicProperties(headers: headers))
                }
                // The default exchange takes CC too.
                try await ch.publish(ByteBuffer(string: "default-cc"), routingKey: names[0] + s,
                                     properties: BasicProperties(headers: ["CC": .array([.string(names[2] + s)])]))
                for q in names { try await Scenario.drain(ch, q + s, into: &t, label: q) }
                // CC and BCC must be arrays: a string or a table is refused; non-string elements are skipped.
                for (label, cc) in [("cc string", FieldValue.string("k1")), ("cc int", .array([.int32(1)])),
                                    ("bcc table", .table(["a": "b"]))] {
                    try await Scenario.refused(label, on: connection, into: &t) { c in
                        try await c.publish(ByteBuffer(string: label), exchange: x, routingKey: "k0",
                                            properties: BasicProperties(headers: [label.hasPrefix("bcc") ? "BCC" : "CC": cc]))
                        _ = try await c.queueDeclare(names[0] + s, passive: true)
                    }
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// The frames on the wire: a mandatory unroutable message comes back (312 NO_ROUTE) before
    /// its ack; a routed one gets only the ack; an unroutable one without mandatory only the ack.
    @Test func returnArrivesBeforeConfirmOnTheWire() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-wire-q"], exchanges: ["diff-wire-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                try await ch.exchangeDeclare("diff-wire-x\(s)", type: "direct")
                try await ch.queueDeclare("diff-wire-q\(s)")
                try await ch.queueBind("diff-wire-q\(s)", exchange: "diff-wire-x\(s)", routingKey: "bound")
                let raw = try RawAMQP.connect(url)
                try raw.send(ConfirmSelect())
                t.record(contentsOf: try raw.read { if case .confirmSelectOk = $0 { true } else { false } })
                let isConfirm: (AMQPMethod) -> Bool = {
                    switch $0 {
                    case .basicAck, .basicNack: true
                    default: false
                    }
                }
                for (body, key, mandatory) in [("unroutable", "nowhere", true), ("routed", "bound", true),
                                               ("dropped", "nowhere", false), ("unroutable-2", "none", true)] {
                    try raw.publish(body, exchange: "diff-wire-x\(s)", routingKey: key, mandatory: mandatory)
                    t.record("publish \(body):")
                    t.record(contentsOf: try raw.read(until: isConfirm).map { t.normalise($0) })
                }
                t.record(contentsOf: try raw.closeConnection())
                t.record("queue: \(try await Scenario.bodies(ch, "diff-wire-q\(s)"))")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
