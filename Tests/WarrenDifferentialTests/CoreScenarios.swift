import NIOCore
import Testing
import WarrenClient

/// The same traffic against RabbitMQ 3.10.8 and the embedded broker; the transcripts of what
/// clients observe (bodies in order, flags, headers including x-death, reply codes and texts)
/// must be identical.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct CoreScenarios {
    static func suffix() -> String { "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    static func drain(_ channel: AMQPChannel, _ queue: String, into transcript: inout Transcript, label: String)
        async throws
    {
        while let got = try await channel.get(queue, noAck: true) {
            transcript.record(got.message, prefix: label)
        }
    }

    @Test func routingByExchangeType() async throws {
        let results = try await Targets.both { url in
            let s = Self.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let queues = ["a", "b", "c"].map { "diff-route-\($0)\(s)" }
            for q in queues { try await ch.queueDeclare(q, autoDelete: false) }
            let topic = "diff-topic\(s)", headers = "diff-headers\(s)", fanout = "diff-fanout\(s)"
            try await ch.exchangeDeclare(topic, type: "topic")
            try await ch.exchangeDeclare(headers, type: "headers")
            try await ch.exchangeDeclare(fanout, type: "fanout")
            try await ch.queueBind(queues[0], exchange: topic, routingKey: "stock.*.nyse")
            try await ch.queueBind(queues[1], exchange: topic, routingKey: "stock.#")
            try await ch.queueBind(queues[2], exchange: topic, routingKey: "#.nyse")
            try await ch.queueBind(queues[0], exchange: headers, arguments: ["x-match": "all", "kind": "a", "n": .int32(1)])
            try await ch.queueBind(queues[1], exchange: headers, arguments: ["x-match": "any", "kind": "a", "other": "z"])
            try await ch.queueBind(queues[2], exchange: fanout)
            for key in ["stock.ibm.nyse", "stock", "stock.x.y.nyse", "nyse", "bond.nyse", "stock..nyse"] {
                try await ch.publish(ByteBuffer(string: "topic \(key)"), exchange: topic, routingKey: key)
            }
            let headerSets: [FieldTable] = [["kind": "a", "n": .int64(1)], ["kind": "a"], ["other": "z"], [:]]
            for (i, h) in headerSets.enumerated() {
                try await ch.publish(ByteBuffer(string: "headers \(i)"), exchange: headers, routingKey: "",
                                     properties: BasicProperties(headers: h))
            }
            try await ch.publish(ByteBuffer(string: "fanout"), exchange: fanout, routingKey: "ignored")
            try await ch.publish(ByteBuffer(string: "default"), routingKey: queues[1])
            for q in queues { try await Self.drain(ch, q, into: &t, label: String(q.prefix(12))) }
            for q in queues { try await ch.queueDelete(q) }
            for e in [topic, headers, fanout] { try await ch.exchangeDelete(e) }
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }

    @Test func deadLetteringWritesXDeathLikeRabbitMQ() async throws {
        let results = try await Targets.both { url in
            let s = Self.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let dlx = "diff-dlx\(s)", dlq = "diff-dlq\(s)", work = "diff-work\(s)", ttl = "diff-ttl\(s)"
            let capped = "diff-capped\(s)"
            try await ch.exchangeDeclare(dlx, type: "fanout")
            try await ch.queueDeclare(dlq)
            try await ch.queueBind(dlq, exchange: dlx)
            try await ch.queueDeclare(work, arguments: ["x-dead-letter-exchange": .string(dlx)])
            try await ch.queueDeclare(ttl, arguments: ["x-dead-letter-exchange": .string(dlx),
                                                       "x-dead-letter-routing-key": "rerouted",
                                                       "x-message-ttl": .int32(50)])
            try await ch.queueDeclare(capped, arguments: ["x-dead-letter-exchange": .string(dlx), "x-max-length": .int32(1)])
            // rejected, with the publisher's own headers kept (and sorted among the broker's).
            try await ch.publish(ByteBuffer(string: "rejected"), routingKey: work,
                                 properties: BasicProperties(headers: ["zeta": "z", "alpha": .int32(7)], deliveryMode: 2))
            let got = try #require(try await ch.get(work))
            try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: false)
            // expired by queue TTL, and by per-message expiration (original-expiration recorded).
            try await ch.publish(ByteBuffer(string: "expired"), routingKey: ttl)
            try await ch.publish(ByteBuffer(string: "expired-per-message"), routingKey: ttl,
                                 properties: BasicProperties(expiration: "10"))
            // maxlen: the older of two messages is dropped from the head.
            try await ch.publish(ByteBuffer(string: "maxlen-1"), routingKey: capped)
            try await ch.publish(ByteBuffer(string: "maxlen-2"), routingKey: capped)
            try await Scenario.awaitDepth(ch, dlq, 4)
            // Dead letters from different source queues reach the DLQ in no fixed order on RabbitMQ.
            var dead = Transcript(suffix: s)
            try await Self.drain(ch, dlq, into: &dead, label: "dlq")
            for line in dead.lines.sorted() { t.record(line) }
            try await Self.drain(ch, capped, into: &t, label: "capped")
            for q in [dlq, work, ttl, capped] { try await ch.queueDelete(q) }
            try await ch.exchangeDelete(dlx)
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }

    @Test func requeueKeepsOriginalOrderAndMarksRedelivered() async throws {
        let results = try await Targets.both { url in
            let s = Self.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let q = "diff-requeue\(s)"
            try await ch.queueDeclare(q)
            for i in 1...5 { try await ch.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
            var tags: [UInt64] = []
            for _ in 1...3 { tags.append(try #require(try await ch.get(q)).message.deliveryTag) }
            try await ch.reject(deliveryTag: tags[2], requeue: true)
            try await ch.nack(deliveryTag: tags[0], requeue: true)
            // tags[1] stays unacked until the channel closes.
            try await ch.close()
            let ch2 = try await connection.openChannel()
            try await Self.drain(ch2, q, into: &t, label: "after")
            try await ch2.queueDelete(q)
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }

    @Test func refusalsCarryRabbitMQsCodesAndTexts() async throws {
        let results = try await Targets.both { url in
            let s = Self.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let other = try await AMQPConnection.connect(to: url)
            let q = "diff-errors\(s)"
            let setup = try await connection.openChannel()
            try await setup.queueDeclare(q, arguments: ["x-message-ttl": .int32(1000)])
            let exclusive = "diff-exclusive\(s)"
            try await setup.queueDeclare(exclusive, exclusive: true)
            let attempts: [(String, @Sendable (AMQPChannel) async throws -> Void)] = [
                ("passive missing queue", { try await $0.queueDeclare("diff-missing\(s)", passive: true) }),
                ("passive missing exchange", { try await $0.exchangeDeclare("diff-missing\(s)", passive: true) }),
                ("different ttl", { try await $0.queueDeclare(q, arguments: ["x-message-ttl": .int32(2000)]) }),
                ("ttl left out", { try await $0.queueDeclare(q) }),
                ("different durable", { try await $0.queueDeclare(q, durable: true, arguments: ["x-message-ttl": .int32(1000)]) }),
                ("reserved name", { try await $0.queueDeclare("amq.diff\(s)") }),
                ("reserved exchange", { try await $0.exchangeDeclare("amq.diff\(s)", type: "direct") }),
                ("bind default exchange", { try await $0.queueBind(q, exchange: "", routingKey: "x") }),
                ("unknown delivery tag", { ch in
                    try await ch.ack(deliveryTag: 42)
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("commit without select", { try await $0.txCommit() }),
                ("confirm after tx", { ch in
                    try await ch.txSelect()
                    try await ch.confirmSelect()
                }),
                ("publish to missing exchange", { ch in
                    try await ch.publish(ByteBuffer(string: "x"), exchange: "diff-missing\(s)", routingKey: "k")
                    try await ch.queueDeclare(q, passive: true)
                }),
                ("delete if-empty", { ch in
                    try await ch.publish(ByteBuffer(string: "x"), routingKey: q)
                    try await ch.queueDelete(q, ifEmpty: true)
                }),
                ("bad overflow", { try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-overflow": "sideways"]) }),
                ("negative ttl", { try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-message-ttl": .int32(-1)]) }),
                ("string max-length", { try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-max-length": "ten"]) }),
                ("zero expires", { try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-expires": .int64(0)]) }),
                ("priority too high", { try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-max-priority": .int32(300)]) }),
                ("dlx key without dlx", {
                    try await $0.queueDeclare("diff-bad\(s)", arguments: ["x-dead-letter-routing-key": "k"])
                }),
                // A hard error: it closes the whole connection, so it goes last.
                ("prefetch size", { try await $0.qos(prefetchCount: 1, prefetchSize: 10) }),
            ]
            let otherChannel = try await other.openChannel()
            do {
                try await otherChannel.queueDeclare(exclusive, passive: true)
                t.record("exclusive: no error")
            } catch let error as AMQPClientError {
                t.record(error, context: "exclusive")
            }
            for (name, attempt) in attempts {
                let ch = try await connection.openChannel()
                do {
                    try await attempt(ch)
                    t.record("\(name): no error")
                } catch let error as AMQPClientError {
                    t.record(error, context: name)
                }
            }
            let cleanup = try await other.openChannel()
            try await cleanup.queueDelete(q)
            try await other.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }
}
