import NIOCore
import Testing
import WarrenBroker
import WarrenWire

/// Malformed frames after a correct handshake: each is a hard error, so the broker closes the
/// connection with connection.close and the reply code RabbitMQ uses, then drops the socket. The
/// healthy client next to it carries on.
@Suite struct FrameErrorTests {
    /// Opens a raw connection with channel 1, sends `bytes`, and returns the connection.close.
    private func closeAfter(
        frameMax: UInt32? = nil, openChannel: Bool = true, _ bytes: ByteBuffer
    ) async throws -> ConnectionClose? {
        var result: ConnectionClose?
        try await withHealthyBroker { broker, _ in
            let raw = try await RawAMQPConnection.open(port: broker.amqpPort, frameMax: frameMax)
            if openChannel { try await raw.openChannel(1) }
            try await raw.write(bytes)
            result = try await raw.expectConnectionClose()
            #expect(try await raw.isClosed)
        }
        return result
    }

    private static func methodPayload(classID: UInt16, methodID: UInt16, arguments: [UInt8] = []) -> [UInt8] {
        [UInt8(classID >> 8), UInt8(classID & 0xFF), UInt8(methodID >> 8), UInt8(methodID & 0xFF)] + arguments
    }

    /// A queue.declare frame's payload: class, method, ticket, "q", flags, empty table.
    private static let queueDeclarePayload = methodPayload(
        classID: 50, methodID: 10, arguments: [0, 0, 1, UInt8(ascii: "q"), 0, 0, 0, 0, 0])

    @Test func frameLargerThanNegotiatedFrameMax() async throws {
        // frame_max 4096 is negotiated, so a 5000-byte payload (5008 with overhead) is too large.
        let frame = RawAMQPConnection.frame(type: FrameConstants.method, channel: 1,
                                            payload: Self.queueDeclarePayload + [UInt8](repeating: 0, count: 4991))
        let close = try #require(try await closeAfter(frameMax: 4096, frame))
        #expect(close.replyCode == 501)
        #expect(close.replyText.hasPrefix("FRAME_ERROR - "))
    }

    /// The size field alone must be enough: the broker may not wait for 2 GB to arrive.
    @Test func frameSizeFieldFarAboveFrameMax() async throws {
        var header = ByteBuffer()
        header.writeInteger(FrameConstants.method)
        header.writeInteger(UInt16(1))
        header.writeInteger(UInt32(0x7FFF_FFFF))
        let close = try #require(try await closeAfter(header))
        #expect(close.replyCode == 501)
    }

    @Test func badFrameEnd() async throws {
        let frame = RawAMQPConnection.frame(type: FrameConstants.method, channel: 1, payload: Self.queueDeclarePayload,
                                            end: 0x00)
        let close = try #require(try await closeAfter(frame))
        #expect(close.replyCode == 501)
        #expect(close.replyCode == AMQPWireError.badFrameEnd(0).replyCode)
        #expect(close.replyText.hasPrefix("FRAME_ERROR - "))
    }

    @Test func unknownFrameType() async throws {
        let close = try #require(try await closeAfter(RawAMQPConnection.frame(type: 9, channel: 0, payload: [])))
        #expect(close.replyCode == 501)
        #expect(close.replyCode == AMQPWireError.unknownFrameType(9).replyCode)
    }

    @Test func heartbeatOnAChannelOtherThanZero() async throws {
        let close = try #require(try await closeAfter(
            RawAMQPConnection.frame(type: FrameConstants.heartbeat, channel: 1, payload: [])))
        #expect(close.replyCode == 501)
    }

    /// RabbitMQ's codes for undecodable methods follow AMQPWireError.replyCode: 503 COMMAND_INVALID.
    @Test(arguments: [(UInt16(99), UInt16(1)), (50, 99), (0, 0)])
    func unknownClassOrMethod(classID: UInt16, methodID: UInt16) async throws {
        let frame = RawAMQPConnection.frame(
            type: FrameConstants.method, channel: 1, payload: Self.methodPayload(classID: classID, methodID: methodID))
        let close = try #require(try await closeAfter(frame))
        #expect(close.replyCode == 503)
        #expect(close.replyCode == AMQPWireError.unknownMethod(classID: classID, methodID: methodID).replyCode)
        #expect(close.replyText.hasPrefix("COMMAND_INVALID - "))
    }

    @Test func methodFrameTooShortForItsIDs() async throws {
        let frame = RawAMQPConnection.frame(type: FrameConstants.method, channel: 1, payload: [0, 50])
        let close = try #require(try await closeAfter(frame))
        #expect(close.replyCode == AMQPWireError.truncatedMethodFrame.replyCode)
    }

    /// queue.declare cut inside the queue name: 502 SYNTAX_ERROR.
    @Test func truncatedQueueDeclare() async throws {
        let payload = Self.methodPayload(classID: 50, methodID: 10, arguments: [0, 0, 5, UInt8(ascii: "a")])
        let close = try #require(try await closeAfter(
            RawAMQPConnection.frame(type: FrameConstants.method, channel: 1, payload: payload)))
        #expect(close.replyCode == 502)
        #expect(close.replyCode == AMQPWireError.malformedMethod(classID: 50, methodID: 10, reason: "").replyCode)
        #expect(close.replyText.hasPrefix("SYNTAX_ERROR - "))
    }

    /// queue.declare whose arguments table claims more bytes than the frame has.
    @Test func queueDeclareWithOverlongTable() async throws {
        let payload = Self.methodPayload(classID: 50, methodID: 10,
                                         arguments: [0, 0, 1, UInt8(ascii: "q"), 0, 0, 0, 0, 200, 1])
        let close = try #require(try await closeAfter(
            RawAMQPConnection.frame(type: FrameConstants.method, channel: 1, payload: payload)))
        #expect(close.replyCode == 502)
    }

    @Test func bodyWithoutPublishOrHeader() async throws {
        let frame = RawAMQPConnection.frame(type: FrameConstants.body, channel: 1, payload: Array("stray".utf8))
        let close = try #require(try await closeAfter(frame))
        #expect(close.replyCode == 505)
        #expect(close.replyText.hasPrefix("UNEXPECTED_FRAME - "))
    }

    @Test func headerWithoutMethod() async throws {
        var frame = ByteBuffer()
        try frame.writeFrame(.header(channel: 1, ContentHeader(bodySize: 5)))
        let close = try #require(try await closeAfter(frame))
        #expect(close.replyCode == 505)
        #expect(close.replyText.hasPrefix("UNEXPECTED_FRAME - "))
    }

    /// basic.publish, then another method before the content header.
    @Test func methodInsteadOfContentHeader() async throws {
        var frames = ByteBuffer()
        try frames.writeMethodFrame(channel: 1, BasicPublish(routingKey: "q"))
        try frames.writeMethodFrame(channel: 1, QueueDeclare(queue: "q"))
        let close = try #require(try await closeAfter(frames))
        #expect(close.replyCode == 505)
    }

    /// A body longer than its content header announced.
    @Test func bodyLongerThanAnnounced() async throws {
        var frames = ByteBuffer()
        try frames.writeMethodFrame(channel: 1, BasicPublish(routingKey: "q"))
        try frames.writeFrame(.header(channel: 1, ContentHeader(bodySize: 3)))
        try frames.writeFrame(.body(channel: 1, ByteBuffer(string: "too long")))
        let close = try #require(try await closeAfter(frames))
        #expect(close.replyCode == 505)
    }
}
