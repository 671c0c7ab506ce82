import NIOCore
import Testing

@testable import WarrenWire

@Suite("ContentHeader")
struct ContentHeaderTests {
    /// Class 60, weight 0, body size 5, then `rest` (flag words and properties).
    static func headerPayload(_ rest: [UInt8], bodySize: UInt64 = 5) -> [UInt8] {
        [0, 60, 0, 0] + be(bodySize) + rest
    }

    static func decode(_ payload: [UInt8]) throws(AMQPWireError) -> ContentHeader {
        var buffer = ByteBuffer(bytes: payload)
        return try ContentHeader.decode(from: &buffer)
    }

    @Test func headerFrameExactBytes() throws {
        let header = ContentHeader(bodySize: 5, properties: BasicProperties(contentType: "a", deliveryMode: 2))
        #expect(
            try encode(.header(channel: 1, header)).bytes
                == [0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11]
                + [0x00, 0x3C, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 5, 0x90, 0x00, 0x01, 0x61, 0x02, 0xCE])
    }

    @Test func classWeightAndBodySizeRoundTrip() throws {
        let header = ContentHeader(classID: 0xABCD, weight: 0x1234, bodySize: 0xFEDC_BA98_7654_3210)
        var buffer = ByteBuffer()
        try header.encode(into: &buffer)
        #expect(buffer.bytes == [0xAB, 0xCD, 0x12, 0x34, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10, 0, 0])
        #expect(try ContentHeader.decode(from: &buffer) == header)
    }

    @Test func continuationFlagWordIsAccepted() throws {
        // content-type flag plus bit 0 (another word follows), then an all-zero word.
        let header = try Self.decode(Self.headerPayload([0x80, 0x01, 0x00, 0x00] + shortString("text/plain")))
        #expect(header == ContentHeader(bodySize: 5, properties: BasicProperties(contentType: "text/plain")))
    }

    @Test func severalContinuationWords() throws {
        let header = try Self.decode(Self.headerPayload([0x10, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01]))
        #expect(header.properties == BasicProperties(deliveryMode: 1))
    }

    @Test func continuationWithNoPropertiesInTheFirstWord() throws {
        #expect(try Self.decode(Self.headerPayload([0x00, 0x01, 0x00, 0x00])).properties == BasicProperties())
    }

    @Test(arguments: [
        [0x00, 0x02] as [UInt8],  // bit 1: a fifteenth property
        [0x80, 0x03],  // bit 1 with a continuation
        [0x00, 0x01, 0x80, 0x00],  // a property in the second word
        [0x00, 0x01, 0x00, 0x02],
        [0x00, 0x01, 0x00, 0x01, 0x40, 0x00],  // in the third word
    ])
    func unknownPropertyBitsAreRefused(flags: [UInt8]) {
        let error = wireError { () throws(AMQPWireError) in try Self.decode(Self.headerPayload(flags + [1, 0x61])) }
        #expect(error == .malformedContentHeader(reason: "unknown property flags"))
        #expect(error?.replyCode == 501)
    }

    @Test(arguments: [
        [] as [UInt8],  // no flag word
        [0x80],  // half a flag word
        [0x80, 0x01],  // continuation announced, missing
        [0x80, 0x01, 0x00],
    ])
    func truncatedFlagWords(flags: [UInt8]) {
        #expect(throws: AMQPWireError.malformedContentHeader(reason: "truncated property flags")) {
            try Self.decode(Self.headerPayload(flags))
        }
    }

    @Test(arguments: 0..<12)
    func truncatedFixedPart(length: Int) {
        #expect(throws: AMQPWireError.malformedContentHeader(reason: "truncated header")) {
            try Self.decode(Array(Self.headerPayload([0, 0]).prefix(length)))
        }
    }

    @Test(arguments: [
        [0x80, 0x00] as [UInt8],  // content-type announced, absent
        [0x80, 0x00, 0x05, 0x61],  // content-type shorter than its length
        [0x00, 0x40, 0, 0, 0, 0],  // timestamp cut short
        [0x08, 0x00],  // priority absent
    ])
    func truncatedProperties(bytes: [UInt8]) {
        #expect(throws: AMQPWireError.malformedContentHeader(reason: "truncated properties")) {
            try Self.decode(Self.headerPayload(bytes))
        }
    }

    @Test func truncatedHeadersTableIsAFieldTableError() {
        let error = wireError { () throws(AMQPWireError) in try Self.decode(Self.headerPayload([0x20, 0x00, 0, 0, 0, 9, 1])) }
        guard case .malformedFieldTable? = error else {
            Issue.record("expected malformedFieldTable, got \(String(describing: error))")
            return
        }
    }

    @Test func trailingBytesAreRefused() {
        #expect(throws: AMQPWireError.malformedContentHeader(reason: "2 trailing bytes")) {
            try Self.decode(Self.headerPayload([0x10, 0x00, 0x02, 0xAA, 0xBB]))
        }
    }

    @Test func malformedHeaderFrameThroughTheFrameDecoder() {
        let error = wireError { () throws(AMQPWireError) in try decodeOne(rawFrame(type: 2, channel: 1, payload: [0, 60, 0])) }
        #expect(error == .malformedContentHeader(reason: "truncated header"))
        #expect(error?.replyCode == 501)
        #expect(error?.replyText.hasPrefix("FRAME_ERROR - cannot decode content header") == true)
    }
}
