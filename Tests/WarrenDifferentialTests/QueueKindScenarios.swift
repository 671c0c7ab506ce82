import NIOCore
import Testing
import WarrenClient

/// Priority queues, single active consumer, quorum queues' delivery limit and delivery count.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct QueueKindScenarios {
    @Test func priorityOrderRequeueAndProperties() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-prio", "diff-prio-noarg"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-prio\(s)", plain = "diff-prio-noarg\(s)"
                try await ch.queueDeclare(q, arguments: ["x-max-priority": .int32(4)])
                try await ch.queueDeclare(plain)
                let sends: [(String, UInt8?)] = [("p0-a", 0), ("none-a", nil), ("p2-a", 2), ("p9", 9), ("p4", 4),
                                                 ("p2-b", 2), ("p1", 1), ("none-b", nil), ("p255", 255), ("p3", 3)]
                for (body, priority) in sends {
                    try await ch.publish(ByteBuffer(string: body), routingKey: q, properties: BasicProperties(priority: priority))
                    try await ch.publish(ByteBuffer(string: body), routingKey: plain, properties: BasicProperties(priority: priority))
                }
                try await Scenario.awaitDepth(ch, q, UInt32(sends.count))
                t.record("depth \(try await ch.queueDeclare(q, passive: true).messageCount)")
                // Take three, requeue them in reverse: each goes back among its own priority.
                var tags: [UInt64] = []
                for _ in 0..<3 {
                    let got = try #require(try await ch.get(q))
                    t.record(got, prefix: "taken")
                    tags.append(got.message.deliveryTag)
                }
                for tag in tags.reversed() { try await ch.reject(deliveryTag: tag, requeue: true) }
                try await ch.publish(ByteBuffer(string: "late-p4"), routingKey: q, properties: BasicProperties(priority: 4))
                while let got = try await ch.get(q, noAck: true) { t.record(got, prefix: "prio") }
                // Without x-max-priority the priority property is only carried along.
                t.record("plain: \(try await Scenario.bodies(ch, plain))")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func priorityConsumerOrderWithPrefetch() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-prioc"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-prioc\(s)"
                try await ch.queueDeclare(q, arguments: ["x-max-priority": .int64(10)])
                for (i, p) in [1, 5, 10, 5, 0, 7].enumerated() {
                    try await ch.publish(ByteBuffer(string: "m\(i)-p\(p)"), routingKey: q,
                                         properties: BasicProperties(priority: UInt8(p)))
                }
                try await Scenario.awaitDepth(ch, q, 6)
                try await ch.qos(prefetchCount: 1)
                let collector = Collector()
                collector.collect(try await ch.consume(q, consumerTag: "c"), as: "c", ack: true)
                try await collector.wait(for: 6)
                for line in collector.take() { t.record(line) }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func singleActiveConsumerHandsOver() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-sac"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let setup = try await connection.openChannel()
                let q = "diff-sac\(s)"
                try await setup.queueDeclare(q, arguments: ["x-single-active-consumer": true])
                let ch1 = try await connection.openChannel(), ch2 = try await connection.openChannel()
                let collector = Collector()
                let first = try await ch1.consume(q, consumerTag: "first", noAck: true)
                collector.collect(first, as: "first")
                collector.collect(try await ch2.consume(q, consumerTag: "second", noAck: true), as: "second")
                let declared = try await setup.queueDeclare(q, passive: true)
                t.record("declare-ok consumers=\(declared.consumerCount)")
                for i in 1...3 { try await setup.publish(ByteBuffer(string: "a\(i)"), routingKey: q) }
                try await collector.wait(for: 3)
                for line in collector.take() { t.record(line) }
                try await first.cancel()
                try await Task.sleep(for: .milliseconds(100))
                for i in 1...3 { try await setup.publish(ByteBuffer(string: "b\(i)"), routingKey: q) }
                try await collector.wait(for: 4)
                for line in collector.take() { t.record(line) }
                // A third consumer waits behind the second; closing the second's channel hands over.
                let ch3 = try await connection.openChannel()
                collector.collect(try await ch3.consume(q, consumerTag: "third", noAck: true), as: "third")
                try await ch2.close()
                try await Task.sleep(for: .milliseconds(100))
                for i in 1...2 { try await setup.publish(ByteBuffer(string: "c\(i)"), routingKey: q) }
                try await collector.wait(for: 3)
                for line in collector.take() { t.record(line) }
                // Exclusive consume on a single-active-consumer queue.
                await t.attempt("exclusive consume") {
                    let ch4 = try await connection.openChannel()
                    _ = try await ch4.consume(q, consumerTag: "excl", exclusive: true)
                    return ""
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func quorumDeliveryCountAndDeliveryLimit() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-qq", "diff-qq-dlq"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-qq\(s)", dlq = "diff-qq-dlq\(s)"
                try await ch.queueDeclare(dlq)
                let declared = try await ch.queueDeclare(q, durable: true, arguments: [
                    "x-queue-type": "quorum", "x-delivery-limit": .int32(2),
                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(dlq),
                ])
                t.record("declare-ok \(declared.messageCount) \(declared.consumerCount)")
                try await ch.confirmSelect()
                for body in ["poison", "second", "third"] {
                    let seq = try await ch.publish(ByteBuffer(string: body), routingKey: q,
                                                   properties: BasicProperties(headers: ["k": "v"]))
                    t.record("\(body): \(try await ch.waitForConfirm(seq))")
                }
                // Requeue "poison" until the limit; on a quorum queue a returned message goes back
                // behind the others, and x-delivery-count counts its earlier deliveries.
                for attempt in 1...8 {
                    guard let got = try await ch.get(q) else {
                        t.record("attempt \(attempt): get-empty")
                        break
                    }
                    t.record(got, prefix: "attempt \(attempt)")
                    if got.message.bodyString == "poison" {
                        try await ch.nack(deliveryTag: got.message.deliveryTag, requeue: true)
                    } else if got.message.bodyString == "second" && !got.message.redelivered {
                        try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: true)
                    } else {
                        try await ch.ack(deliveryTag: got.message.deliveryTag)
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .milliseconds(200))
                try await Scenario.drain(ch, dlq, into: &t, label: "dlq")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func quorumChannelCloseReturnsMessages() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-qqc"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let setup = try await connection.openChannel()
                let q = "diff-qqc\(s)"
                try await setup.queueDeclare(q, durable: true, arguments: ["x-queue-type": "quorum"])
                try await setup.confirmSelect()
                for i in 1...4 { try await setup.publish(ByteBuffer(string: "m\(i)"), routingKey: q) }
                try await setup.waitForConfirms()
                let ch = try await connection.openChannel()
                for _ in 0..<3 { t.record(try await ch.get(q), prefix: "got") }
                try await ch.close()
                try await Task.sleep(for: .milliseconds(100))
                let reader = try await connection.openChannel()
                t.record("depth \(try await reader.queueDeclare(q, passive: true).messageCount)")
                while let got = try await reader.get(q, noAck: true) { t.record(got, prefix: "after") }
                t.record("purge-ok \(try await reader.queuePurge(q))")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
