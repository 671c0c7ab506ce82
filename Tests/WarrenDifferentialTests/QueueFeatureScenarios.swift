import NIOCore
import Testing
import WarrenClient

/// Queue features compared between RabbitMQ 3.10.8 and the embedded broker.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct QueueFeatureScenarios {
    @Test func confirmsReturnsAndOverflow() async throws {
        let results = try await Targets.both { url in
            let s = CoreScenarios.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let full = "diff-full\(s)"
            try await ch.queueDeclare(full, arguments: ["x-max-length": .int32(2), "x-overflow": "reject-publish"])
            try await ch.confirmSelect()
            var returns = ch.returns.makeAsyncIterator()
            for i in 1...3 {
                let seq = try await ch.publish(ByteBuffer(string: "p\(i)"), routingKey: full)
                t.record("publish p\(i) -> \(try await ch.waitForConfirm(seq))")
            }
            let seq = try await ch.publish(ByteBuffer(string: "lost"), routingKey: "diff-nowhere\(s)", mandatory: true)
            let confirmation = try await ch.waitForConfirm(seq)
            let returned = try #require(await returns.next())
            t.record("unroutable -> \(confirmation), returned \(returned.replyCode) \(returned.replyText) "
                + "\(t.normalise(returned.routingKey)) \(String(buffer: returned.body))")
            let declared = try await ch.queueDeclare(full, passive: true)
            t.record("depth \(declared.messageCount)")
            try await ch.queueDelete(full)
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }

    @Test func prioritiesAndTransactions() async throws {
        let results = try await Targets.both { url in
            let s = CoreScenarios.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let q = "diff-priority\(s)"
            try await ch.queueDeclare(q, arguments: ["x-max-priority": .int32(5)])
            for (body, priority) in [("low", 0), ("high", 5), ("mid", 3), ("over", 9), ("none", -1)] {
                let properties = priority < 0 ? BasicProperties() : BasicProperties(priority: UInt8(priority))
                try await ch.publish(ByteBuffer(string: body), routingKey: q, properties: properties)
            }
            try await Scenario.awaitDepth(ch, q, 5)
            try await CoreScenarios.drain(ch, q, into: &t, label: "priority")
            try await ch.txSelect()
            try await ch.publish(ByteBuffer(string: "rolled back"), routingKey: q)
            try await ch.txRollback()
            try await ch.publish(ByteBuffer(string: "committed"), routingKey: q)
            try await ch.txCommit()
            try await CoreScenarios.drain(ch, q, into: &t, label: "tx")
            try await ch.queueDelete(q)
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }

    @Test func quorumDeliveryLimitDeadLetters() async throws {
        let results = try await Targets.both { url in
            let s = CoreScenarios.suffix()
            var t = Transcript(suffix: s)
            let connection = try await AMQPConnection.connect(to: url)
            let ch = try await connection.openChannel()
            let q = "diff-quorum\(s)", dlq = "diff-quorum-dlq\(s)"
            try await ch.queueDeclare(dlq)
            try await ch.queueDeclare(q, durable: true, arguments: [
                "x-queue-type": "quorum", "x-delivery-limit": .int32(1),
                "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(dlq),
            ])
            // A quorum queue takes a publish through Raft: wait for the confirm before fetching.
            _ = try await ch.publishConfirmed(ByteBuffer(string: "poison"), routingKey: q)
            for attempt in 1...3 {
                guard let got = try await ch.get(q) else {
                    t.record("attempt \(attempt): empty")
                    continue
                }
                t.record(got.message, prefix: "attempt \(attempt)")
                try await ch.nack(deliveryTag: got.message.deliveryTag, requeue: true)
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .milliseconds(200))
            if let dead = try await ch.get(dlq, noAck: true) {
                t.record("dlq: \(dead.message.bodyString) reason=\(Transcript.describe(dead.message.properties.headers?["x-first-death-reason"] ?? .void))")
            } else {
                t.record("dlq: empty")
            }
            try await ch.queueDelete(q)
            try await ch.queueDelete(dlq)
            try await connection.close()
            return t.normalised()
        }
        #expect(results.rabbitmq == results.warren, "RabbitMQ:\n\(results.rabbitmq)\nWarren:\n\(results.warren)")
    }
}
