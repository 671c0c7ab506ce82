import NIOCore
import NIOTestUtils
import Testing

@testable import WarrenWire

@Suite("FrameDecoder: well-formed frames")
struct FrameDecoderTests {
    @Test func heartbeat() throws {
        let bytes: [UInt8] = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xCE]
        #expect(try encode(.heartbeat).bytes == bytes)
        var buffer = ByteBuffer()
        buffer.writeHeartbeatFrame()
        #expect(buffer.bytes == bytes)
        #expect(try decodeOne(bytes) == .heartbeat)
        #expect(Frame.heartbeat.channel == 0)
    }

    @Test func methodFrame() throws {
        let bytes = rawFrame(type: 1, channel: 0x0102, payload: [0, 60, 0, 80] + be(UInt64(42)) + [1])
        let frame = try decodeOne(bytes)
        #expect(frame == .method(channel: 0x0102, .basicAck(BasicAck(deliveryTag: 42, multiple: true))))
        #expect(frame?.channel == 0x0102)
    }

    @Test func headerFrame() throws {
        let payload: [UInt8] = [0, 60, 0, 0] + be(UInt64(3)) + [0x10, 0x00, 0x02]
        let frame = try decodeOne(rawFrame(type: 2, channel: 9, payload: payload))
        #expect(frame == .header(channel: 9, ContentHeader(bodySize: 3, properties: BasicProperties(deliveryMode: 2))))
        #expect(frame?.channel == 9)
    }

    @Test func bodyFrameIsASliceOfTheInput() throws {
        let body: [UInt8] = Array(0..<200)
        var buffer = ByteBuffer(bytes: rawFrame(type: 3, channel: 4, payload: body) + [0xEE])
        let frame = try FrameDecoder().decodeFrame(from: &buffer)
        guard case .body(let channel, let payload)? = frame else {
            Issue.record("expected a body frame, got \(String(describing: frame))")
            return
        }
        #expect(channel == 4)
        #expect(payload.bytes == body)
        #expect(buffer.bytes == [0xEE], "exactly one frame is consumed")
        // No copy: the payload points into the input buffer's storage, seven bytes in.
        let inputBase = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) } - UInt(8 + body.count)
        let payloadBase = payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress!) }
        #expect(payloadBase == inputBase + 7)
    }

    @Test func emptyBodyFrame() throws {
        #expect(try decodeOne(rawFrame(type: 3, channel: 1, payload: [])) == .body(channel: 1, ByteBuffer()))
    }

    @Test func severalFramesInOneBuffer() throws {
        var buffer = ByteBuffer()
        try buffer.writeFrame(.method(channel: 1, .basicPublish(BasicPublish(routingKey: "q"))))
        try buffer.writeFrame(.header(channel: 1, ContentHeader(bodySize: 2)))
        try buffer.writeFrame(.body(channel: 1, ByteBuffer(bytes: [1, 2])))
        buffer.writeHeartbeatFrame()
        #expect(
            try decodeAll(buffer) == [
                .method(channel: 1, .basicPublish(BasicPublish(routingKey: "q"))),
                .header(channel: 1, ContentHeader(bodySize: 2)),
                .body(channel: 1, ByteBuffer(bytes: [1, 2])),
                .heartbeat,
            ])
    }

    @Test func everyPartialFrameReturnsNilAndConsumesNothing() throws {
        var whole = ByteBuffer()
        try whole.writeFrame(.method(channel: 3, MethodSamples.all[0].make(.distinctAllSet)))
        let decoder = FrameDecoder()
        for length in 0..<whole.readableBytes {
            var partial = whole.getSlice(at: whole.readerIndex, length: length)!
            #expect(try decoder.decodeFrame(from: &partial) == nil, "\(length) bytes")
            #expect(partial.readerIndex == 0, "\(length) bytes")
            #expect(partial.readableBytes == length)
        }
        #expect(try decoder.decodeFrame(from: &whole) != nil)
        #expect(whole.readableBytes == 0)
    }

    @Test func partialFrameCompletesWhenTheRestArrives() throws {
        let bytes = rawFrame(type: 3, channel: 2, payload: Array("hello".utf8))
        var buffer = ByteBuffer(bytes: Array(bytes.prefix(9)))
        let decoder = FrameDecoder()
        #expect(try decoder.decodeFrame(from: &buffer) == nil)
        buffer.writeBytes(bytes.dropFirst(9))
        #expect(try decoder.decodeFrame(from: &buffer) == .body(channel: 2, ByteBuffer(string: "hello")))
        #expect(buffer.readableBytes == 0)
    }

    @Test func nonZeroReaderIndexIsRespected() throws {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB, 0xCC] + rawFrame(type: 3, channel: 1, payload: [7]))
        buffer.moveReaderIndex(forwardBy: 3)
        #expect(try FrameDecoder().decodeFrame(from: &buffer) == .body(channel: 1, ByteBuffer(bytes: [7])))
    }

    @Test func frameOfExactlyFrameMaxIsAccepted() throws {
        let body = [UInt8](repeating: 0x5A, count: 4096 - 8)
        let frame = try decodeOne(rawFrame(type: 3, channel: 1, payload: body), frameMax: 4096)
        #expect(frame == .body(channel: 1, ByteBuffer(bytes: body)))
    }

    @Test func frameMaxZeroMeansNoLimit() throws {
        let body = [UInt8](repeating: 1, count: 300_000)
        #expect(try decodeOne(rawFrame(type: 3, channel: 1, payload: body), frameMax: 0) == .body(channel: 1, ByteBuffer(bytes: body)))
    }

    @Test func defaultFrameMaxIsRabbitMQs() {
        #expect(FrameDecoder().frameMax == 131_072)
        #expect(FrameConstants.minimumFrameMax == 4096)
        #expect(FrameConstants.overhead == 8)
    }

    @Test func byteToMessageDecoderVerifierWithMixedFrames() throws {
        let publish = AMQPMethod.basicPublish(BasicPublish(exchange: "ex", routingKey: "rk", mandatory: true))
        let body = ByteBuffer(bytes: (0..<30).map { UInt8($0) })
        let properties = BasicProperties(contentType: "text/plain", headers: ["n": .int32(1)], deliveryMode: 2)
        let deliver = AMQPMethod.basicDeliver(
            BasicDeliver(consumerTag: "ctag", deliveryTag: 7, redelivered: true, exchange: "ex", routingKey: "rk"))

        func pair(_ frames: [Frame]) throws -> (ByteBuffer, [Frame]) {
            var buffer = ByteBuffer()
            for frame in frames { try buffer.writeFrame(frame) }
            return (buffer, frames)
        }
        let pairs = [
            try pair([.method(channel: 1, publish)]),
            try pair([.header(channel: 1, ContentHeader(bodySize: 30, properties: properties))]),
            try pair([.body(channel: 1, body.getSlice(at: 0, length: 10)!)]),
            try pair([.body(channel: 1, body.getSlice(at: 10, length: 10)!), .body(channel: 1, body.getSlice(at: 20, length: 10)!)]),
            try pair([.heartbeat]),
            try pair([.method(channel: 2, deliver), .header(channel: 2, ContentHeader(bodySize: 0))]),
            try pair([.body(channel: 3, ByteBuffer())]),
            try pair([.method(channel: 0, .connectionTune(ConnectionTune(channelMax: 2047, frameMax: 4096, heartbeat: 60)))]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder(frameMax: 4096) }
    }
}
