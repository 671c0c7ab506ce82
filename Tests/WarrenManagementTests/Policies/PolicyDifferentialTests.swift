import Foundation
import NIOCore
import Testing
import WarrenClient
import WarrenWire

/// Policies and operator policies: the same script on the RabbitMQ node scripts/test starts and
/// on the embedded broker, set through each one's management API and observed over AMQP and
/// in /api/queues and /api/exchanges. The transcripts must be identical.
@Suite(.enabled(if: RabbitNode.isAvailable,
                "needs WARREN_RABBITMQ_URL and WARREN_RABBITMQ_MANAGEMENT_URL (scripts/test sets them)"))
struct PolicyDifferentialTests {
    /// Overlapping policies of different priorities and apply-to, one that no classic queue can
    /// take, an operator policy lower than both the policy and an argument, argument against
    /// policy for the dead-letter exchange and the alternate exchange.
    @Test func resolutionOnNewQueuesAndExchanges() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ch = try await admin.openChannel()
            for (exchange, queue) in [("dlx-a\(s)", "dlq-a\(s)"), ("dlx-b\(s)", "dlq-b\(s)"), ("ae\(s)", "ae-q\(s)"),
                                      ("ae2\(s)", "ae2-q\(s)")] {
                try await ch.exchangeDeclare(exchange, type: "fanout")
                _ = try await ch.queueDeclare(queue)
                try await ch.queueBind(queue, exchange: exchange)
            }
            let policies: [(String, String, String, Int, String, Bool)] = [
                ("low\(s)", "^pol-.*\(s)$", #"{"max-length":10,"message-ttl":60000}"#, 1, "all", false),
                ("high\(s)", "^pol-q[12]\(s)$", #"{"max-length":4,"dead-letter-exchange":"dlx-a\#(s)"}"#, 5, "queues", false),
                ("exch\(s)", "^pol-x.*\(s)$", #"{"alternate-exchange":"ae\#(s)"}"#, 9, "exchanges", false),
                // delivery-limit is for quorum queues: a classic queue skips this policy entirely.
                ("quorum-only\(s)", "^pol-q1\(s)$", #"{"delivery-limit":2}"#, 20, "all", false),
                ("op\(s)", "^pol-q.*\(s)$", #"{"max-length":3,"message-ttl":30000}"#, 0, "queues", true),
            ]
            for (name, pattern, definition, priority, applyTo, isOperator) in policies {
                let status = try await side.putPolicy(name, pattern: pattern, definition: definition, priority: priority,
                                                      applyTo: applyTo, operator: isOperator)
                t.record("PUT \(isOperator ? "operator policy" : "policy") \(name): \(status)")
            }
            let queues: [(String, FieldTable, Int, String?, String?)] = [
                ("pol-q1\(s)", [:], 6, "high\(s)", "op\(s)"),
                ("pol-q2\(s)", ["x-max-length": .int32(2), "x-dead-letter-exchange": .string("dlx-b\(s)")], 5,
                 "high\(s)", "op\(s)"),
                ("pol-q3\(s)", ["x-max-length": .int32(8)], 5, "low\(s)", "op\(s)"),
                ("pol-other\(s)", [:], 12, "low\(s)", nil),
            ]
            for (queue, arguments, count, _, _) in queues {
                _ = try await ch.queueDeclare(queue, arguments: arguments)
                for n in 0..<count { try await ch.publish(ByteBuffer(string: "\(queue)-\(n)"), routingKey: queue) }
            }
            let expectedCounts: [String: UInt32] = ["pol-q1\(s)": 3, "pol-q2\(s)": 2, "pol-q3\(s)": 3,
                                                    "pol-other\(s)": 10, "dlq-a\(s)": 3, "dlq-b\(s)": 3]
            for (queue, expected) in expectedCounts.sorted(by: { $0.key < $1.key }) {
                t.record("\(queue) holds \(try await side.messageCount(ch, queue, expected: expected))")
            }
            for dlq in ["dlq-a\(s)", "dlq-b\(s)"] {
                t.record("\(dlq): \(try await AccessSide.drain(ch, dlq))")
            }
            for exchange in ["pol-x\(s)", "pol-xarg\(s)"] {
                let arguments: FieldTable = exchange.hasPrefix("pol-xarg") ? ["alternate-exchange": .string("ae2\(s)")] : [:]
                try await ch.exchangeDeclare(exchange, arguments: arguments)
                try await ch.publish(ByteBuffer(string: "via \(exchange)"), exchange: exchange, routingKey: "unbound")
            }
            for queue in ["ae-q\(s)", "ae2-q\(s)"] {
                t.record("\(queue) holds \(try await side.messageCount(ch, queue, expected: 1))")
            }
            for exchange in ["pol-x\(s)", "pol-xarg\(s)", "ae\(s)", "dlx-a\(s)"] {
                t.record("exchange \(exchange) policy: \(try await side.exchangePolicy(exchange))")
            }
            for (queue, _, _, policy, operatorPolicy) in queues {
                t.record("\(queue) in /api/queues: "
                    + (try await side.queuePolicy(queue, policy: policy, operatorPolicy: operatorPolicy)))
            }
            for (name, _, _, _, _, isOperator) in policies { _ = try await side.deletePolicy(name, operator: isOperator) }
            try await side.cleanup(admin, queues: queues.map(\.0) + ["dlq-a\(s)", "dlq-b\(s)", "ae-q\(s)", "ae2-q\(s)"],
                                   exchanges: ["dlx-a\(s)", "dlx-b\(s)", "ae\(s)", "ae2\(s)", "pol-x\(s)", "pol-xarg\(s)"])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// A policy set on a queue that already holds messages truncates it at once (drop-head,
    /// dead-lettered with reason maxlen); an operator policy lowers the limit further; deleting
    /// both puts the queue back to its arguments.
    @Test func policyOnAnExistingQueueAndItsDeletion() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ch = try await admin.openChannel()
            let queue = "pol-e\(s)", dlq = "dlq-e\(s)"
            try await ch.exchangeDeclare("dlx-e\(s)", type: "fanout")
            _ = try await ch.queueDeclare(dlq)
            try await ch.queueBind(dlq, exchange: "dlx-e\(s)")
            _ = try await ch.queueDeclare(queue)
            for n in 0..<5 { try await ch.publish(ByteBuffer(string: "e\(n)"), routingKey: queue) }
            t.record("before: \(try await side.messageCount(ch, queue, expected: 5))")

            let trim = #"{"max-length":2,"dead-letter-exchange":"dlx-e\#(s)"}"#
            t.record("PUT trim: \(try await side.putPolicy("trim\(s)", pattern: "^pol-e\(s)$", definition: trim))")
            t.record("after policy: \(try await side.messageCount(ch, queue, expected: 2))")
            t.record("dead-lettered: \(try await side.messageCount(ch, dlq, expected: 3))")
            t.record("dlq: \(try await AccessSide.drain(ch, dlq))")
            t.record("queue: " + (try await side.queuePolicy(queue, policy: "trim\(s)", operatorPolicy: nil)))
            t.record("PUT trim again: \(try await side.putPolicy("trim\(s)", pattern: "^pol-e\(s)$", definition: trim))")

            t.record("PUT operator policy: "
                + "\(try await side.putPolicy("cap\(s)", pattern: "^pol-e\(s)$", definition: #"{"max-length":1}"#, operator: true))")
            t.record("after operator policy: \(try await side.messageCount(ch, queue, expected: 1))")
            t.record("dlq: \(try await side.messageCount(ch, dlq, expected: 1)) \(try await AccessSide.drain(ch, dlq))")
            t.record("queue: " + (try await side.queuePolicy(queue, policy: "trim\(s)", operatorPolicy: "cap\(s)")))

            t.record("DELETE operator policy: \(try await side.deletePolicy("cap\(s)", operator: true))")
            t.record("DELETE policy: \(try await side.deletePolicy("trim\(s)"))")
            t.record("DELETE policy again: \(try await side.deletePolicy("trim\(s)"))")
            // Once /api/queues shows no policy, the queue has taken the change.
            t.record("queue: " + (try await side.queuePolicy(queue, policy: nil, operatorPolicy: nil)))
            for n in 5..<8 { try await ch.publish(ByteBuffer(string: "e\(n)"), routingKey: queue) }
            t.record("after deletion: \(try await side.messageCount(ch, queue, expected: 4))")
            t.record("dlq after deletion: \(try await ch.queueDeclare(dlq, passive: true).messageCount)")
            try await side.cleanup(admin, queues: [queue, dlq], exchanges: ["dlx-e\(s)"])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// Quorum queues: a delivery limit from the policy, lowered by an operator policy, dead-
    /// letters a message requeued once too often; the same policies skip a classic queue
    /// (delivery-limit is not a classic queue's setting), which then has no policy at all.
    @Test func deliveryLimitOnQuorumQueuesOnly() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ch = try await admin.openChannel()
            try await ch.exchangeDeclare("dlx-q\(s)", type: "fanout")
            _ = try await ch.queueDeclare("dlq-q\(s)")
            try await ch.queueBind("dlq-q\(s)", exchange: "dlx-q\(s)")
            let pattern = "^pol-q[qc]\(s)$"
            t.record("PUT policy: " + String(try await side.putPolicy(
                "qdl\(s)", pattern: pattern, definition: #"{"delivery-limit":5,"dead-letter-exchange":"dlx-q\#(s)"}"#,
                priority: 1, applyTo: "queues")))
            t.record("PUT operator policy: " + String(try await side.putPolicy(
                "qop\(s)", pattern: pattern, definition: #"{"delivery-limit":1}"#, operator: true)))
            let quorum = "pol-qq\(s)", classic = "pol-qc\(s)"
            _ = try await ch.queueDeclare(quorum, durable: true, arguments: ["x-queue-type": .string("quorum")])
            _ = try await ch.queueDeclare(classic)
            for queue in [quorum, classic] {
                _ = try await ch.publishConfirmed(ByteBuffer(string: "to \(queue)"), routingKey: queue)
            }
            for attempt in 1...3 {
                guard let got = try await Self.get(ch, quorum) else {
                    t.record("get \(attempt): empty")
                    continue
                }
                let count = got.message.properties.headers?["x-delivery-count"]?.int64Value
                t.record("get \(attempt): \(got.message.bodyString) redelivered=\(got.message.redelivered) "
                    + "x-delivery-count=\(count.map(String.init) ?? "-")")
                try await ch.nack(deliveryTag: got.message.deliveryTag, requeue: true)
            }
            t.record("dead-lettered: \(try await side.messageCount(ch, "dlq-q\(s)", expected: 1))")
            t.record("dlq: \(try await AccessSide.drain(ch, "dlq-q\(s)"))")
            t.record("quorum: " + (try await side.queuePolicy(quorum, policy: "qdl\(s)", operatorPolicy: "qop\(s)")))
            t.record("classic: " + (try await side.queuePolicy(classic, policy: nil, operatorPolicy: nil)))
            _ = try await side.deletePolicy("qdl\(s)")
            _ = try await side.deletePolicy("qop\(s)", operator: true)
            try await side.cleanup(admin, queues: [quorum, classic, "dlq-q\(s)"], exchanges: ["dlx-q\(s)"])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// Overflow on quorum queues: the policy's wins over the argument (policyHasPrecedence in
    /// rabbit_quorum_queue, the reverse of classic queues), and reject-publish-dlx means drop-head.
    @Test func overflowOnQuorumAndClassicQueues() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ch = try await admin.openChannel()
            t.record("PUT policy: " + String(try await side.putPolicy(
                "ovf\(s)", pattern: "^pol-ovf-.*\(s)$", definition: #"{"overflow":"reject-publish","max-length":1}"#)))
            let quorum: FieldTable = ["x-queue-type": .string("quorum"), "x-overflow": .string("drop-head")]
            let queues: [(String, FieldTable, Bool)] = [
                ("pol-ovf-quorum\(s)", quorum, true),
                ("pol-ovf-classic\(s)", ["x-overflow": .string("drop-head")], false),
                ("plain-ovf-quorum-dlx\(s)", ["x-queue-type": .string("quorum"), "x-max-length": .int32(1),
                                              "x-overflow": .string("reject-publish-dlx")], true),
            ]
            for (queue, arguments, durable) in queues {
                _ = try await ch.queueDeclare(queue, durable: durable, arguments: arguments)
                var confirms: [String] = []
                for n in 0..<3 {
                    confirms.append("\(try await ch.publishConfirmed(ByteBuffer(string: "\(queue)-\(n)"), routingKey: queue))")
                }
                let kept = try await AccessSide.drain(ch, queue)
                t.record("\(queue): confirms \(confirms) kept \(kept)")
            }
            _ = try await side.deletePolicy("ovf\(s)")
            try await side.cleanup(admin, queues: queues.map(\.0), exchanges: [])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// A message TTL and a byte limit from policies: a TTL of 0 (lower than the message's own
    /// expiration) dead-letters at once with reason expired, the byte limit drops from the head.
    @Test func messageTTLAndByteLimitFromPolicies() async throws {
        let results = try await AccessSide.both { side, s in
            var t = AccessTranscript(suffix: s)
            let admin = try await AMQPConnection.connect(to: side.amqpURL("guest", "guest"))
            let ch = try await admin.openChannel()
            try await ch.exchangeDeclare("dlx-t\(s)", type: "fanout")
            _ = try await ch.queueDeclare("dlq-t\(s)")
            try await ch.queueBind("dlq-t\(s)", exchange: "dlx-t\(s)")
            t.record("PUT ttl: " + String(try await side.putPolicy(
                "ttl\(s)", pattern: "^pol-ttl\(s)$", definition: #"{"message-ttl":0,"dead-letter-exchange":"dlx-t\#(s)"}"#)))
            t.record("PUT bytes: " + String(try await side.putPolicy(
                "bytes\(s)", pattern: "^pol-bytes\(s)$",
                definition: #"{"max-length-bytes":10,"dead-letter-exchange":"dlx-t\#(s)"}"#)))
            _ = try await ch.queueDeclare("pol-bytes\(s)")
            for n in 0..<3 { try await ch.publish(ByteBuffer(string: "bbb\(n)"), routingKey: "pol-bytes\(s)") }
            t.record("pol-bytes holds \(try await side.messageCount(ch, "pol-bytes\(s)", expected: 2))")
            t.record("dlq holds \(try await side.messageCount(ch, "dlq-t\(s)", expected: 1))")
            _ = try await ch.queueDeclare("pol-ttl\(s)")
            try await ch.publish(ByteBuffer(string: "short-lived"), routingKey: "pol-ttl\(s)",
                                 properties: BasicProperties(expiration: "60000"))
            t.record("pol-ttl holds \(try await side.messageCount(ch, "pol-ttl\(s)", expected: 0))")
            t.record("dlq holds \(try await side.messageCount(ch, "dlq-t\(s)", expected: 2))")
            t.record("dlq: \(try await AccessSide.drain(ch, "dlq-t\(s)"))")
            for name in ["ttl\(s)", "bytes\(s)"] { _ = try await side.deletePolicy(name) }
            try await side.cleanup(admin, queues: ["pol-bytes\(s)", "pol-ttl\(s)", "dlq-t\(s)"], exchanges: ["dlx-t\(s)"])
            try? await admin.close()
            return t.lines
        }
        AccessTranscript.expectSame(results)
    }

    /// basic.get, tried until a message comes or 5 s pass: a quorum queue takes a requeue
    /// asynchronously in RabbitMQ. (The third get of the delivery-limit scenario waits it out.)
    static func get(_ channel: AMQPChannel, _ queue: String) async throws -> AMQPGetResult? {
        let deadline = Date().addingTimeInterval(5)
        while true {
            if let got = try await channel.get(queue) { return got }
            if Date() > deadline { return nil }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
