import NIOCore
import Testing

@testable import WarrenWire

@Suite("Frame encoding")
struct FrameEncodingTests {
    static func body(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    }

    static func bodyFrameSizes(_ frames: [Frame]) -> [Int] {
        frames.compactMap { if case .body(_, let bytes) = $0 { return bytes.readableBytes } else { return nil } }
    }

    static func joinedBodies(_ frames: [Frame]) -> ByteBuffer {
        var joined = ByteBuffer()
        for case .body(_, let bytes) in frames { joined.writeImmutableBuffer(bytes) }
        return joined
    }

    @Test func bodyFrameExactBytes() throws {
        #expect(try encode(.body(channel: 0x0A0B, ByteBuffer(bytes: [0xCE, 0x00]))).bytes == [3, 0x0A, 0x0B, 0, 0, 0, 2, 0xCE, 0x00, 0xCE])
    }

    @Test func writeContentSplitsTheBodyAtFrameMaxMinus8() throws {
        let body = Self.body(10_000)
        var buffer = ByteBuffer()
        try buffer.writeContent(channel: 5, properties: BasicProperties(deliveryMode: 2), body: body, frameMax: 4096)
        let frames = try decodeAll(buffer, frameMax: 4096)
        #expect(frames.count == 4)
        #expect(frames.first == .header(channel: 5, ContentHeader(bodySize: 10_000, properties: BasicProperties(deliveryMode: 2))))
        #expect(Self.bodyFrameSizes(frames) == [4088, 4088, 1824])
        #expect(frames.allSatisfy { $0.channel == 5 })
        #expect(Self.joinedBodies(frames) == body)
    }

    @Test(arguments: [
        (4088, [4088]), (4089, [4088, 1]), (8176, [4088, 4088]), (8177, [4088, 4088, 1]), (1, [1]),
    ])
    func writeContentFrameBoundaries(bodySize: Int, sizes: [Int]) throws {
        var buffer = ByteBuffer()
        try buffer.writeContent(channel: 1, properties: BasicProperties(), body: Self.body(bodySize), frameMax: 4096)
        let frames = try decodeAll(buffer, frameMax: 4096)
        #expect(Self.bodyFrameSizes(frames) == sizes)
        #expect(Self.joinedBodies(frames) == Self.body(bodySize))
    }

    @Test func writeContentWithFrameMaxZeroUsesOneBodyFrame() throws {
        var buffer = ByteBuffer()
        try buffer.writeContent(channel: 1, properties: BasicProperties(), body: Self.body(200_000), frameMax: 0)
        #expect(Self.bodyFrameSizes(try decodeAll(buffer, frameMax: 0)) == [200_000])
    }

    @Test func emptyBodyIsAHeaderOnly() throws {
        var buffer = ByteBuffer()
        try buffer.writeContent(channel: 2, properties: BasicProperties(contentType: "x"), body: ByteBuffer(), frameMax: 4096)
        #expect(try decodeAll(buffer) == [.header(channel: 2, ContentHeader(bodySize: 0, properties: BasicProperties(contentType: "x")))])
    }

    @Test func writeContentWithAnotherClassID() throws {
        var buffer = ByteBuffer()
        try buffer.writeContent(channel: 1, classID: 70, properties: BasicProperties(), body: Self.body(3), frameMax: 4096)
        #expect(try decodeAll(buffer).first == .header(channel: 1, ContentHeader(classID: 70, bodySize: 3)))
    }

    @Test func writeContentMatchesWriteFrame() throws {
        let properties = BasicProperties(contentType: "text/plain", priority: 9)
        var viaContent = ByteBuffer()
        try viaContent.writeContent(channel: 3, properties: properties, body: Self.body(5000), frameMax: 4096)
        var viaFrames = ByteBuffer()
        try viaFrames.writeFrame(.header(channel: 3, ContentHeader(bodySize: 5000, properties: properties)))
        try viaFrames.writeFrame(.body(channel: 3, Self.body(5000).getSlice(at: 0, length: 4088)!))
        try viaFrames.writeFrame(.body(channel: 3, Self.body(5000).getSlice(at: 4088, length: 912)!))
        #expect(viaContent == viaFrames)
    }

    @Test func writePublishDecodesToMethodHeaderAndBodies() throws {
        let publish = BasicPublish(exchange: "amq.topic", routingKey: "a.b.c", mandatory: true)
        let properties = BasicProperties(contentType: "application/octet-stream", headers: ["x": .int64(1)], deliveryMode: 2)
        let body = Self.body(9000)
        var buffer = ByteBuffer()
        try buffer.writePublish(channel: 11, publish, properties: properties, body: body, frameMax: 4096)
        let frames = try decodeAll(buffer, frameMax: 4096)
        #expect(frames.count == 5)
        #expect(frames[0] == .method(channel: 11, .basicPublish(publish)))
        #expect(frames[1] == .header(channel: 11, ContentHeader(bodySize: 9000, properties: properties)))
        #expect(Self.bodyFrameSizes(frames) == [4088, 4088, 824])
        #expect(Self.joinedBodies(frames) == body)

        var assembler = CommandAssembler()
        let commands = try frames.compactMap { frame throws(AMQPWireError) in try assembler.assemble(frame) }
        #expect(commands == [Command(channel: 11, method: .basicPublish(publish), header: ContentHeader(bodySize: 9000, properties: properties), body: body)])
    }

