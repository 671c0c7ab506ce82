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
    func payloadLargerThanFrameMaxMinus8(frameMax: UInt32) {
        let size = frameMax - 7
        // Only the 7-byte frame header has arrived: the size alone is refused.
        let header = [3, 0, 1] + be(size)
        let error = Self.decodeError(header, frameMax: frameMax)
        #expect(error == .frameTooLarge(size: size, maximum: frameMax - 8))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText.hasPrefix("FRAME_ERROR - frame size \(size) is larger") == true)
    }

    @Test func payloadOfExactlyFrameMaxMinus8IsAccepted() throws {
        #expect(try decodeOne([3, 0, 1] + be(UInt32(4088)), frameMax: 4096) == nil, "waits for the payload")
        let frame = try decodeOne(rawFrame(type: 3, channel: 1, payload: Array(repeating: 0, count: 4088)), frameMax: 4096)
        #expect(frame != nil)
        #expect(Self.decodeError(rawFrame(type: 3, channel: 1, payload: Array(repeating: 0, count: 4089)), frameMax: 4096)
            == .frameTooLarge(size: 4089, maximum: 4088))
    }

    @Test func hugeSizeFieldIsRefusedWithoutWaiting() {
        #expect(Self.decodeError([1, 0, 0] + be(UInt32.max)) == .frameTooLarge(size: .max, maximum: 131_064))
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
        #expect(throws: AMQPWireError.frameTooLarge(size: 5000, maximum: 4088)) {
            try FrameDecoder(frameMax: 4096).decodeFrame(from: &buffer)
        }
        #expect(buffer.readerIndex == 0)
    }
}
