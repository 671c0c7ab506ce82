import NIOCore
import Testing
import WarrenClient

/// Which queues a message reaches through direct, topic, fanout and headers exchanges, the
/// default exchange and exchange-to-exchange bindings.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct RoutingScenarios {
    static let topicPatterns = [
        "*", "#", "a", "a.*", "*.b", "a.#", "#.b", "a.#.b", "a.*.b", "a..b", "", "#.#", "*.*", "a.#.#.b",
        "#.a.#", "*.#", "a.*.#", "a.b.c", ".", "a.",
    ]
    static let topicKeys = [
        "a", "b", "a.b", "a.c.b", "a.x.y.b", "a..b", ".", "", "a.b.c", "a.", ".b", "a.b.b", "b.a", "x.a.y",
        "a.b.c.b", "ab", "a.bb", "..",
    ]

    @Test func directExchangeMatchesWholeKeysOnly() async throws {
        let names = (0..<4).map { "diff-direct-q\($0)" }
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: names, exchanges: ["diff-direct-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let x = "diff-direct-x\(s)"
                try await ch.exchangeDeclare(x, type: "direct")
                for q in names { try await ch.queueDeclare(q + s) }
                try await ch.queueBind(names[0] + s, exchange: x, routingKey: "a")
                try await ch.queueBind(names[0] + s, exchange: x, routingKey: "b")
                try await ch.queueBind(names[1] + s, exchange: x, routingKey: "a")
                try await ch.queueBind(names[2] + s, exchange: x, routingKey: "")
                try await ch.queueBind(names[3] + s, exchange: x, routingKey: "A.b")
                // Binding twice with the same key is one binding.
                try await ch.queueBind(names[1] + s, exchange: x, routingKey: "a")
                for key in ["a", "b", "", "A", "A.b", "a.b", "c", " a"] {
                    try await ch.publish(ByteBuffer(string: "[\(key)]"), exchange: x, routingKey: key)
                }
                for q in names { t.record("\(q): \(try await Scenario.bodies(ch, q + s))") }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func topicPatternsAgainstManyKeys() async throws {
        let names = Self.topicPatterns.indices.map { "diff-topic-q\($0)" }
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: names, exchanges: ["diff-topic-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let x = "diff-topic-x\(s)"
                try await ch.exchangeDeclare(x, type: "topic")
                for (q, pattern) in zip(names, Self.topicPatterns) {
                    try await ch.queueDeclare(q + s)
                    try await ch.queueBind(q + s, exchange: x, routingKey: pattern)
                }
                // One queue under two patterns that both match "a.b" still gets one copy.
                try await ch.queueBind(names[3] + s, exchange: x, routingKey: "*.b")
                for key in Self.topicKeys {
                    try await ch.publish(ByteBuffer(string: "[\(key)]"), exchange: x, routingKey: key)
                }
                for (q, pattern) in zip(names, Self.topicPatterns) {
                    t.record("pattern [\(pattern)]: \(try await Scenario.bodies(ch, q + s))")
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func fanoutIgnoresKeysAndDeliversOnce() async throws {
        let names = ["diff-fan-q0", "diff-fan-q1"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: names, exchanges: ["diff-fan-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let x = "diff-fan-x\(s)"
                try await ch.exchangeDeclare(x, type: "fanout")
                for q in names { try await ch.queueDeclare(q + s) }
                try await ch.queueBind(names[0] + s, exchange: x, routingKey: "one")
                try await ch.queueBind(names[0] + s, exchange: x, routingKey: "two")
                try await ch.queueBind(names[1] + s, exchange: x)
                for key in ["", "one", "anything"] {
                    try await ch.publish(ByteBuffer(string: "[\(key)]"), exchange: x, routingKey: key)
                }
                for q in names { try await Scenario.drain(ch, q + s, into: &t, label: q) }
                // Unbinding one of the two keys leaves the other binding in place.
                try await ch.queueUnbind(names[0] + s, exchange: x, routingKey: "one")
                try await ch.publish(ByteBuffer(string: "after-unbind"), exchange: x, routingKey: "")
                for q in names { t.record("\(q): \(try await Scenario.bodies(ch, q + s))") }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func headersExchangeAllAnyAndMissingKeys() async throws {
        let bindings: [FieldTable] = [
            ["x-match": "all", "a": "1", "b": .int32(2)],
            ["x-match": "any", "a": "1", "b": .int32(2)],
            ["a": "1"],
            ["x-match": "all"],
            ["x-match": "all", "a": .int32(1)],
            ["x-match": "all", "a": .void],
            ["x-match": "any", "x-foo": "bar"],
            ["x-match": "all", "x-foo": "bar", "a": "1"],
            ["x-match": "any"],
            ["x-match": "any", "flag": .bool(true), "b": .int64(2)],
        ]
        let messages: [FieldTable?] = [
            ["a": "1", "b": .int32(2)], ["a": "1"], ["b": .int64(2)], ["a": .int32(1)], ["a": "2"], nil, [:],
            ["x-foo": "bar", "a": "1"], ["x-foo": "bar"], ["a": "1", "b": "2"], ["b": .int8(2), "a": "1"],
            ["flag": .bool(true)], ["a": .int64(1)], ["a": .void],
        ]
        let names = bindings.indices.map { "diff-hdr-q\($0)" }
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: names, exchanges: ["diff-hdr-x"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let x = "diff-hdr-x\(s)"
                try await ch.exchangeDeclare(x, type: "headers")
                for (q, args) in zip(names, bindings) {
                    try await ch.queueDeclare(q + s)
                    try await ch.queueBind(q + s, exchange: x, routingKey: "ignored", arguments: args)
                }
                for (i, headers) in messages.enumerated() {
                    try await ch.publish(ByteBuffer(string: "m\(i)"), exchange: x, routingKey: "k",
                                         properties: BasicProperties(headers: headers))
                }
                for (q, args) in zip(names, bindings) {
                    t.record("\(Transcript.describe(args)): \(try await Scenario.bodies(ch, q + s))")
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func defaultExchangeAndExchangeToExchange() async throws {
        let queues = ["diff-e2e-q0", "diff-e2e-q1", "diff-e2e-q2"]
        let exchanges = ["diff-e2e-top", "diff-e2e-fan", "diff-e2e-dir", "diff-e2e-loop"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: exchanges) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (top, fan, dir, loop) = (exchanges[0] + s, exchanges[1] + s, exchanges[2] + s, exchanges[3] + s)
                try await ch.exchangeDeclare(top, type: "topic")
                try await ch.exchangeDeclare(fan, type: "fanout")
                try await ch.exchangeDeclare(dir, type: "direct")
                try await ch.exchangeDeclare(loop, type: "fanout")
                for q in queues { try await ch.queueDeclare(q + s) }
                // top --"a.#"--> fan --> q0, q1 ; top --"#.z"--> dir --"x.z"--> q2 ; top --"a.*"--> q0 directly.
                try await ch.exchangeBind(destination: fan, source: top, routingKey: "a.#")
                try await ch.exchangeBind(destination: dir, source: top, routingKey: "#.z")
                try await ch.queueBind(queues[0] + s, exchange: fan)
                try await ch.queueBind(queues[1] + s, exchange: fan)
                try await ch.queueBind(queues[2] + s, exchange: dir, routingKey: "x.z")
                try await ch.queueBind(queues[0] + s, exchange: top, routingKey: "a.*")
                // A cycle of exchange bindings must not deliver twice or loop.
                try await ch.exchangeBind(destination: loop, source: fan)
                try await ch.exchangeBind(destination: fan, source: loop)
                for key in ["a.b", "a.z", "x.z", "a.x.z", "b"] {
                    try await ch.publish(ByteBuffer(string: "[\(key)]"), exchange: top, routingKey: key)
                }
                // The default exchange routes by queue name only.
                try await ch.publish(ByteBuffer(string: "default"), routingKey: queues[2] + s)
                try await ch.publish(ByteBuffer(string: "default-missing"), routingKey: "diff-e2e-none\(s)")
                for q in queues { try await Scenario.drain(ch, q + s, into: &t, label: q) }
                try await ch.exchangeUnbind(destination: fan, source: top, routingKey: "a.#")
                try await ch.publish(ByteBuffer(string: "[a.b] after unbind"), exchange: top, routingKey: "a.b")
                for q in queues { t.record("\(q): \(try await Scenario.bodies(ch, q + s))") }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
