import NIOCore
import Testing

@testable import WarrenWire

@Suite("FrameDecoder: malformed frames")
struct FrameDecoderErrorTests {
    static func decodeError(_ bytes: [UInt8], frameMax: UInt32 = FrameConstants.defaultFrameMax) -> AMQPWireError? {
        wireError { () throws(AMQPWireError) in try decodeOne(bytes, frameMax: frameMax) }
    }

    @Test(arguments: [UInt8(0x00), 0xCD, 0xCF, 0xFF, 0x0E])
    func badFrameEnd(end: UInt8) {
        let error = Self.decodeError(rawFrame(type: 3, channel: 1, payload: [1, 2, 3], end: end))
        #expect(error == .badFrameEnd(end))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText.hasPrefix("FRAME_ERROR - ") == true)
    }

    @Test func badFrameEndOnAHeartbeat() {
        #expect(Self.decodeError([8, 0, 0, 0, 0, 0, 0, 0xCD]) == .badFrameEnd(0xCD))
    }

    @Test func badFrameEndIsNotReportedBeforeTheFrameArrives() throws {
        // Without the end octet the frame is incomplete, whatever follows later.
        #expect(try decodeOne(Array(rawFrame(type: 3, channel: 1, payload: [1], end: 0).dropLast())) == nil)
    }

    @Test(arguments: [UInt32(4096), 0x20000])
    func payloadLargerThanFrameMax(frameMax: UInt32) {
        let size = frameMax + 1
        // Only the 7-byte frame header has arrived: the size alone is refused.
        let header = [3, 0, 1] + be(size)
        let error = Self.decodeError(header, frameMax: frameMax)
        #expect(error == .frameTooLarge(type: 3, size: size, maximum: frameMax - 8))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText == "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,\(size),\(frameMax - 8)}")
    }

    /// RabbitMQ's slack: payloads of frame_max - 8 (the specification's limit) up to frame_max
    /// itself are read, for every frame type; one octet more is refused.
    @Test(arguments: [FrameConstants.method, FrameConstants.header, FrameConstants.body])
    func payloadsUpToFrameMaxAreAccepted(type: UInt8) throws {
        #expect(try decodeOne([type, 0, 1] + be(UInt32(4096)), frameMax: 4096) == nil, "waits for the payload")
        #expect(Self.decodeError([type, 0, 1] + be(UInt32(4097)), frameMax: 4096)
            == .frameTooLarge(type: type, size: 4097, maximum: 4088))
    }

    @Test(arguments: [4088, 4089, 4096])
    func bodyFramesUpToFrameMaxDecode(size: Int) throws {
        let frame = try decodeOne(rawFrame(type: 3, channel: 1, payload: Array(repeating: 7, count: size)), frameMax: 4096)
        guard case .body(_, let body)? = frame else {
            Issue.record("expected a body frame, got \(String(describing: frame))")
            return
        }
        #expect(body.readableBytes == size)
    }

    @Test func hugeSizeFieldIsRefusedWithoutWaiting() {
        #expect(Self.decodeError([1, 0, 0] + be(UInt32.max)) == .frameTooLarge(type: 1, size: .max, maximum: 131_064))
    }

    @Test(arguments: [UInt8(0), 4, 5, 7, 9, 0x41, 0xFF])
    func unknownFrameType(type: UInt8) {
        let error = Self.decodeError(rawFrame(type: type, channel: 0, payload: [1, 2]))
        #expect(error == .unknownFrameType(type))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText == "FRAME_ERROR - unknown frame type \(type)")
    }

    @Test(arguments: 0..<4)
    func methodPayloadShorterThanFourBytes(length: Int) {
        let error = Self.decodeError(rawFrame(type: 1, channel: 1, payload: Array([0, 60, 0, 40].prefix(length))))
        #expect(error == .truncatedMethodFrame)
        #expect(error?.replyCode == 501)
        #expect(error?.replyText.hasPrefix("FRAME_ERROR - ") == true)
    }

    @Test func unknownClassAndMethodIds() {
        let error = Self.decodeError(rawFrame(type: 1, channel: 1, payload: [0, 60, 0, 99]))
        #expect(error == .unknownMethod(classID: 60, methodID: 99))
        #expect(error?.replyCode == 503)
        #expect(error?.replyText.hasPrefix("COMMAND_INVALID - ") == true)
    }

    @Test func truncatedMethodArguments() {
        // basic.qos without its global bit.
        let error = Self.decodeError(rawFrame(type: 1, channel: 1, payload: [0, 60, 0, 10, 0, 0, 0, 0, 0, 10]))
        #expect(error == .malformedMethod(classID: 60, methodID: 10, reason: "truncated"))
        #expect(error?.replyCode == 502)
        #expect(error?.replyText.hasPrefix("SYNTAX_ERROR - ") == true)
    }

    @Test func trailingBytesAfterMethodArguments() {
        let error = Self.decodeError(rawFrame(type: 1, channel: 1, payload: [0, 60, 0, 10, 0, 0, 0, 0, 0, 10, 0, 0xAA]))
        #expect(error == .malformedMethod(classID: 60, methodID: 10, reason: "trailing bytes"))
        #expect(error?.replyCode == 502)
    }

    @Test(arguments: [UInt16(1), 2, 0xFFFF])
    func heartbeatOnANonZeroChannel(channel: UInt16) {
        let error = Self.decodeError(rawFrame(type: 8, channel: channel, payload: []))
        #expect(error == .malformedHeartbeat(channel: channel))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText == "FRAME_ERROR - malformed heartbeat frame on channel \(channel)")
    }

    @Test func heartbeatWithAPayload() {
        #expect(Self.decodeError(rawFrame(type: 8, channel: 0, payload: [0])) == .malformedHeartbeat(channel: 0))
    }

    @Test func theMalformedFrameIsConsumedAndLaterFramesAreUntouched() throws {
        // After an error the connection closes, but the decoder must not have read past the frame.
        let bad = rawFrame(type: 1, channel: 1, payload: [0, 60, 0, 99])
        let good = rawFrame(type: 8, channel: 0, payload: [])
        var buffer = ByteBuffer(bytes: bad + good)
        #expect(throws: AMQPWireError.unknownMethod(classID: 60, methodID: 99)) {
            try FrameDecoder().decodeFrame(from: &buffer)
        }
        #expect(buffer.bytes == good)
        #expect(try FrameDecoder().decodeFrame(from: &buffer) == .heartbeat)
    }

    @Test func frameSizeErrorConsumesNothing() {
        var buffer = ByteBuffer(bytes: [3, 0, 1] + be(UInt32(5000)))
        #expect(throws: AMQPWireError.frameTooLarge(type: 3, size: 5000, maximum: 4088)) {
            try FrameDecoder(frameMax: 4096).decodeFrame(from: &buffer)
        }
        #expect(buffer.readerIndex == 0)
    }
}
