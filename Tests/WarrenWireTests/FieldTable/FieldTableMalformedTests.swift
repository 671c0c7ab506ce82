import NIOCore
import Testing

@testable import WarrenWire

@Suite("FieldTable: malformed input")
struct FieldTableMalformedTests {
    /// Reads a table from `bytes`, expecting a `.malformedFieldTable` error (reply code 502).
    static func expectMalformed(
        _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var buffer = ByteBuffer(bytes: bytes)
        let error = wireError(sourceLocation: sourceLocation) { () throws(AMQPWireError) in try buffer.readFieldTable() }
        guard case .malformedFieldTable? = error else {
            Issue.record("expected malformedFieldTable, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(error?.replyCode == 502, sourceLocation: sourceLocation)
        #expect(error?.replyText.hasPrefix("SYNTAX_ERROR - cannot decode field table: ") == true, sourceLocation: sourceLocation)
    }

    /// "L" is not among them: RabbitMQ reads it as a signed 64-bit integer (FieldTableCodecTests).
    @Test(arguments: Array("ZaceghjkmnopqrvwyzCEGHJKMNOPQRUWXY\0 ".utf8))
    func unknownTypeCode(code: UInt8) {
        Self.expectMalformed(longBlock(shortString("k") + [code, 0, 0, 0, 0, 0, 0, 0, 0]))
    }

    @Test func unknownTypeCodeNamesTheOctet() {
        var buffer = ByteBuffer(bytes: longBlock(shortString("k") + [UInt8(ascii: "Z")]))
        #expect(throws: AMQPWireError.malformedFieldTable(reason: "unknown field type 0x5a")) { try buffer.readFieldTable() }
        var value = ByteBuffer(bytes: [0x01])
        #expect(throws: AMQPWireError.malformedFieldTable(reason: "unknown field type 0x1")) { try value.readFieldValue() }
    }

    @Test(arguments: 0..<4)
    func truncatedTableLength(length: Int) {
        Self.expectMalformed(Array([0, 0, 0, 0].prefix(length)))
    }

    @Test(arguments: [(UInt32(1), 0), (5, 4), (0xFFFF_FFFF, 10), (0x8000_0000, 0)])
    func tableLengthLargerThanTheBuffer(length: UInt32, available: Int) {
        Self.expectMalformed(be(length) + Array(repeating: UInt8(ascii: "V"), count: available))
    }

    /// Every cut through an entry of every type, with the table length saying where the cut is.
    @Test(arguments: EncodedValue.all)
    func truncatedEntriesInsideAConsistentTableLength(sample: EncodedValue) {
        let entry = shortString("key") + sample.bytes
        for length in 1..<entry.count {
            Self.expectMalformed(longBlock(Array(entry.prefix(length))))
        }
    }

    /// The same values, but with the table claiming more bytes than the buffer holds.
    @Test(arguments: EncodedValue.all)
    func truncatedBufferUnderAFullTableLength(sample: EncodedValue) {
        let entry = shortString("key") + sample.bytes
        for length in 0..<entry.count {
            Self.expectMalformed(be(UInt32(entry.count)) + entry.prefix(length))
        }
    }

    @Test func truncatedStandaloneValues() {
        for sample in EncodedValue.all where sample.bytes.count > 1 {
            for length in 0..<sample.bytes.count {
                var buffer = ByteBuffer(bytes: Array(sample.bytes.prefix(length)))
                let error = wireError { () throws(AMQPWireError) in try buffer.readFieldValue() }
                guard case .malformedFieldTable? = error else {
                    Issue.record("\(sample.testDescription) cut to \(length): \(String(describing: error))")
                    continue
                }
            }
        }
    }

    @Test func nestedLengthLargerThanItsParent() {
        // An array claiming 100 bytes inside a table of 12.
        Self.expectMalformed(longBlock(shortString("a") + [UInt8(ascii: "A")] + be(UInt32(100)) + [0x56, 0x56, 0x56, 0x56]))
        // A nested table claiming 9 bytes of the 3 that are left.
        Self.expectMalformed(longBlock(shortString("t") + [UInt8(ascii: "F")] + be(UInt32(9)) + shortString("x") + [0x56]))
        // A long string running past the table's end into bytes after it.
        var buffer = ByteBuffer(bytes: longBlock(shortString("s") + [UInt8(ascii: "S")] + be(UInt32(4)) + [1, 2]) + [3, 4])
        #expect(throws: AMQPWireError.self) { try buffer.readFieldTable() }
    }

    @Test func keyLongerThanTheTable() {
        Self.expectMalformed(longBlock([10] + Array("abc".utf8)))
    }

    @Test func malformedValueInsideANestedArray() {
        let inner = [UInt8(ascii: "A")] + longBlock([UInt8(ascii: "I"), 0, 0])  // int32 cut short
        Self.expectMalformed(longBlock(shortString("a") + [UInt8(ascii: "A")] + longBlock(inner)))
    }

    /// `levels` tables, each the only value of its parent, as raw bytes. Built front to back
    /// (no recursion, no quadratic copying) so that very deep nesting is cheap to make.
    static func nestedTables(_ levels: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(7 * levels)
        for level in 0..<levels {
            bytes += be(UInt32(7 * (levels - 1 - level)))
            if level < levels - 1 { bytes += shortString("t") + [UInt8(ascii: "F")] }
        }
        return bytes
    }

    /// `levels` arrays, each the only element of its parent, around a void value.
    static func nestedArrayValue(_ levels: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(5 * levels + 1)
        for level in 0..<levels {
            bytes += [UInt8(ascii: "A")] + be(UInt32(5 * (levels - 1 - level) + 1))
        }
        return bytes + [UInt8(ascii: "V")]
    }

    /// A table holding `levels` nested arrays.
    static func nestedArrays(_ levels: Int) -> [UInt8] {
        longBlock(shortString("a") + nestedArrayValue(levels))
    }

    @Test func nestingBuildersMatchTheEncoder() throws {
        var table = FieldTable()
        for _ in 1..<4 { table = ["t": .table(table)] }
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        #expect(buffer.bytes == Self.nestedTables(4))

        buffer.clear()
        try buffer.writeFieldTable(["a": .array([.array([.array([.void])])])])
        #expect(buffer.bytes == Self.nestedArrays(3))
    }

    @Test(arguments: [1, 2, 10, 50, 100])
    func moderatelyNestedTablesAreAccepted(levels: Int) throws {
        var buffer = ByteBuffer(bytes: Self.nestedTables(levels))
        var table = try buffer.readFieldTable()
        for _ in 1..<levels { table = try #require(table["t"]?.tableValue) }
        #expect(table.isEmpty)
    }

    @Test(arguments: [101, 102, 150, 1_000, 20_000])
    func tablesNestedDeeperThan100AreRefused(levels: Int) {
        Self.expectMalformed(Self.nestedTables(levels))
    }

    @Test(arguments: [1, 10, 50, 99])
    func moderatelyNestedArraysAreAccepted(levels: Int) throws {
        var buffer = ByteBuffer(bytes: Self.nestedArrays(levels))
        let table = try buffer.readFieldTable()
        var value = try #require(table["a"])
        for _ in 0..<levels { value = try #require(value.arrayValue?.first) }
        #expect(value == .void)
    }

    @Test(arguments: [100, 101, 150, 1_000, 20_000])
    func arraysNestedDeeperThan100AreRefused(levels: Int) {
        Self.expectMalformed(Self.nestedArrays(levels))
    }

    @Test(arguments: [102, 1_000, 20_000])
    func arraysNestedDeeperThan100AreRefusedAsAStandaloneValue(levels: Int) {
        var buffer = ByteBuffer(bytes: Self.nestedArrayValue(levels))
        let error = wireError { () throws(AMQPWireError) in try buffer.readFieldValue() }
        #expect(error == .malformedFieldTable(reason: "nesting too deep"))
    }

    @Test func alternatingTablesAndArraysDeeperThan100AreRefused() {
        var value: [UInt8] = [UInt8(ascii: "V")]
        for level in 0..<150 {
            value = level % 2 == 0
                ? [UInt8(ascii: "A")] + longBlock(value)
                : [UInt8(ascii: "F")] + longBlock(shortString("k") + value)
        }
        Self.expectMalformed(longBlock(shortString("root") + value))
    }

    @Test func deeplyNestedTableInAMethodIsASyntaxError() {
        let arguments = [0, 0] + shortString("q") + shortString("e") + shortString("r") + [0] + Self.nestedArrays(500)
        let frame = rawFrame(type: 1, channel: 1, payload: methodPayload(classID: 50, methodID: 20, arguments: arguments))
        let error = wireError { () throws(AMQPWireError) in try decodeOne(frame) }
        #expect(error?.replyCode == 502)
    }
}
