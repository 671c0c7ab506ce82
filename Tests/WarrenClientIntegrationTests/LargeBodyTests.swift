import NIOCore
import Testing
import WarrenClient

/// Bodies much larger than a frame are split into body frames and put back together byte for
/// byte, through basic.get and basic.consume, with the broker's frame size and with a tiny one.
@Suite(.enabled(if: LiveBroker.isAvailable, "needs WARREN_RABBITMQ_URL (scripts/test sets it)"))
struct LargeBodyTests {
    static let mebibyte = 1024 * 1024

    /// (URL query, expected negotiated frame_max). RabbitMQ 3.10 offers 131072 by default.
    static let frameSizes: [(query: String, frameMax: UInt32)] = [("", 131_072), ("?frame_max=4096", 4_096)]

    @Test(arguments: frameSizes, [mebibyte, mebibyte + 17])
    func bodyRoundTripsThroughGet(frameSize: (query: String, frameMax: UInt32), size: Int) async throws {
        try await LiveBroker.withChannel(frameSize.query) { connection, channel in
            #expect(connection.negotiated.frameMax == frameSize.frameMax)
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            let body = ByteBuffer.pattern(count: size, seed: UInt8(size % 256))
            try await channel.publish(body, routingKey: queue, properties: BasicProperties(messageID: "big"))
            let got = try #require(try await channel.get(queue, noAck: true))
            #expect(got.message.body.readableBytes == size)
            #expect(got.message.body == body)
            #expect(got.message.properties.messageID == "big")
        }
    }

    @Test(arguments: frameSizes)
    func bodiesRoundTripThroughConsume(frameSize: (query: String, frameMax: UInt32)) async throws {
        try await LiveBroker.withChannel(frameSize.query) { _, channel in
            let queue = try await channel.queueDeclare("", exclusive: true).queue
            // Sizes around frame boundaries, an empty body, and the two big ones, back to back so
            // their frames follow each other on the socket.
            let payload = Int(frameSize.frameMax) - 8
            let sizes = [0, 1, payload - 1, payload, payload + 1, 3 * payload, Self.mebibyte, Self.mebibyte + 17]
            let bodies = sizes.enumerated().map { ByteBuffer.pattern(count: $1, seed: UInt8($0)) }
            for body in bodies { try await channel.publish(body, routingKey: queue) }
            let consumer = try await channel.consume(queue)
            let deliveries = try await Recorder<AMQPDelivery>.recording(consumer).waitFor(count: bodies.count)
            #expect(deliveries.map(\.body.readableBytes) == sizes)
            for (delivery, body) in zip(deliveries, bodies) {
                #expect(delivery.body == body, "body of \(body.readableBytes) bytes")
            }
            try await channel.ack(deliveryTag: deliveries.last!.deliveryTag, multiple: true)
        }
    }

    @Test func concurrentLargePublishersOnOneConnection() async throws {
        try await LiveBroker.withConnection("?frame_max=4096") { connection in
            let queue = try await connection.openChannel().queueDeclare("", exclusive: true).queue
            // Four channels publishing big bodies at once: their body frames interleave on the
            // socket, and each message must still arrive whole.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<4 {
                    group.addTask {
                        let channel = try await connection.openChannel()
                        for i in 0..<3 {
                            try await channel.publish(ByteBuffer.pattern(count: 300_000 + n * 1_000 + i, seed: UInt8(n)),
                                                      routingKey: queue)
                        }
                        try await channel.close()
                    }
                }
                try await group.waitForAll()
            }
            let reader = try await connection.openChannel()
            var seen = 0
            while let got = try await reader.get(queue, noAck: true) {
                let size = got.message.body.readableBytes
                let n = (size - 300_000) / 1_000
                #expect(got.message.body == ByteBuffer.pattern(count: size, seed: UInt8(n)))
                seen += 1
            }
            #expect(seen == 12)
        }
    }
}