    @Test func writePublishWithAnEmptyBody() throws {
        var buffer = ByteBuffer()
        try buffer.writePublish(channel: 1, BasicPublish(routingKey: "q"), properties: BasicProperties(), body: ByteBuffer(), frameMax: 4096)
        #expect(try decodeAll(buffer) == [.method(channel: 1, .basicPublish(BasicPublish(routingKey: "q"))), .header(channel: 1, ContentHeader(bodySize: 0))])
    }

    /// A sender stays within the specification: a content header frame may carry frame_max - 8
    /// octets of payload, not the frame_max that brokers accept; nothing is written beyond it.
    @Test func writePublishRefusesAContentHeaderBeyondFrameMaxMinus8() throws {
        // 12 octets of class, weight and size, 2 of flags, 4 of table length, "h" (2), "S" (1), 4 of string length.
        func properties(headerPayload: Int) -> BasicProperties {
            BasicProperties(headers: ["h": .string(String(repeating: "x", count: headerPayload - 25))])
        }
        var fits = ByteBuffer()
        try fits.writePublish(channel: 1, BasicPublish(routingKey: "q"), properties: properties(headerPayload: 4088),
                              body: Self.body(1), frameMax: 4096)
        #expect(try decodeAll(fits, frameMax: 4096).count == 3)
        var refused = ByteBuffer(bytes: [0xAA])
        let error = wireError { () throws(AMQPWireError) in
            try refused.writePublish(channel: 1, BasicPublish(routingKey: "q"), properties: properties(headerPayload: 4089),
                                     body: Self.body(1), frameMax: 4096)
        }
        #expect(error == .frameTooLarge(type: FrameConstants.header, size: 4089, maximum: 4088))
        #expect(refused.bytes == [0xAA])
    }

    // MARK: Short strings over 255 bytes

    static let tooLong = String(repeating: "a", count: 256)
    /// 128 two-byte characters: 128 characters but 256 bytes.
    static let tooLongInBytes = String(repeating: "é", count: 128)

    /// Runs a write that must fail with `.shortStringTooLong` and leave the buffer as it was.
    static func expectRefusedUntouched(
        length: Int = 256, sourceLocation: SourceLocation = #_sourceLocation,
        _ write: (inout ByteBuffer) throws(AMQPWireError) -> Void
    ) {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB, 0xCC])  // something written earlier
        let writerIndex = buffer.writerIndex
        let error = wireError(sourceLocation: sourceLocation) { () throws(AMQPWireError) in try write(&buffer) }
        #expect(error == .shortStringTooLong(length: length), sourceLocation: sourceLocation)
        #expect(error?.replyCode == 502, sourceLocation: sourceLocation)
        #expect(buffer.writerIndex == writerIndex, "writerIndex moved", sourceLocation: sourceLocation)
        #expect(buffer.bytes == [0xAA, 0xBB, 0xCC], sourceLocation: sourceLocation)
    }

    @Test func shortStringPrimitive() throws {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in try buffer.writeAMQPShortString(Self.tooLong) }
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in try buffer.writeAMQPShortString(Self.tooLongInBytes) }
        var buffer = ByteBuffer()
        #expect(try buffer.writeAMQPShortString(String(repeating: "é", count: 127) + "a") == 256)
        #expect(buffer.readableBytes == 256)
        #expect(buffer.getInteger(at: 0, as: UInt8.self) == 255)
    }

    @Test func writeFrameMethod() {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeFrame(.method(channel: 1, .exchangeDeclare(ExchangeDeclare(exchange: Self.tooLong))))
        }
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeFrame(.method(channel: 1, .basicPublish(BasicPublish(exchange: "x", routingKey: Self.tooLongInBytes))))
        }
    }

    @Test func writeFrameMethodWithATooLongTableKey() {
        let arguments = FieldTable([("ok", .void), (Self.tooLong, .void)])
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeFrame(.method(channel: 1, .queueDeclare(QueueDeclare(queue: "q", arguments: arguments))))
        }
    }

    @Test func writeFrameHeader() {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeFrame(.header(channel: 1, ContentHeader(bodySize: 1, properties: BasicProperties(contentType: "a", replyTo: Self.tooLong))))
        }
    }

    @Test func writeMethodFrame() {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeMethodFrame(channel: 1, BasicConsume(queue: "q", consumerTag: Self.tooLong))
        }
    }

    @Test func writeContent() {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writeContent(channel: 1, properties: BasicProperties(messageID: Self.tooLongInBytes), body: Self.body(10), frameMax: 4096)
        }
    }

    @Test func writePublish() {
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writePublish(channel: 1, BasicPublish(routingKey: Self.tooLong), properties: BasicProperties(), body: Self.body(10), frameMax: 4096)
        }
        Self.expectRefusedUntouched { buffer throws(AMQPWireError) in
            try buffer.writePublish(channel: 1, BasicPublish(routingKey: "q"), properties: BasicProperties(type: Self.tooLong), body: Self.body(10), frameMax: 4096)
        }
    }

    @Test func a255ByteShortStringIsAccepted() throws {
        let name = utf8String(prefix: "q", byteCount: 255)
        let frame = Frame.method(channel: 1, .queueDeclare(QueueDeclare(queue: name)))
        #expect(try decodeAll(try encode(frame)) == [frame])
    }
}
