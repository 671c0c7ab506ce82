import NIOCore
import NIOPosix
import Testing
import WarrenBroker
import WarrenClient
import WarrenWire

/// Collects everything the broker sends until it closes the socket.
private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: EventLoopPromise<ByteBuffer>
    private let buffer: NIOLoopBoundBox<ByteBuffer>

    init(eventLoop: any EventLoop) {
        received = eventLoop.makePromise()
        buffer = NIOLoopBoundBox.makeBoxSendingValue(ByteBuffer(), eventLoop: eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.value.writeBuffer(&incoming)
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.succeed(buffer.value)
    }
}

/// Malformed input closes the offending connection with the right reply code while the broker
/// keeps serving a healthy client connected at the same time.
@Suite struct RobustnessTests {
    /// Sends `bytes` on a raw socket and returns what the broker answered before closing it.
    static func send(_ bytes: ByteBuffer, port: Int) async throws -> ByteBuffer {
        let group = MultiThreadedEventLoopGroup.singleton
        let eventLoop = group.next()
        let collector = Collector(eventLoop: eventLoop)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelInitializer { $0.pipeline.addHandler(collector) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(bytes)
        let timeout = eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { timeout.cancel() }
        return try await collector.received.futureResult.get()
    }

    /// The protocol header and a complete login, pipelined, then `tail`.
    static func loggedIn(then tail: (inout ByteBuffer) throws -> Void) throws -> ByteBuffer {
        var bytes = ByteBuffer(bytes: ProtocolHeader.bytes)
        var response = ByteBuffer(bytes: [0])
        response.writeString("guest")
        response.writeInteger(UInt8(0))
        response.writeString("guest")
        let capabilities: FieldTable = ["capabilities": .table(["authentication_failure_close": true])]
        try bytes.writeFrame(.method(channel: 0, ConnectionStartOk(clientProperties: capabilities, response: response).method))
        try bytes.writeFrame(.method(channel: 0, ConnectionTuneOk(channelMax: 10, frameMax: 131_072, heartbeat: 0).method))
        try bytes.writeFrame(.method(channel: 0, ConnectionOpen(virtualHost: "/").method))
        try tail(&bytes)
        return bytes
    }

    /// The reply code of the connection.close the broker sent, if any.
    static func closeCode(in answer: ByteBuffer) -> UInt16? {
        var answer = answer
        let decoder = FrameDecoder(frameMax: 0)
        var code: UInt16?
        while let frame = try? decoder.decodeFrame(from: &answer) {
            if case .method(0, .connectionClose(let close)) = frame { code = close.replyCode }
        }
        return code
    }

    static func withBrokerAndHealthyClient(_ body: (Int) async throws -> Void) async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0))
        let healthy = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await healthy.openChannel()
        let queue = try await channel.queueDeclare("", exclusive: true).queue
        try await body(broker.amqpPort)
        try await channel.publish(ByteBuffer(string: "still here"), routingKey: queue)
        #expect(try await channel.get(queue, noAck: true)?.message.bodyString == "still here")
        try await healthy.close()
        try await broker.shutdown()
    }

    @Test(arguments: ["GET / HTTP/1.1\r\n\r\n", "AMQP\u{0}\u{0}\u{9}\u{0}", "\u{1}\u{2}\u{3}garbage!!"])
    func aBadProtocolHeaderGetsTheRightHeaderBack(_ garbage: String) async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let answer = try await Self.send(ByteBuffer(string: garbage), port: port)
            #expect(Array(answer.readableBytesView) == ProtocolHeader.bytes)
        }
    }

    @Test func anOversizedFrameIsAFrameError() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                bytes.writeMultipleIntegers(UInt8(1), UInt16(0), UInt32(200_000))
                bytes.writeBytes([UInt8](repeating: 0, count: 16))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 501)
        }
    }

    @Test func aBadFrameEndIsAFrameError() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                bytes.writeMultipleIntegers(UInt8(8), UInt16(0), UInt32(0), UInt8(0x00))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 501)
        }
    }

    @Test func aBodyWithoutHeaderIsAnUnexpectedFrame() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                try bytes.writeFrame(.method(channel: 1, ChannelOpen().method))
                try bytes.writeFrame(.body(channel: 1, ByteBuffer(string: "orphan")))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 505)
        }
    }

    @Test func aMethodOnAnUnopenedChannelIsAChannelError() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                try bytes.writeFrame(.method(channel: 3, QueueDeclare(queue: "x").method))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 504)
        }
    }

    @Test func anUnknownMethodIsRefused() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                bytes.writeMultipleIntegers(UInt8(1), UInt16(0), UInt32(4), UInt16(99), UInt16(1), UInt8(0xCE))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 503)
        }
    }

    @Test func aTruncatedMethodIsASyntaxError() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            let bytes = try Self.loggedIn { bytes in
                try bytes.writeFrame(.method(channel: 1, ChannelOpen().method))
                // queue.declare with its arguments cut short.
                bytes.writeMultipleIntegers(UInt8(1), UInt16(1), UInt32(7), UInt16(50), UInt16(10), UInt16(0), UInt8(5))
                bytes.writeInteger(UInt8(0xCE))
            }
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 502)
        }
    }

    @Test func aTooSmallFrameMaxIsNotAllowed() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            var bytes = ByteBuffer(bytes: ProtocolHeader.bytes)
            var response = ByteBuffer(bytes: [0])
            response.writeString("guest")
            response.writeInteger(UInt8(0))
            response.writeString("guest")
            try bytes.writeFrame(.method(channel: 0, ConnectionStartOk(clientProperties: [:], response: response).method))
            try bytes.writeFrame(.method(channel: 0, ConnectionTuneOk(channelMax: 10, frameMax: 1024, heartbeat: 0).method))
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 530)
        }
    }

    @Test func aWrongPasswordIsRefusedWith403() async throws {
        try await Self.withBrokerAndHealthyClient { port in
            var bytes = ByteBuffer(bytes: ProtocolHeader.bytes)
            var response = ByteBuffer(bytes: [0])
            response.writeString("guest")
            response.writeInteger(UInt8(0))
            response.writeString("wrong")
            let capabilities: FieldTable = ["capabilities": .table(["authentication_failure_close": true])]
            try bytes.writeFrame(.method(channel: 0, ConnectionStartOk(clientProperties: capabilities, response: response).method))
            #expect(Self.closeCode(in: try await Self.send(bytes, port: port)) == 403)
        }
    }

    @Test func anOversizedMessageClosesOnlyItsChannel() async throws {
        let broker = try await Broker.start(BrokerConfiguration(amqpPort: 0, maximumMessageSize: 1024))
        let connection = try await AMQPConnection.connect(to: "amqp://guest:guest@127.0.0.1:\(broker.amqpPort)/")
        let channel = try await connection.openChannel()
        try await channel.publish(ByteBuffer(repeating: 1, count: 2048), routingKey: "anywhere")
        await #expect(throws: AMQPClientError.self) { try await channel.queueDeclare("", exclusive: true) }
        guard case .channelClosedByServer(let reason)? = channel.closedError else {
            Issue.record("expected a channel error, got \(String(describing: channel.closedError))")
            return
        }
        #expect(reason.replyCode == 406)
        #expect(reason.replyText == "PRECONDITION_FAILED - message size 2048 is larger than configured max size 1024")
        let other = try await connection.openChannel()
        try await other.queueDeclare("", exclusive: true)
        try await connection.close()
        try await broker.shutdown()
    }
}
