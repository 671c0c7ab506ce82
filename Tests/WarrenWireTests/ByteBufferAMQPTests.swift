import NIOCore
import Testing

@testable import WarrenWire

@Suite("ByteBuffer AMQP primitives")
struct ByteBufferAMQPTests {
    static let failure = AMQPWireError.malformedMethod(classID: 1, methodID: 2, reason: "test")

    @Test(arguments: ["", "a", "ünïcødé", "日本🐇", utf8String(prefix: "", byteCount: 255)])
    func shortStringRoundTrip(string: String) throws {
        var buffer = ByteBuffer()
        #expect(try buffer.writeAMQPShortString(string) == 1 + string.utf8.count)
        #expect(buffer.bytes == shortString(string))
        #expect(try buffer.readAMQPShortString(orThrow: Self.failure) == string)
        #expect(buffer.readableBytes == 0)
    }

    @Test func shortStringLengthCountsBytes() {
        var buffer = ByteBuffer()
        #expect(throws: AMQPWireError.shortStringTooLong(length: 256)) {
            try buffer.writeAMQPShortString(String(repeating: "é", count: 128))
        }
        #expect(throws: AMQPWireError.shortStringTooLong(length: 1024)) {
            try buffer.writeAMQPShortString(String(repeating: "🐇", count: 256))
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [[] as [UInt8], [3], [3, 0x61, 0x62]])
    func truncatedShortStringThrowsTheGivenErrorAndConsumesNothing(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: Self.failure) { try buffer.readAMQPShortString(orThrow: Self.failure) }
        #expect(buffer.readerIndex == 0)
    }

    @Test func longStringRoundTrip() throws {
        var buffer = ByteBuffer()
        let bytes = ByteBuffer(bytes: [0x00, 0xFF, 0xC3, 0x28])
        #expect(buffer.writeAMQPLongString(bytes) == 8)
        #expect(buffer.writeAMQPLongString("hé") == 7)
        #expect(buffer.bytes == [0, 0, 0, 4, 0x00, 0xFF, 0xC3, 0x28, 0, 0, 0, 3, 0x68, 0xC3, 0xA9])
        #expect(try buffer.readAMQPLongString(orThrow: Self.failure) == bytes)
        #expect(try buffer.readAMQPLongString(orThrow: Self.failure) == ByteBuffer(string: "hé"))
    }

    @Test func longStringLongerThan64KiB() throws {
        var buffer = ByteBuffer()
        let bytes = ByteBuffer(repeating: 0x42, count: 70_000)
        buffer.writeAMQPLongString(bytes)
        #expect(buffer.getInteger(at: 0, as: UInt32.self) == 70_000)
        #expect(try buffer.readAMQPLongString(orThrow: Self.failure) == bytes)
    }

    @Test(arguments: [[] as [UInt8], [0, 0, 0], [0, 0, 0, 2, 1], [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]])
    func truncatedLongStringThrowsTheGivenErrorAndConsumesNothing(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: Self.failure) { try buffer.readAMQPLongString(orThrow: Self.failure) }
        #expect(buffer.readerIndex == 0)
    }

    @Test func integersAreBigEndian() throws {
        var buffer = ByteBuffer(bytes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
        #expect(try buffer.readAMQPOctet(orThrow: Self.failure) == 0x01)
        #expect(try buffer.readAMQPShort(orThrow: Self.failure) == 0x0203)
        #expect(try buffer.readAMQPLong(orThrow: Self.failure) == 0x0405_0607)
        #expect(try buffer.readAMQPLongLong(orThrow: Self.failure) == 0x0809_0A0B_0C0D_0E0F)
        #expect(throws: Self.failure) { try buffer.readAMQPOctet(orThrow: Self.failure) }
    }
}
