import NIOCore
import Testing
import WarrenClient

/// Messages dead-lettered more than once: x-death grows newest first, a rejection loop counts
/// up, an expiry loop is cut, and x-first-death-* keep the first death.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct DeadLetterChainScenarios {
    @Test func twoHopsThroughTwoQueues() async throws {
        let queues = ["diff-dl2-first", "diff-dl2-second", "diff-dl2-final"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues, exchanges: ["diff-dl2-x1", "diff-dl2-x2"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (first, second, final) = (queues[0] + s, queues[1] + s, queues[2] + s)
                let (x1, x2) = ("diff-dl2-x1\(s)", "diff-dl2-x2\(s)")
                try await ch.exchangeDeclare(x1, type: "fanout")
                try await ch.exchangeDeclare(x2, type: "fanout")
                // first --expired--> x1 --> second --rejected--> x2 --> final
                try await ch.queueDeclare(first, arguments: ["x-message-ttl": .int32(30), "x-dead-letter-exchange": .string(x1)])
                try await ch.queueDeclare(second, arguments: ["x-dead-letter-exchange": .string(x2),
                                                              "x-dead-letter-routing-key": "second-key"])
                try await ch.queueDeclare(final)
                try await ch.queueBind(second, exchange: x1)
                try await ch.queueBind(final, exchange: x2)
                try await ch.publish(ByteBuffer(string: "hop"), routingKey: first,
                                     properties: BasicProperties(headers: ["app": "x"], expiration: "1000"))
                try await Scenario.awaitDepth(ch, second, 1)
                let got = try #require(try await ch.get(second))
                t.record(got.message, prefix: "second")
                try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                try await Scenario.awaitDepth(ch, final, 1)
                try await Scenario.drain(ch, final, into: &t, label: "final")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func rejectLoopBackIntoTheSameQueueCountsUp() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-dlloop"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let q = "diff-dlloop\(s)"
                // The default exchange as DLX, the queue's own name as key: a rejection comes straight back.
                try await ch.queueDeclare(q, arguments: ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(q)])
                try await ch.publish(ByteBuffer(string: "loop"), routingKey: q,
                                     properties: BasicProperties(headers: ["b": "2", "a": "1"]))
                for round in 1...3 {
                    let got = try #require(try await Scenario.getEventually(ch, q))
                    t.record(got.message, prefix: "round \(round) [left \(got.messageCount)]")
                    try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Scenario.drain(ch, q, into: &t, label: "end")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    @Test func expiryLoopBackIntoTheSameQueueIsDropped() async throws {
        let queues = ["diff-dlcyc-a", "diff-dlcyc-b", "diff-dlcyc-self"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (a, b, me) = (queues[0] + s, queues[1] + s, queues[2] + s)
                // me --expired--> me: dropped at once. a --expired--> b --expired--> a: dropped on the way back.
                try await ch.queueDeclare(me, arguments: ["x-message-ttl": .int32(20), "x-dead-letter-exchange": "",
                                                          "x-dead-letter-routing-key": .string(me)])
                try await ch.queueDeclare(a, arguments: ["x-message-ttl": .int32(20), "x-dead-letter-exchange": "",
                                                         "x-dead-letter-routing-key": .string(b)])
                try await ch.queueDeclare(b, arguments: ["x-message-ttl": .int32(20), "x-dead-letter-exchange": "",
                                                         "x-dead-letter-routing-key": .string(a)])
                try await ch.publish(ByteBuffer(string: "self"), routingKey: me)
                try await ch.publish(ByteBuffer(string: "pingpong"), routingKey: a)
                try await Task.sleep(for: .milliseconds(200))
                for q in [me, a, b] { try await Scenario.awaitDepth(ch, q, 0, orFewer: true) }
                for q in [me, a, b] {
                    let declared = try await ch.queueDeclare(q, passive: true)
                    t.record("\(t.normalise(q)): \(declared.messageCount) messages")
                }
                // Same cycle with a queue that keeps b's copy (no TTL on the way back): the x-death trail.
                let keep = "diff-dlcyc-keep\(s)"
                try await ch.queueDeclare(keep, exclusive: true)
                try await ch.queueDelete(b)
                try await ch.queueDeclare(b, arguments: ["x-message-ttl": .int32(20), "x-dead-letter-exchange": "",
                                                         "x-dead-letter-routing-key": .string(keep)])
                try await ch.publish(ByteBuffer(string: "trail"), routingKey: a)
                try await Scenario.awaitDepth(ch, keep, 1)
                try await Scenario.drain(ch, keep, into: &t, label: "keep")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }

    /// A message dead-lettered for the same reason from the same queue twice, with another death
    /// in between: the old entry's count goes up and it moves to the front.
    @Test func repeatedDeathMovesEntryToFront() async throws {
        let queues = ["diff-dlrep-a", "diff-dlrep-b"]
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                let (a, b) = (queues[0] + s, queues[1] + s)
                try await ch.queueDeclare(a, arguments: ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(b)])
                try await ch.queueDeclare(b, arguments: ["x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string(a)])
                try await ch.publish(ByteBuffer(string: "bounce"), routingKey: a)
                for (round, q) in [a, b, a, b, a].enumerated() {
                    let got = try #require(try await Scenario.getEventually(ch, q))
                    t.record(got.message, prefix: "round \(round + 1) from \(t.normalise(q))")
                    if round == 2 {
                        try await ch.nack(deliveryTag: got.message.deliveryTag, requeue: false)
                    } else {
                        try await ch.reject(deliveryTag: got.message.deliveryTag, requeue: false)
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Scenario.drain(ch, b, into: &t, label: "end")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
    }
}
