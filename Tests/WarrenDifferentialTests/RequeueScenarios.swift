import NIOCore
import Testing
import WarrenClient

/// Where requeued messages go back to, their redelivered flags, and the message counts that
/// get-ok, declare-ok, purge-ok and delete-ok report along the way.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct RequeueScenarios {
    /// Publishes m1...m`count`, fetches the first `fetch` without ack; returns their tags.
    static func setUp(_ ch: AMQPChannel, _ q: String, count: Int = 5, fetch: Int = 3,
                      into t: inout Transcript) async throws -> [UInt64] {
        for i in 1...count { try await ch.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
        var tags: [UInt64] = []
        for _ in 0..<fetch {
            let got = try #require(try await ch.get(q))
            t.record("got \(got.message.bodyString) tag=\(got.message.deliveryTag) redelivered=\(got.message.redelivered) "
                     + "left=\(got.messageCount)")
            tags.append(got.message.deliveryTag)
        }
        return tags
    }

    /// Each case: get m1..m3 of m1..m5 without ack, then `settle` requeues some of them.
    static let cases: [(String, @Sendable (AMQPChannel, String, [UInt64]) async throws -> Void)] = [
        ("reject 3,1,2", { ch, _, tags in
            for i in [2, 0, 1] { try await ch.reject(deliveryTag: tags[i], requeue: true) }
        }),
        ("nack 2 multiple (1,2), ack 3", { ch, _, tags in
            try await ch.nack(deliveryTag: tags[1], multiple: true, requeue: true)
            try await ch.ack(deliveryTag: tags[2])
        }),
        ("nack 0 multiple = all", { ch, _, _ in
            try await ch.nack(deliveryTag: 0, multiple: true, requeue: true)
        }),
        ("reject 2 then get, then nack 3,1", { ch, q, tags in
            try await ch.reject(deliveryTag: tags[1], requeue: true)
            let again = try #require(try await ch.get(q))
            try await ch.nack(deliveryTag: tags[2], requeue: true)
            try await ch.nack(deliveryTag: tags[0], requeue: true)
            try await ch.reject(deliveryTag: again.message.deliveryTag, requeue: true)
        }),
        ("recover", { ch, _, _ in
            try await ch.recover(requeue: true)
        }),
        ("close channel with 2 acked", { ch, _, tags in
            try await ch.ack(deliveryTag: tags[1])
            try await ch.close()
        }),
        ("ack 3 multiple = all", { ch, _, tags in
            try await ch.ack(deliveryTag: tags[2], multiple: true)
        }),
    ]

    @Test(arguments: cases.indices)
    func requeueOrder(_ index: Int) async throws {
        let (label, settle) = Self.cases[index]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-rq"]) { s, t in
                t.record("case: \(label)")
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-rq\(s)"
                try await ch.queueDeclare(q)
                let tags = try await Self.setUp(ch, q, into: &t)
                try await settle(ch, q, tags)
                // Acks and rejects have no reply: give the broker a moment before looking.
                try await Task.sleep(for: .milliseconds(100))
                let reader = try await connection.openChannel()
                let declared = try await reader.queueDeclare(q, passive: true)
                t.record("declare-ok messages=\(declared.messageCount) consumers=\(declared.consumerCount)")
                while let got = try await reader.get(q, noAck: true) {
                    t.record("after: \(got.message.bodyString) redelivered=\(got.message.redelivered) left=\(got.messageCount)")
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// A consumer with prefetch 2 holds two unacked deliveries; cancelling it keeps them unacked
    /// on the channel, closing the channel requeues them in front of the rest.
    @Test func consumerRequeueOnCancelAndClose() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-rqc"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let q = "diff-rqc\(s)"
                let setup = try await connection.openChannel()
                try await setup.queueDeclare(q)
                for i in 1...5 { try await setup.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
                let ch = try await connection.openChannel()
                try await ch.qos(prefetchCount: 2)
                let consumer = try await ch.consume(q, consumerTag: "c1")
                var iterator = consumer.makeAsyncIterator()
                var tags: [UInt64] = []
                for _ in 0..<2 {
                    let d = try #require(try await iterator.next())
                    t.record("c1: \(d.bodyString) tag=\(d.deliveryTag) redelivered=\(d.redelivered) ctag=\(d.consumerTag)")
                    tags.append(d.deliveryTag)
                }
                let busy = try await setup.queueDeclare(q, passive: true)
                t.record("while consuming: messages=\(busy.messageCount) consumers=\(busy.consumerCount)")
                try await consumer.cancel()
                try await Task.sleep(for: .milliseconds(50))
                let idle = try await setup.queueDeclare(q, passive: true)
                t.record("after cancel: messages=\(idle.messageCount) consumers=\(idle.consumerCount)")
                // Acking after the cancel still works; the other stays unacked until the close.
                try await ch.ack(deliveryTag: tags[1])
                try await ch.close()
                try await Task.sleep(for: .milliseconds(100))
                let closed = try await setup.queueDeclare(q, passive: true)
                t.record("after close: messages=\(closed.messageCount) consumers=\(closed.consumerCount)")
                let again = try await connection.openChannel()
                let second = try await again.consume(q, consumerTag: "c2", noAck: true)
                var it2 = second.makeAsyncIterator()
                for _ in 0..<4 {
                    let d = try #require(try await it2.next())
                    t.record("c2: \(d.bodyString) redelivered=\(d.redelivered) exchange=\(d.exchange) key=\(t.normalise(d.routingKey))")
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func purgeDeleteAndDeclareCounts() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-cnt"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-cnt\(s)"
                let first = try await ch.queueDeclare(q)
                t.record("declare-ok \(first.messageCount) \(first.consumerCount)")
                t.record(try await ch.get(q), prefix: "get on empty")
                for i in 1...6 { try await ch.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
                // RabbitMQ enqueues asynchronously; let the publishes land before counting.
                try await Scenario.awaitDepth(ch, q, 6)
                t.record(try await ch.get(q), prefix: "get 1")
                t.record(try await ch.get(q, noAck: true), prefix: "get 2 no-ack")
                let again = try await ch.queueDeclare(q)
                t.record("redeclare-ok \(again.messageCount) \(again.consumerCount)")
                // Purge removes ready messages only; the unacked m1 survives and comes back on nack.
                t.record("purge-ok \(try await ch.queuePurge(q))")
                t.record("purge-ok again \(try await ch.queuePurge(q))")
                try await ch.nack(deliveryTag: 1, requeue: true)
                try await Task.sleep(for: .milliseconds(100))
                t.record("after nack: \(try await ch.queueDeclare(q, passive: true).messageCount)")
                let other = try await connection.openChannel()
                _ = try await other.consume(q, consumerTag: "idle-consumer")
                try await Task.sleep(for: .milliseconds(100))
                let withConsumer = try await ch.queueDeclare(q, passive: true)
                t.record("with consumer: \(withConsumer.messageCount) \(withConsumer.consumerCount)")
                try await other.close()
                for i in 7...9 { try await ch.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
                // RabbitMQ enqueues asynchronously; let the publishes land before counting.
                try await Task.sleep(for: .milliseconds(200))
                let held = try #require(try await ch.get(q))
                t.record(held, prefix: "held")
                t.record("delete-ok \(try await ch.queueDelete(q))")
                t.record("delete-ok missing \(try await ch.queueDelete(q))")
                await t.attempt("ack after delete") {
                    try await ch.ack(deliveryTag: held.message.deliveryTag)
                    return "\(try await ch.queueDeclare(q).messageCount)"
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
