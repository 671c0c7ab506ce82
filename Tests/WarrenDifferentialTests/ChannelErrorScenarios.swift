import NIOCore
import Testing
import WarrenClient

/// Refusals of acknowledgements, transactions, confirms, qos, consumers and publish flags, and
/// the 405 on another connection's exclusive queue. Connection-level errors (5xx) get a
/// connection of their own.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct ChannelErrorScenarios {
    static let attempts: [DeclareErrorScenarios.Attempt] = [
        ("ack unknown tag", { ch, s in
            try await ch.ack(deliveryTag: 42)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("double ack", { ch, s in
            try await ch.publish(ByteBuffer(string: "x"), routingKey: "diff-ce-q\(s)")
            let got = try #require(try await ch.get("diff-ce-q\(s)"))
            try await ch.ack(deliveryTag: got.message.deliveryTag)
            try await ch.ack(deliveryTag: got.message.deliveryTag)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("ack multiple unknown", { ch, s in
            try await ch.ack(deliveryTag: 7, multiple: true)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("ack multiple 0 with nothing outstanding", { ch, s in
            try await ch.ack(deliveryTag: 0, multiple: true)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("ack single 0", { ch, s in
            try await ch.ack(deliveryTag: 0)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("reject unknown tag", { ch, s in
            try await ch.reject(deliveryTag: 3, requeue: true)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("nack unknown tag", { ch, s in
            try await ch.nack(deliveryTag: 5, requeue: false)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("ack a no-ack get", { ch, s in
            try await ch.publish(ByteBuffer(string: "x"), routingKey: "diff-ce-q\(s)")
            let got = try #require(try await ch.get("diff-ce-q\(s)", noAck: true))
            try await ch.ack(deliveryTag: got.message.deliveryTag)
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("commit without select", { ch, _ in try await ch.txCommit() }),
        ("rollback without select", { ch, _ in try await ch.txRollback() }),
        ("confirm after tx", { ch, _ in
            try await ch.txSelect()
            try await ch.confirmSelect()
        }),
        ("tx after confirm", { ch, _ in
            try await ch.confirmSelect()
            try await ch.txSelect()
        }),
        ("tx ack unknown tag at commit", { ch, s in
            try await ch.txSelect()
            try await ch.ack(deliveryTag: 9)
            try await ch.txCommit()
        }),
        ("exclusive consume with a consumer present", { ch, s in
            _ = try await ch.consume("diff-ce-busy\(s)", exclusive: true)
        }),
        ("consume behind an exclusive consumer", { ch, s in
            _ = try await ch.consume("diff-ce-excl\(s)")
        }),
        ("cancel unknown consumer", { ch, s in
            try await ch.cancel(consumerTag: "nobody")
            try await ch.queueDeclare("diff-ce-q\(s)", passive: true)
        }),
        ("consumer tag reuse", { ch, s in
            _ = try await ch.consume("diff-ce-q\(s)", consumerTag: "same")
            _ = try await ch.consume("diff-ce-q\(s)", consumerTag: "same")
        }),
        ("prefetch size", { ch, _ in try await ch.qos(prefetchCount: 1, prefetchSize: 10) }),
        ("flow off", { ch, _ in _ = try await ch.flow(active: false) }),
        ("recover without requeue", { ch, _ in try await ch.recover(requeue: false) }),
    ]

    @Test func acknowledgementTransactionAndConsumerRefusals() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-ce-q", "diff-ce-busy", "diff-ce-excl"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                for q in ["diff-ce-q", "diff-ce-busy", "diff-ce-excl"] { try await ch.queueDeclare(q + s) }
                _ = try await ch.consume("diff-ce-busy\(s)", consumerTag: "plain")
                _ = try await ch.consume("diff-ce-excl\(s)", consumerTag: "owner", exclusive: true)
                try await DeclareErrorScenarios.runAll(Self.attempts, url: url, s: s, t: &t)
                t.record("holder connection open: \(connection.isOpen)")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// basic.publish immediate=true is a connection error (540) in RabbitMQ 3.x.
    @Test func immediatePublishClosesTheConnection() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-ce-imm"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                try await ch.queueDeclare("diff-ce-imm\(s)")
                let raw = try RawAMQP.connect(url)
                try raw.publish("now", routingKey: "diff-ce-imm\(s)", immediate: true)
                t.record(contentsOf: try raw.read { _ in false })
                t.record("queue: \(try await Scenario.bodies(ch, "diff-ce-imm\(s)"))")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// Every use of another connection's exclusive queue is 405, checked before equivalence.
    @Test func exclusiveQueueFromAnotherConnection() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-ex-q"], exchanges: ["diff-ex-x"]) { s, t in
                let owner = try await AMQPConnection.connect(to: url)
                let ch = try await owner.openChannel()
                let q = "diff-ex-q\(s)", x = "diff-ex-x\(s)"
                try await ch.queueDeclare(q, exclusive: true, arguments: ["x-message-ttl": .int32(60000)])
                try await ch.exchangeDeclare(x, type: "fanout")
                try await ch.queueBind(q, exchange: x, routingKey: "bound")
                try await ch.publish(ByteBuffer(string: "kept"), routingKey: q)
                let other = try await AMQPConnection.connect(to: url)
                let uses: [(String, @Sendable (AMQPChannel) async throws -> Void)] = [
                    ("declare same", { try await $0.queueDeclare(q, exclusive: true, arguments: ["x-message-ttl": .int32(60000)]) }),
                    ("declare non-exclusive", { try await $0.queueDeclare(q) }),
                    ("declare different args", { try await $0.queueDeclare(q, durable: true) }),
                    ("declare passive", { try await $0.queueDeclare(q, passive: true) }),
                    ("consume", { _ = try await $0.consume(q) }),
                    ("get", { _ = try await $0.get(q) }),
                    ("purge", { try await $0.queuePurge(q) }),
                    ("delete", { try await $0.queueDelete(q) }),
                    ("bind", { try await $0.queueBind(q, exchange: x, routingKey: "new") }),
                    ("unbind", { try await $0.queueUnbind(q, exchange: x, routingKey: "bound") }),
                    ("publish to it", { ch in
                        try await ch.publish(ByteBuffer(string: "from-other"), routingKey: q)
                        try await ch.publish(ByteBuffer(string: "from-other-via-x"), exchange: x, routingKey: "")
                        try await ch.exchangeDeclare(x, type: "fanout", passive: true)
                    }),
                ]
                for (label, use) in uses {
                    try await Scenario.refused(label, on: other, into: &t, use)
                }
                try await Task.sleep(for: .milliseconds(100))
                let counts = try await ch.queueDeclare(q, passive: true)
                t.record("owner sees \(counts.messageCount) messages, \(counts.consumerCount) consumers")
                t.record("queue: \(try await Scenario.bodies(ch, q))")
                try await owner.close()
                // Once the owner is gone the queue is gone.
                try await Scenario.refused("after owner closed", on: other, into: &t) { try await $0.queueDeclare(q, passive: true) }
                try await other.close()
            }
        }
        Scenario.expectSame(results)
    }
}
