import NIOCore
import Testing
@testable import WarrenBroker
import WarrenWire

/// Clients that vanish in the middle of a message: the broker must forget their half-received
/// content, keep every complete message, release the connection, and serve everyone else.
@Suite struct AbruptDisconnectTests {
    static let connections = 50
    static let completePerConnection = 3
    static let bodySize = 10_000

    static func body(connection: Int, message: Int) -> ByteBuffer {
        let prefix = "conn-\(connection)-msg-\(message)|"
        return ByteBuffer(string: prefix + String(repeating: "x", count: bodySize - prefix.utf8.count))
    }

    /// Publishes complete messages (confirmed, so they are surely routed before the reset), then
    /// part of one more, cut at a point that depends on `index`, and drops the socket.
    static func publishThenVanish(port: Int, index: Int) async throws {
        let raw = try await RawAMQPConnection.open(port: port)
        try await raw.openChannel(1)
        try await raw.send(ConfirmSelect(), channel: 1)
        try await raw.expect("confirm.select-ok") { if case .confirmSelectOk = $0 { true } else { false } }
        for message in 0..<completePerConnection {
            var frames = ByteBuffer()
            try frames.writePublish(channel: 1, BasicPublish(routingKey: "abrupt"), properties: BasicProperties(),
                                    body: body(connection: index, message: message), frameMax: 4096)
            try await raw.write(frames)
        }
        var acked: UInt64 = 0
        while acked < UInt64(completePerConnection) {
            guard let method = try await raw.nextMethod() else { throw RawAMQPConnection.Failure(description: "closed") }
            if case .basicAck(let ack) = method { acked = ack.deliveryTag }
        }

        var partial = ByteBuffer()
        try partial.writePublish(channel: 1, BasicPublish(routingKey: "abrupt"), properties: BasicProperties(),
                                 body: body(connection: index, message: 99), frameMax: 4096)
        var methodFrame = ByteBuffer()
        try methodFrame.writeMethodFrame(channel: 1, BasicPublish(routingKey: "abrupt"))
        let methodEnd = methodFrame.readableBytes
        let cuts = [
            methodEnd,  // the method alone
            methodEnd + 30,  // inside the content header
            partial.readableBytes / 2,  // inside the body frames
            partial.readableBytes - 1,  // everything but the last frame-end octet
        ]
        try await raw.write(partial.getSlice(at: partial.readerIndex, length: cuts[index % cuts.count])!)
        await raw.abort(reset: index % 2 == 0)
    }

    @Test func fiftyConnectionsDroppedMidPublish() async throws {
        try await withHealthyBroker { broker, healthy in
            try await healthy.channel.queueDeclare("abrupt")
            let port = broker.amqpPort
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.connections {
                    if index >= 10 { try await group.next() }
                    group.addTask { try await Self.publishThenVanish(port: port, index: index) }
                }
                try await group.waitForAll()
            }

            // Only the healthy client stays connected once the broker has noticed the others left.
            var open = Int.max
            for _ in 0..<50 {
                open = try await broker.core.eventLoop.submit { broker.core.value.connections.count }.get()
                if open == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(open == 1, "\(open) connections still registered")

            let declared = try await healthy.channel.queueDeclare("abrupt", passive: true)
            #expect(declared.messageCount == UInt32(Self.connections * Self.completePerConnection))
            var seen = Set<String>()
            while let got = try await healthy.channel.get("abrupt", noAck: true) {
                #expect(got.message.body.readableBytes == Self.bodySize)
                let label = String(got.message.bodyString.prefix { $0 != "|" })
                #expect(!label.hasSuffix("-msg-99"), "a partial message was enqueued: \(label)")
                #expect(seen.insert(label).inserted, "\(label) twice")
                let parts = label.split(separator: "-")
                if parts.count == 4, let connection = Int(parts[1]), let message = Int(parts[3]) {
                    #expect(got.message.body == Self.body(connection: connection, message: message))
                } else {
                    Issue.record("unexpected body \(label)")
                }
            }
            #expect(seen.count == Self.connections * Self.completePerConnection)
            try await healthy.channel.queueDelete("abrupt")
        }
    }
}
