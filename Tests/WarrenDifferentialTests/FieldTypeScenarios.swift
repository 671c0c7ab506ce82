import NIOCore
import Testing
import WarrenClient

/// Field-table types that RabbitMQ reads although its own table of types lacks them. py-amqp
/// (and so kombu and Celery) writes every integer beyond 32 bits as "L"; RabbitMQ reads it as a
/// signed 64-bit integer, delivers it, and dead-letters it as "l".
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct FieldTypeScenarios {
    private static func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
    private static func shortString(_ s: String) -> [UInt8] { [UInt8(s.utf8.count)] + Array(s.utf8) }

    /// Headers {big: L 2^40, negative: L -2^40, list: [L 7]} as py-amqp writes them.
    private static var headersTable: [UInt8] {
        let entries = shortString("big") + [UInt8(ascii: "L")] + be(Int64(1) << 40)
            + shortString("negative") + [UInt8(ascii: "L")] + be(-(Int64(1) << 40))
            + shortString("list") + [UInt8(ascii: "A")] + be(UInt32(9)) + [UInt8(ascii: "L")] + be(Int64(7))
        return be(UInt32(entries.count)) + entries
    }

    @Test func anLIntegerIsReadDeliveredAndDeadLettered() async throws {
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: ["diff-ltype-q", "diff-ltype-dlq"]) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                _ = try await ch.queueDeclare("diff-ltype-dlq\(s)")
                _ = try await ch.queueDeclare("diff-ltype-q\(s)", arguments: [
                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": .string("diff-ltype-dlq\(s)"),
                ])
                let raw = try RawAMQP.connect(url)
                for body in ["kept", "rejected"] {
                    try raw.sendFrame(type: 1, payload: Self.be(UInt16(60)) + Self.be(UInt16(40)) + Self.be(UInt16(0))
                        + Self.shortString("") + Self.shortString("diff-ltype-q\(s)") + [0])
                    try raw.sendFrame(type: 2, payload: Self.be(UInt16(60)) + Self.be(UInt16(0))
                        + Self.be(UInt64(body.utf8.count)) + Self.be(UInt16(0x2000)) + Self.headersTable)
                    try raw.sendFrame(type: 3, payload: Array(body.utf8))
                }
                try raw.send(QueueDeclare(queue: "diff-ltype-q\(s)", passive: true))
                t.record(contentsOf: try raw.read { if case .queueDeclareOk = $0 { true } else { false } })
                _ = try raw.closeConnection()
                try await Scenario.awaitDepth(ch, "diff-ltype-q\(s)", 2)
                let kept = try #require(try await ch.get("diff-ltype-q\(s)", noAck: true))
                t.record(kept.message, prefix: "delivered")
                let rejected = try #require(try await ch.get("diff-ltype-q\(s)"))
                try await ch.reject(deliveryTag: rejected.message.deliveryTag, requeue: false)
                try await Scenario.awaitDepth(ch, "diff-ltype-dlq\(s)", 1)
                let dead = try #require(try await ch.get("diff-ltype-dlq\(s)", noAck: true))
                t.record("dead-lettered headers: big=\(String(describing: dead.message.properties.headers?["big"])) "
                    + "negative=\(String(describing: dead.message.properties.headers?["negative"])) "
                    + "list=\(String(describing: dead.message.properties.headers?["list"]))")
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
        #expect(results.warren.lines.contains { $0.hasPrefix("delivered: kept") }, "\(results.warren)")
    }
}
