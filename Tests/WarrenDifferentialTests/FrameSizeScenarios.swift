import NIOCore
import Testing
import WarrenClient

/// RabbitMQ's frame-size slack, on raw frames. The specification caps a frame at frame_max
/// octets, so a payload at frame_max - 8; RabbitMQ reads payloads up to frame_max itself and
/// closes the connection (501, "FRAME_ERROR - type T, all octets = <<>>: {frame_too_large,...}")
/// only at frame_max + 1, whatever the frame type. Clients rely on it: Crystal's amqp-client
/// cuts bodies into frame_max-byte payloads.
@Suite(.enabled(if: Targets.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct FrameSizeScenarios {
    private static let frameMax = 4096

    /// Payloads of frame_max - 8, frame_max and frame_max + 1 octets, one connection each.
    private static let payloads = [frameMax - 8, frameMax, frameMax + 1]

    private static func shortString(_ s: String) -> [UInt8] { [UInt8(s.utf8.count)] + Array(s.utf8) }
    private static func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    /// A table with one key, "pad", whose long string makes the table `size` octets long in all.
    private static func paddingTable(size: Int) -> [UInt8] {
        let entries = shortString("pad") + [UInt8(ascii: "S")]
        let padding = size - 4 - entries.count - 4
        let table = entries + be(UInt32(padding)) + [UInt8](repeating: UInt8(ascii: "p"), count: padding)
        return be(UInt32(table.count)) + table
    }

    /// basic.publish to the default exchange, routing key `queue`.
    private static func publishPayload(_ queue: String) -> [UInt8] {
        be(UInt16(60)) + be(UInt16(40)) + be(UInt16(0)) + shortString("") + shortString(queue) + [0]
    }

    /// A content header for a `bodySize`-byte body, with headers padded to make the payload `size` if given.
    private static func headerPayload(bodySize: Int, size: Int? = nil) -> [UInt8] {
        let start = be(UInt16(60)) + be(UInt16(0)) + be(UInt64(bodySize))
        guard let size else { return start + be(UInt16(0)) }
        return start + be(UInt16(0x2000)) + paddingTable(size: size - start.count - 2)
    }

    /// queue.declare of `queue` with arguments padded to make the method payload `size`.
    private static func declarePayload(_ queue: String, size: Int) -> [UInt8] {
        let start = be(UInt16(50)) + be(UInt16(10)) + be(UInt16(0)) + shortString(queue) + [0]
        return start + paddingTable(size: size - start.count)
    }

    /// Sends a frame of `type` with a payload of `size` octets on a connection that negotiated
    /// frame_max 4096, then a passive declare; the transcript holds what came back.
    private static func probe(_ url: String, type: UInt8, size: Int, suffix: String) throws -> [String] {
        let queue = "diff-frame-q" + suffix
        let raw = try RawAMQP.connect(url, frameMax: UInt32(frameMax))
        switch type {
        case FrameConstants.method:
            try raw.sendFrame(type: type, payload: declarePayload("diff-frame-q-m\(size)" + suffix, size: size))
        case FrameConstants.header:
            try raw.sendFrame(type: FrameConstants.method, payload: publishPayload(queue))
            try raw.sendFrame(type: type, payload: headerPayload(bodySize: 1, size: size))
            try raw.sendFrame(type: FrameConstants.body, payload: [UInt8(ascii: "h")])
        default:
            try raw.sendFrame(type: FrameConstants.method, payload: publishPayload(queue))
            try raw.sendFrame(type: FrameConstants.header, payload: headerPayload(bodySize: size))
            try raw.sendFrame(type: type, payload: [UInt8](repeating: UInt8(ascii: "b"), count: size))
        }
        try raw.send(QueueDeclare(queue: queue, passive: true))
        let lines = try raw.read {
            if case .queueDeclareOk = $0 { true } else { false }
        }
        if !raw.closed, lines.last == "queue.declare-ok" { _ = try raw.closeConnection() }
        return lines
    }

    @Test(arguments: [FrameConstants.method, FrameConstants.header, FrameConstants.body])
    func payloadsUpToFrameMaxAreReadAndOneMoreIsRefused(type: UInt8) async throws {
        let queues = ["diff-frame-q"] + Self.payloads.map { "diff-frame-q-m\($0)" }
        let results = try await Targets.both { url in
            try await Scenario.run(url, queues: queues) { s, t in
                let connection = try await AMQPConnection.connect(to: url)
                let ch = try await connection.openChannel()
                try await ch.queueDeclare("diff-frame-q\(s)")
                for size in Self.payloads {
                    t.record("frame type \(type), payload \(size) with frame_max \(Self.frameMax):")
                    t.record(contentsOf: try Self.probe(url, type: type, size: size, suffix: s))
                }
                if type == FrameConstants.method {
                    for size in Self.payloads {
                        let exists = try await Scenario.exists(connection, "diff-frame-q-m\(size)\(s)")
                        t.record("queue declared by the \(size)-octet method: \(exists)")
                    }
                } else {
                    try await Scenario.awaitDepth(ch, "diff-frame-q\(s)", 2)
                    while let got = try await ch.get("diff-frame-q\(s)", noAck: true) {
                        t.record("queued: \(got.message.body.readableBytes) body octets, "
                            + "\(got.message.properties.headers?.count ?? 0) headers")
                    }
                }
                try await connection.close()
            }
        }
        Scenario.expectSame(results)
        #expect(results.warren.lines.contains {
            $0.contains("connection.close 501 FRAME_ERROR - type \(type), all octets = <<>>: {frame_too_large,4097,4088}")
        }, "\(results.warren)")
    }
}
