import NIOCore
import Testing

@testable import WarrenWire

/// One value of every RabbitMQ field type with its bytes, worked out by hand.
struct EncodedValue: Sendable, CustomTestStringConvertible {
    var value: FieldValue
    var bytes: [UInt8]
    var testDescription: String { "'\(Character(Unicode.Scalar(bytes[0])))' \(value)" }

    static let all: [EncodedValue] = [
        EncodedValue(value: .bool(true), bytes: [0x74, 0x01]),
        EncodedValue(value: .bool(false), bytes: [0x74, 0x00]),
        EncodedValue(value: .int8(-2), bytes: [0x62, 0xFE]),
        EncodedValue(value: .int8(.min), bytes: [0x62, 0x80]),
        EncodedValue(value: .uint8(200), bytes: [0x42, 0xC8]),
        EncodedValue(value: .int16(-2), bytes: [0x73, 0xFF, 0xFE]),
        EncodedValue(value: .uint16(0xBEEF), bytes: [0x75, 0xBE, 0xEF]),
        EncodedValue(value: .int32(-2), bytes: [0x49, 0xFF, 0xFF, 0xFF, 0xFE]),
        EncodedValue(value: .uint32(0xDEAD_BEEF), bytes: [0x69, 0xDE, 0xAD, 0xBE, 0xEF]),
        EncodedValue(value: .int64(-2), bytes: [0x6C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
        EncodedValue(value: .int64(.max), bytes: [0x6C, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        EncodedValue(value: .float(1.5), bytes: [0x66, 0x3F, 0xC0, 0x00, 0x00]),
        EncodedValue(value: .double(-2.5), bytes: [0x64, 0xC0, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
        EncodedValue(value: .decimal(scale: 2, value: 12345), bytes: [0x44, 0x02, 0x00, 0x00, 0x30, 0x39]),
        EncodedValue(value: .decimal(scale: 255, value: -1), bytes: [0x44, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        EncodedValue(value: .string("hé"), bytes: [0x53, 0x00, 0x00, 0x00, 0x03, 0x68, 0xC3, 0xA9]),
        EncodedValue(value: .string(""), bytes: [0x53, 0x00, 0x00, 0x00, 0x00]),
        EncodedValue(value: .binaryString([0xFF, 0x00]), bytes: [0x53, 0x00, 0x00, 0x00, 0x02, 0xFF, 0x00]),
        EncodedValue(value: .array([.uint8(1), .void]), bytes: [0x41, 0x00, 0x00, 0x00, 0x03, 0x42, 0x01, 0x56]),
        EncodedValue(value: .array([]), bytes: [0x41, 0x00, 0x00, 0x00, 0x00]),
        EncodedValue(value: .timestamp(0x5F5E_1000), bytes: [0x54, 0, 0, 0, 0, 0x5F, 0x5E, 0x10, 0x00]),
        EncodedValue(value: .table(["k": .void]), bytes: [0x46, 0x00, 0x00, 0x00, 0x03, 0x01, 0x6B, 0x56]),
        EncodedValue(value: .table([:]), bytes: [0x46, 0x00, 0x00, 0x00, 0x00]),
        EncodedValue(value: .void, bytes: [0x56]),
        EncodedValue(value: .bytes([1, 2, 3]), bytes: [0x78, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03]),
        EncodedValue(value: .bytes([]), bytes: [0x78, 0x00, 0x00, 0x00, 0x00]),
    ]
}

@Suite("Field values: every RabbitMQ type code")
struct FieldValueCodecTests {
    @Test func everyTypeCodeIsCovered() {
        let codes = Set(EncodedValue.all.map { Character(Unicode.Scalar($0.bytes[0])) })
        #expect(codes == Set("tbBsuIilfdDSATFVx"))
    }

    @Test(arguments: EncodedValue.all)
    func encodesToTheExpectedBytes(sample: EncodedValue) throws {
        var buffer = ByteBuffer()
        try buffer.writeFieldValue(sample.value)
        #expect(buffer.bytes == sample.bytes)
        #expect(sample.value.typeCode == sample.bytes[0])
    }

    @Test(arguments: EncodedValue.all)
    func decodesFromTheExpectedBytes(sample: EncodedValue) throws {
        var buffer = ByteBuffer(bytes: sample.bytes)
        #expect(try buffer.readFieldValue() == sample.value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: EncodedValue.all)
    func roundTripsInsideATable(sample: EncodedValue) throws {
        let table: FieldTable = ["before": .uint8(1), "value": sample.value, "after": .string("end")]
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        let encoded = buffer.bytes
        let decoded = try buffer.readFieldTable()
        #expect(buffer.readableBytes == 0)
        #expect(decoded == table)
        #expect(decoded["value"] == sample.value)
        #expect(decoded.keys == ["before", "value", "after"])
        var again = ByteBuffer()
        try again.writeFieldTable(decoded)
        #expect(again.bytes == encoded)
    }

    @Test(arguments: EncodedValue.all)
    func roundTripsInsideAnArray(sample: EncodedValue) throws {
        let value = FieldValue.array([.int16(7), sample.value, sample.value])
        var buffer = ByteBuffer()
        try buffer.writeFieldValue(value)
        #expect(try buffer.readFieldValue() == value)
    }

    /// "L", which py-amqp writes for integers beyond 32 bits, is read as RabbitMQ reads it: a
    /// signed 64-bit integer, written back as "l". Validation (skipping a table unread) takes it too.
    @Test func anLValueReadsAsASigned64BitInteger() throws {
        var value = ByteBuffer(bytes: [0x4C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
        #expect(try value.readFieldValue() == .int64(-2))
        #expect(value.readableBytes == 0)
        let entries = shortString("big") + [0x4C, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]
        entries.withUnsafeBytes { #expect(FieldTableValidator.firstError(inEntries: $0, depth: 0) == nil) }
        var table = ByteBuffer(bytes: be(UInt32(entries.count)) + entries)
        #expect(try table.readFieldTable()["big"] == .int64(1 << 40))
    }

    @Test func smallTableExactBytes() throws {
        let table: FieldTable = ["a": .bool(true), "n": .int32(-2), "s": .string("hé")]
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        #expect(
            buffer.bytes == [
                0x00, 0x00, 0x00, 0x15,  // 21 bytes of entries
                0x01, 0x61, 0x74, 0x01,  // "a" t true
                0x01, 0x6E, 0x49, 0xFF, 0xFF, 0xFF, 0xFE,  // "n" I -2
                0x01, 0x73, 0x53, 0x00, 0x00, 0x00, 0x03, 0x68, 0xC3, 0xA9,  // "s" S "hé"
            ])
        #expect(try buffer.readFieldTable() == table)
    }

    @Test func emptyTableIsAZeroLength() throws {
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(FieldTable())
        #expect(buffer.bytes == [0, 0, 0, 0])
        let decoded = try buffer.readFieldTable()
        #expect(decoded.isEmpty)
        #expect(decoded == FieldTable())
    }

    @Test func nonUTF8StringDecodesAsBinaryStringAndIsWrittenBackUnchanged() throws {
        let bytes: [UInt8] = [0xC3, 0x28, 0xFF, 0x00, 0x80]
        let raw = shortString("bin") + [UInt8(ascii: "S")] + longBlock(bytes)
        var buffer = ByteBuffer(bytes: longBlock(raw))
        let table = try buffer.readFieldTable()
        #expect(table["bin"] == .binaryString(bytes))
        #expect(table["bin"]?.stringValue == nil)

        // Through entries (not the raw bytes): rebuild the table and encode it again.
        let rebuilt = FieldTable(table.entries)
        var out = ByteBuffer()
        try out.writeFieldTable(rebuilt)
        #expect(out.bytes == longBlock(raw))
        #expect(try out.readFieldTable()["bin"] == .binaryString(bytes))
    }

    @Test func validUTF8StringDecodesAsString() throws {
        var buffer = ByteBuffer(bytes: [0x53] + longBlock(Array("日本🐇".utf8)))
        #expect(try buffer.readFieldValue() == .string("日本🐇"))
    }

    @Test func nonzeroBoolOctetIsTrue() throws {
        var buffer = ByteBuffer(bytes: [0x74, 0x02])
        #expect(try buffer.readFieldValue() == .bool(true))
    }

    @Test func floatsKeepTheirBitPatterns() throws {
        for value in [Float.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            var buffer = ByteBuffer()
            try buffer.writeFieldValue(.float(value))
            #expect(buffer.bytes == [0x66] + be(value.bitPattern))
            #expect(try buffer.readFieldValue() == .float(value))
        }
        for value in [Double.infinity, -0.0, .pi, .leastNormalMagnitude] {
            var buffer = ByteBuffer()
            try buffer.writeFieldValue(.double(value))
            #expect(buffer.bytes == [0x64] + be(value.bitPattern))
            #expect(try buffer.readFieldValue() == .double(value))
        }
    }

    @Test func readFieldTableEntryReadsOneEntry() throws {
        var buffer = ByteBuffer(bytes: shortString("ключ") + [0x75, 0x00, 0x07] + [0xEE])
        let (key, value) = try buffer.readFieldTableEntry()
        #expect(key == "ключ")
        #expect(value == .uint16(7))
        #expect(buffer.bytes == [0xEE])
    }
}
