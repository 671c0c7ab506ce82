import NIOCore
import Testing

@testable import WarrenWire

@Suite("Generated BasicProperties")
struct BasicPropertiesTests {
    static let headers: FieldTable = [
        "x-death": [.table(["count": .int64(3), "reason": "expired"])],
        "ünï": .string("çødé"),
        "x-delay": .int32(-1),
    ]

    static let everything = BasicProperties(
        contentType: "application/json; charset=utf-8",
        contentEncoding: "gzip",
        headers: headers,
        deliveryMode: 2,
        priority: 255,
        correlationID: "corr-日本",
        replyTo: "amq.rabbitmq.reply-to.g1h2",
        expiration: "60000",
        messageID: utf8String(prefix: "id-", byteCount: 255),
        timestamp: .max,
        type: "order.created",
        userID: "guest",
        appID: "warren-tests",
        clusterID: "🐇-cluster")

    /// One setter per property, in spec order (bit 15 down to bit 2 of the flag word).
    static let setters: [@Sendable (inout BasicProperties) -> Void] = [
        { $0.contentType = everything.contentType },
        { $0.contentEncoding = everything.contentEncoding },
        { $0.headers = everything.headers },
        { $0.deliveryMode = everything.deliveryMode },
        { $0.priority = everything.priority },
        { $0.correlationID = everything.correlationID },
        { $0.replyTo = everything.replyTo },
        { $0.expiration = everything.expiration },
        { $0.messageID = everything.messageID },
        { $0.timestamp = everything.timestamp },
        { $0.type = everything.type },
        { $0.userID = everything.userID },
        { $0.appID = everything.appID },
        { $0.clusterID = everything.clusterID },
    ]

    static func flagWord(of properties: BasicProperties) throws -> UInt16 {
        var buffer = ByteBuffer()
        try properties.encode(into: &buffer)
        return buffer.getInteger(at: 0, as: UInt16.self)!
    }

    static func roundTrip(_ properties: BasicProperties, bodySize: UInt64 = 0) throws -> Frame? {
        try decodeOne(try encode(.header(channel: 5, ContentHeader(bodySize: bodySize, properties: properties))).bytes)
    }

    @Test func allFourteenPropertiesRoundTrip() throws {
        #expect(try Self.flagWord(of: Self.everything) == 0xFFFC)
        let header = ContentHeader(bodySize: .max, properties: Self.everything)
        #expect(try Self.roundTrip(Self.everything, bodySize: .max) == .header(channel: 5, header))
    }

    @Test func everySetterSetsADifferentProperty() {
        #expect(Self.setters.count == 14)
        var properties = BasicProperties()
        for set in Self.setters { set(&properties) }
        #expect(properties == Self.everything)
    }

    @Test(arguments: 0..<14)
    func eachPropertyAloneUsesFlagBit15MinusIndex(index: Int) throws {
        var properties = BasicProperties()
        Self.setters[index](&properties)
        #expect(properties != BasicProperties())
        #expect(try Self.flagWord(of: properties) == UInt16(1) << (15 - index))
        #expect(try Self.roundTrip(properties, bodySize: 1) == .header(channel: 5, ContentHeader(bodySize: 1, properties: properties)))
    }

    @Test(arguments: 0..<14)
    func everyPropertyButOne(index: Int) throws {
        var properties = BasicProperties()
        for (i, set) in Self.setters.enumerated() where i != index { set(&properties) }
        #expect(try Self.flagWord(of: properties) == 0xFFFC & ~(UInt16(1) << (15 - index)))
        #expect(try Self.roundTrip(properties) == .header(channel: 5, ContentHeader(bodySize: 0, properties: properties)))
    }

    @Test func noPropertiesIsAZeroFlagWordAndNothingElse() throws {
        var buffer = ByteBuffer()
        try BasicProperties().encode(into: &buffer)
        #expect(buffer.bytes == [0x00, 0x00])
        #expect(try Self.roundTrip(BasicProperties()) == .header(channel: 5, ContentHeader(bodySize: 0)))
    }

    @Test func contentTypeAndDeliveryModeBytes() throws {
        var buffer = ByteBuffer()
        try BasicProperties(contentType: "a", deliveryMode: 2).encode(into: &buffer)
        #expect(buffer.bytes == [0x90, 0x00, 0x01, 0x61, 0x02])
    }

    @Test func headersAndTimestampBytes() throws {
        var buffer = ByteBuffer()
        try BasicProperties(headers: ["k": .bool(true)], timestamp: 0x0102_0304_0506_0708).encode(into: &buffer)
        #expect(
            buffer.bytes
                == [0x20, 0x40]  // headers (bit 13), timestamp (bit 6)
                + [0, 0, 0, 4, 1, UInt8(ascii: "k"), UInt8(ascii: "t"), 1]
                + [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func propertiesAreWrittenInFlagOrderRegardlessOfSetOrder() throws {
        var properties = BasicProperties()
        properties.clusterID = "z"
        properties.contentType = "a"
        var buffer = ByteBuffer()
        try properties.encode(into: &buffer)
        #expect(buffer.bytes == [0x80, 0x04, 1, UInt8(ascii: "a"), 1, UInt8(ascii: "z")])
    }

    @Test func emptyStringsAndZeroesAreStillPresent() throws {
        let properties = BasicProperties(contentType: "", headers: [:], deliveryMode: 0, timestamp: 0)
        #expect(try Self.flagWord(of: properties) == 0xB040)
        #expect(try Self.roundTrip(properties) == .header(channel: 5, ContentHeader(bodySize: 0, properties: properties)))
    }

    @Test func tooLongShortStringPropertyIsRefused() {
        var buffer = ByteBuffer()
        let properties = BasicProperties(appID: String(repeating: "a", count: 256))
        #expect(throws: AMQPWireError.shortStringTooLong(length: 256)) { try properties.encode(into: &buffer) }
    }
}
