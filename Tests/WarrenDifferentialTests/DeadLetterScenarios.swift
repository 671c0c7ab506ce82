import NIOCore
import Testing
import WarrenClient

/// Dead lettering by reject/nack, TTL, per-message expiration and length limits: where the
/// message goes, and the whole header table it arrives with (x-death, x-first-death-*, key order).
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct DeadLetterScenarios {
    /// Every property set, headers in a deliberately unsorted order with nested values.
    static let richProperties = BasicProperties(
        contentType: "application/json", contentEncoding: "utf-8",
        headers: ["zeta": "z", "alpha": .int32(7), "Mid": .array(["x", .int64(2)]),
                  "nested": .table(["b": .bool(true), "a": .double(1.5)]), "_under": .void],
        deliveryMode: 2, priority: 3, correlationID: "corr", replyTo: "reply", messageID: "mid-1",
        timestamp: 1_700_000_000, type: "kind", userID: "guest", appID: "app", clusterID: "cluster")

    @Test func rejectAndNackWithoutRequeue() async throws {
        let queues = ["diff-dlr-work", "diff-dlr-dlq1", "diff-dlr-dlq2"]
        let exchanges = ["diff-dlr-src", "diff-dlr-dlx"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: exchanges) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (work, dlq1, dlq2, src, dlx) = (queues[0] + s, queues[1] + s, queues[2] + s, exchanges[0] + s,
                                                    exchanges[1] + s)
                try await ch.exchangeDeclare(src, type: "direct")
                try await ch.exchangeDeclare(dlx, type: "direct")
                try await ch.queueDeclare(work, arguments: ["x-dead-letter-exchange": .string(dlx)])
                try await ch.queueDeclare(dlq1)
                try await ch.queueDeclare(dlq2)
                try await ch.queueBind(work, exchange: src, routingKey: "k1")
                try await ch.queueBind(work, exchange: src, routingKey: "k2")
                try await ch.queueBind(dlq1, exchange: dlx, routingKey: "k1")
                try await ch.queueBind(dlq2, exchange: dlx, routingKey: "k2")
                try await ch.publish(ByteBuffer(string: "rejected"), exchange: src, routingKey: "k1",
                                     properties: Self.richProperties)
                // CC adds a routing key; it is recorded in x-death routing-keys and used again on the DLX.
                try await ch.publish(ByteBuffer(string: "nacked-cc"), exchange: src, routingKey: "k1",
                                     properties: BasicProperties(headers: ["CC": .array(["k2"])]))
                try await ch.publish(ByteBuffer(string: "nacked-multi-1"), exchange: src, routingKey: "k2")
                try await ch.publish(ByteBuffer(string: "nacked-multi-2"), exchange: src, routingKey: "k2",
                                     properties: BasicProperties(headers: ["BCC": .array(["k1"])]))
                var tags: [UInt64] = []
                for _ in 0..<4 { tags.append(try #require(try await ch.get(work)).message.deliveryTag) }
                try await ch.reject(deliveryTag: tags[0], requeue: false)
                try await ch.nack(deliveryTag: tags[1], requeue: false)
                try await ch.nack(deliveryTag: tags[3], multiple: true, requeue: false)
                // CC keys are dead-lettered with the message, BCC keys are not.
                try await Scenario.awaitDepth(ch, dlq1, 2)
                try await Scenario.awaitDepth(ch, dlq2, 3)
                try await Scenario.drain(ch, dlq1, into: &t, label: "dlq1")
                try await Scenario.drain(ch, dlq2, into: &t, label: "dlq2")
                try await Scenario.drain(ch, work, into: &t, label: "work")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func queueTTLAndPerMessageExpiration() async throws {
        let queues = ["diff-dlt-ttl", "diff-dlt-perm", "diff-dlt-dlq"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: ["diff-dlt-dlx"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (ttl, perm, dlq, dlx) = (queues[0] + s, queues[1] + s, queues[2] + s, "diff-dlt-dlx\(s)")
                try await ch.exchangeDeclare(dlx, type: "topic")
                try await ch.queueDeclare(dlq)
                try await ch.queueBind(dlq, exchange: dlx, routingKey: "#")
                try await ch.queueDeclare(ttl, arguments: ["x-message-ttl": .int32(50), "x-dead-letter-exchange": .string(dlx),
                                                           "x-dead-letter-routing-key": "from-ttl"])
                try await ch.queueDeclare(perm, arguments: ["x-dead-letter-exchange": .string(dlx)])
                try await ch.publish(ByteBuffer(string: "ttl-1"), routingKey: ttl, properties: Self.richProperties)
                // Per-message expiration below the queue TTL wins; above it the queue TTL does.
                try await ch.publish(ByteBuffer(string: "ttl-2-short"), routingKey: ttl,
                                     properties: BasicProperties(expiration: "10"))
                try await ch.publish(ByteBuffer(string: "ttl-3-long"), routingKey: ttl,
                                     properties: BasicProperties(expiration: "60000"))
                // Only the head expires: "perm-late" waits behind a message that lives a minute.
                try await ch.publish(ByteBuffer(string: "perm-0"), routingKey: perm, properties: BasicProperties(expiration: "0"))
                try await ch.publish(ByteBuffer(string: "perm-long"), routingKey: perm,
                                     properties: BasicProperties(deliveryMode: 2, expiration: "60000"))
                try await ch.publish(ByteBuffer(string: "perm-late"), routingKey: perm,
                                     properties: BasicProperties(headers: ["h": "v"], expiration: "20"))
                // perm-0 at once, the three in the TTL queue after 50 ms.
                try await Scenario.awaitDepth(ch, dlq, 4)
                try await Scenario.drain(ch, dlq, into: &t, label: "dlq")
                t.record(try await ch.get(perm, noAck: true), prefix: "perm head")
                try await Task.sleep(for: .milliseconds(100))
                t.record(try await ch.get(perm, noAck: true), prefix: "perm next")
                try await Scenario.awaitDepth(ch, dlq, 1)
                try await Scenario.drain(ch, dlq, into: &t, label: "dlq later")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func maxLengthAndMaxLengthBytesDropHead() async throws {
        let queues = ["diff-dlm-len", "diff-dlm-bytes", "diff-dlm-dlq"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: ["diff-dlm-dlx"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (len, bytes, dlq, dlx) = (queues[0] + s, queues[1] + s, queues[2] + s, "diff-dlm-dlx\(s)")
                try await ch.exchangeDeclare(dlx, type: "fanout")
                try await ch.queueDeclare(dlq)
                try await ch.queueBind(dlq, exchange: dlx)
                let declared = try await ch.queueDeclare(len, arguments: ["x-max-length": .int32(2),
                                                                          "x-dead-letter-exchange": .string(dlx)])
                t.record("declare-ok \(declared.messageCount) \(declared.consumerCount)")
                try await ch.queueDeclare(bytes, arguments: ["x-max-length-bytes": .int64(10),
                                                             "x-dead-letter-exchange": .string(dlx)])
                for i in 1...5 {
                    try await ch.publish(ByteBuffer(string: "len-\(i)"), routingKey: len,
                                         properties: BasicProperties(headers: ["i": .int32(Int32(i))]))
                }
                // RabbitMQ delivers publishes to the queue asynchronously: let them land first.
                try await Task.sleep(for: .milliseconds(100))
                let after = try await ch.queueDeclare(len, passive: true)
                t.record("passive declare-ok \(after.messageCount) \(after.consumerCount)")
                for body in ["aaaa", "bbbb", "cccc", "", "dddddddddddd", "ee"] {
                    try await ch.publish(ByteBuffer(string: body), routingKey: bytes)
                }
                // An unacked message does not count against the limit in the same way as a ready one.
                let held = try #require(try await ch.get(len))
                t.record(held.message, prefix: "held [left \(held.messageCount)]")
                for i in 6...8 { try await ch.publish(ByteBuffer(string: "len-\(i)"), routingKey: len) }
                try await ch.nack(deliveryTag: held.message.deliveryTag, requeue: true)
                try await Task.sleep(for: .milliseconds(200))
                try await Scenario.drain(ch, dlq, into: &t, label: "dlq")
                try await Scenario.drain(ch, len, into: &t, label: "len")
                try await Scenario.drain(ch, bytes, into: &t, label: "bytes")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func overflowRejectPublishAndRejectPublishDLX() async throws {
        let queues = ["diff-dlo-rp", "diff-dlo-rpdlx", "diff-dlo-dlq"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: ["diff-dlo-dlx"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (rp, rpdlx, dlq, dlx) = (queues[0] + s, queues[1] + s, queues[2] + s, "diff-dlo-dlx\(s)")
                try await ch.exchangeDeclare(dlx, type: "fanout")
                try await ch.queueDeclare(dlq)
                try await ch.queueBind(dlq, exchange: dlx)
                try await ch.queueDeclare(rp, arguments: ["x-max-length": .int32(1), "x-overflow": "reject-publish",
                                                          "x-dead-letter-exchange": .string(dlx)])
                try await ch.queueDeclare(rpdlx, arguments: ["x-max-length": .int32(1), "x-overflow": "reject-publish-dlx",
                                                             "x-dead-letter-exchange": .string(dlx)])
                try await ch.confirmSelect()
                for q in [rp, rpdlx] {
                    for i in 1...3 {
                        let seq = try await ch.publish(ByteBuffer(string: "\(t.normalise(q))-\(i)"), routingKey: q,
                                                       mandatory: true, properties: BasicProperties(expiration: "60000"))
                        t.record("\(t.normalise(q))-\(i): \(try await ch.waitForConfirm(seq))")
                    }
                }
                // Without confirms the refused message just disappears.
                let plain = try await connection.openChannel()
                try await plain.publish(ByteBuffer(string: "unconfirmed"), routingKey: rp)
                try await Task.sleep(for: .milliseconds(200))
                // reject-publish-dlx dead-letters the two it refused.
                try await Scenario.awaitDepth(ch, dlq, 2)
                try await Scenario.drain(ch, dlq, into: &t, label: "dlq")
                try await Scenario.drain(ch, rp, into: &t, label: "rp")
                try await Scenario.drain(ch, rpdlx, into: &t, label: "rpdlx")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func deadLetterRoutingKeySetVersusOriginalKey() async throws {
        let queues = ["diff-dlk-set", "diff-dlk-unset", "diff-dlk-dlq-a", "diff-dlk-dlq-b"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: ["diff-dlk-src", "diff-dlk-dlx"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (set, unset, a, b) = (queues[0] + s, queues[1] + s, queues[2] + s, queues[3] + s)
                let (src, dlx) = ("diff-dlk-src\(s)", "diff-dlk-dlx\(s)")
                try await ch.exchangeDeclare(src, type: "topic")
                try await ch.exchangeDeclare(dlx, type: "direct")
                try await ch.queueDeclare(set, arguments: ["x-dead-letter-exchange": .string(dlx),
                                                           "x-dead-letter-routing-key": "rk-set"])
                try await ch.queueDeclare(unset, arguments: ["x-dead-letter-exchange": .string(dlx)])
                try await ch.queueDeclare(a)
                try await ch.queueDeclare(b)
                try await ch.queueBind(set, exchange: src, routingKey: "orig.#")
                try await ch.queueBind(unset, exchange: src, routingKey: "orig.#")
                try await ch.queueBind(a, exchange: dlx, routingKey: "rk-set")
                try await ch.queueBind(b, exchange: dlx, routingKey: "orig.key")
                try await ch.publish(ByteBuffer(string: "m"), exchange: src, routingKey: "orig.key",
                                     properties: BasicProperties(headers: ["CC": .array(["orig.cc"])]))
                for q in [set, unset] {
                    let got = try #require(try await ch.get(q))
                    try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                }
                try await Scenario.awaitDepth(ch, a, 1)
                try await Scenario.awaitDepth(ch, b, 1)
                try await Scenario.drain(ch, a, into: &t, label: "dlq-a (rk-set)")
                try await Scenario.drain(ch, b, into: &t, label: "dlq-b (orig.key)")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
