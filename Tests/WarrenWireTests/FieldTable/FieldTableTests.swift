import NIOCore
import Testing

@testable import WarrenWire

@Suite("FieldTable")
struct FieldTableTests {
    static func encoded(_ table: FieldTable) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        return buffer
    }

    static func decoded(_ table: FieldTable) throws -> FieldTable {
        var buffer = try encoded(table)
        let result = try buffer.readFieldTable()
        #expect(buffer.readableBytes == 0)
        return result
    }

    /// table → array → table → array … `levels` containers deep, with a value at every level.
    static func nested(levels: Int) -> FieldTable {
        var value: FieldValue = .string("bottom")
        for level in (0..<levels).reversed() {
            value = level % 2 == 0
                ? .table(["level": .int32(Int32(level)), "next": value, "ü": .bool(level % 3 == 0)])
                : .array([.int32(Int32(level)), value, .bytes([UInt8(level)])])
        }
        return ["root": value]
    }

    @Test(arguments: [1, 2, 5, 12, 40])
    func nestedTablesAndArraysRoundTrip(levels: Int) throws {
        let table = Self.nested(levels: levels)
        let decoded = try Self.decoded(table)
        #expect(decoded == table)

        // Walk down through the decoded structure.
        var current = decoded["root"]
        for level in 0..<levels {
            if level % 2 == 0 {
                let inner = current?.tableValue
                #expect(inner?["level"] == .int32(Int32(level)))
                #expect(inner?.keys == ["level", "next", "ü"])
                current = inner?["next"]
            } else {
                let inner = current?.arrayValue
                #expect(inner?.count == 3)
                #expect(inner?.first == .int32(Int32(level)))
                current = inner?[1]
            }
        }
        #expect(current == .string("bottom"))
    }

    @Test func keyOrderIsPreserved() throws {
        let keys = ["zeta", "alpha", "mu", "Ä", "beta", "a", ""]
        let table = FieldTable(keys.enumerated().map { ($0.element, .int64(Int64($0.offset))) })
        let decoded = try Self.decoded(table)
        #expect(decoded.keys == keys)
        #expect(decoded.entries.map(\.1) == (0..<keys.count).map { .int64(Int64($0)) })
        #expect(decoded.count == keys.count)
    }

    @Test func duplicateKeysArePreserved() throws {
        let table = FieldTable([("k", .int64(1)), ("other", .void), ("k", .int64(2))])
        let decoded = try Self.decoded(table)
        #expect(decoded.count == 3)
        #expect(decoded.keys == ["k", "other", "k"])
        #expect(decoded["k"] == .int64(1), "the subscript returns the first value")
        #expect(decoded.entries.last?.1 == .int64(2))
        #expect(decoded != FieldTable([("k", .int64(2)), ("other", .void), ("k", .int64(1))]))
        #expect(decoded != FieldTable([("k", .int64(1)), ("other", .void)]))
    }

    @Test func rawBytesPassThroughUnchanged() throws {
        // Hand-written bytes with duplicate keys, a non-UTF-8 'S', a bool octet of 2 and a
        // nested table: decoding and re-encoding must not change a single byte.
        let nested = shortString("x") + [UInt8(ascii: "V")]
        let entries: [UInt8] =
            shortString("dup") + [UInt8(ascii: "b"), 0x80]
            + shortString("bin") + [UInt8(ascii: "S")] + longBlock([0xFF, 0xFE])
            + shortString("flag") + [UInt8(ascii: "t"), 0x02]
            + shortString("dup") + [UInt8(ascii: "F")] + longBlock(nested)
            + shortString("arr") + [UInt8(ascii: "A")] + longBlock([UInt8(ascii: "d")] + be(Double.nan.bitPattern))
        let wire = longBlock(entries)
        var buffer = ByteBuffer(bytes: wire + [0xAB])
        let table = try buffer.readFieldTable()
        #expect(buffer.bytes == [0xAB], "reads exactly the table")
        #expect(table.keys == ["dup", "bin", "flag", "dup", "arr"])
        #expect(try Self.encoded(table).bytes == wire)
        #expect(try table.encodedEntries().bytes == entries)

        // And inside a method, through a whole frame.
        let arguments = [0, 0] + shortString("q") + shortString("e") + shortString("r") + [0] + wire
        let frame = rawFrame(type: 1, channel: 2, payload: methodPayload(classID: 50, methodID: 20, arguments: arguments))
        let decoded = try #require(try decodeOne(frame))
        #expect(try encode(decoded).bytes == frame)
    }

    @Test func tableBuiltFromEntriesEqualsTheDecodedOne() throws {
        let built = FieldTable([
            ("product", .string("warren")),
            ("capabilities", .table(["publisher_confirms": true, "consumer_cancel_notify": true])),
            ("version", .array(["1", .int64(2)])),
            ("timeout", .uint32(30)),
        ])
        let decoded = try Self.decoded(built)
        #expect(decoded == built)
        #expect(built == decoded)
        #expect(decoded.hashValue == built.hashValue)
        #expect(Set([decoded, built]).count == 1)
        #expect(decoded.entries.map(\.0) == built.entries.map(\.0))
        #expect(decoded != FieldTable([("product", .string("warren"))]))
    }

    @Test func literalsBuildTheExpectedEntries() {
        let table: FieldTable = ["s": "text", "b": true, "i": 42, "a": [1, "x"]]
        #expect(table.entries.map(\.0) == ["s", "b", "i", "a"])
        #expect(table["s"] == .string("text"))
        #expect(table["b"] == .bool(true))
        #expect(table["i"] == .int64(42))
        #expect(table["a"] == .array([.int64(1), .string("x")]))
    }

    @Test(arguments: [false, true])
    func subscriptGetAndSet(decodeFirst: Bool) throws {
        let original = FieldTable([("a", .int64(1)), ("b", .string("two")), ("a", .int64(3))])
        var table = decodeFirst ? try Self.decoded(original) : original
        #expect(table["a"] == .int64(1))
        #expect(table["b"] == .string("two"))
        #expect(table["missing"] == nil)

        table["b"] = .bool(false)  // replaces in place
        #expect(table.keys == ["a", "b", "a"])
        #expect(table["b"] == .bool(false))

        table["c"] = .void  // appends
        #expect(table.keys == ["a", "b", "a", "c"])

        table["a"] = nil  // removes the first "a" only
        #expect(table.keys == ["b", "a", "c"])
        #expect(table["a"] == .int64(3))

        table["missing"] = nil  // no change
        #expect(table.count == 3)

        let expected = FieldTable([("b", .bool(false)), ("a", .int64(3)), ("c", .void)])
        #expect(table == expected)
        #expect(try Self.decoded(table) == expected)
        #expect(try Self.encoded(table) == (try Self.encoded(expected)))
    }

    @Test func emptiness() throws {
        #expect(FieldTable().isEmpty)
        let emptyLiteral: FieldTable = [:]
        #expect(emptyLiteral.isEmpty)
        #expect(try Self.decoded(FieldTable()).isEmpty)
        let oneEntry: FieldTable = ["k": .void]
        #expect(!oneEntry.isEmpty)
        #expect(!(try Self.decoded(["k": .void])).isEmpty)
        var table: FieldTable = ["k": .void]
        table["k"] = nil
        #expect(table.isEmpty)
    }

    @Test func descriptionListsEntriesInOrder() {
        let table: FieldTable = ["b": .int64(1), "a": .bool(true)]
        #expect(table.description == "[b: int64(1), a: bool(true)]")
    }

    @Test func tooLongKeyIsRefused() {
        let table = FieldTable([(String(repeating: "k", count: 256), .void)])
        var buffer = ByteBuffer()
        #expect(throws: AMQPWireError.shortStringTooLong(length: 256)) { try buffer.writeFieldTable(table) }
        #expect(throws: AMQPWireError.shortStringTooLong(length: 256)) { try table.encodedEntries() }
    }

    @Test func longestKeyIsAccepted() throws {
        let key = utf8String(prefix: "key", byteCount: 255)
        let table = FieldTable([(key, .void)])
        #expect(try Self.decoded(table).keys == [key])
    }
}
