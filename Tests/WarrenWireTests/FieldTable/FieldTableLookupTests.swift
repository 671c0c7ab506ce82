import NIOCore
import Testing

@testable import WarrenWire

@Suite("FieldTable appending and lookup")
struct FieldTableLookupTests {
    /// A table read off the wire gets the new entry after its own, with its bytes (duplicate keys
    /// and order included) untouched.
    @Test func rawTableKeepsItsBytesAndGainsTheEntry() throws {
        let original = FieldTable([
            ("x-death", .array([.table(["count": .int64(2), "queue": "orders"])])), ("dup", "first"), ("dup", "second"),
        ])
        var wire = try FieldTableTests.encoded(original)
        let raw = try wire.readFieldTable()
        let stamped = try raw.appending("x-warren-replay-id", "r1/7")
        #expect(stamped.entries.map(\.0) == ["x-death", "dup", "dup", "x-warren-replay-id"])
        #expect(stamped["dup"] == "first" && stamped["x-warren-replay-id"] == "r1/7")
        let decoded = try FieldTableTests.decoded(stamped)
        #expect(decoded == stamped)
        var before = try raw.encodedEntries()
        let after = try stamped.encodedEntries()
        #expect(after.getSlice(at: after.readerIndex, length: before.readableBytes) == before.readSlice(length: before.readableBytes))
    }

    /// Replacing a key in a raw table copies the other entries' bytes as they are (x-death is not
    /// decoded) and leaves one entry of the key, at the end; a built table does the same.
    @Test func replacingAKeyKeepsTheOthersAndLeavesOneEntryOfIt() throws {
        let original = FieldTable([
            ("x-warren-replay-id", "old/1"), ("x-death", .array([.table(["count": .int64(2), "queue": "orders"])])),
            ("x-warren-replay-id", "older/9"), ("dup", "first"),
        ])
        var wire = try FieldTableTests.encoded(original)
        let raw = try wire.readFieldTable()
        for table in [raw, original] {
            let replaced = try table.replacing("x-warren-replay-id", with: "new/2")
            #expect(replaced.entries.map(\.0) == ["x-death", "dup", "x-warren-replay-id"])
            #expect(replaced["x-warren-replay-id"] == "new/2" && replaced["dup"] == "first")
            #expect(replaced["x-death"] == original["x-death"])
            #expect(try FieldTableTests.decoded(replaced) == replaced)
        }
        #expect(try raw.replacing("absent", with: .bool(true)).entries.map(\.0)
            == ["x-warren-replay-id", "x-death", "x-warren-replay-id", "dup", "absent"])
    }

    /// 'L' (an unsigned 64-bit integer some clients send) is stepped over like 'l': the fuzzer
    /// found lookups and replacing stopping at it, losing every entry after it.
    @Test func lookupAndReplacingStepOverAnUnsignedLong() throws {
        var wire = ByteBuffer()
        var entries = ByteBuffer()
        entries.writeInteger(UInt8(1)); entries.writeString("n"); entries.writeInteger(UInt8(ascii: "L"))
        entries.writeInteger(UInt64(7))
        entries.writeInteger(UInt8(6)); entries.writeString("wanted"); entries.writeInteger(UInt8(ascii: "S"))
        entries.writeInteger(UInt32(5)); entries.writeString("found")
        wire.writeInteger(UInt32(entries.readableBytes))
        wire.writeBuffer(&entries)
        let raw = try wire.readFieldTable()
        #expect(raw.values(forKeys: ["wanted"]) == ["wanted": "found"])
        #expect(try raw.replacing("n", with: .bool(true)).entries.map(\.0) == ["wanted", "n"])
    }

    @Test func builtTableAppendsToItsEntries() throws {
        let table: FieldTable = ["a": .int32(1)]
        #expect(try table.appending("b", .bool(true)).entries.map(\.0) == ["a", "b"])
        #expect(table.firstValues == ["a": .int32(1)])
    }

    /// Looking up a few keys steps over every other type of value without decoding it.
    @Test func lookupStepsOverEveryType() throws {
        let every: [(String, FieldValue)] = [
            ("t", .bool(true)), ("b", .int8(-1)), ("B", .uint8(1)), ("s", .int16(-2)), ("u", .uint16(2)),
            ("I", .int32(-3)), ("i", .uint32(3)), ("l", .int64(-4)), ("f", .float(1.5)), ("d", .double(2.5)),
            ("D", .decimal(scale: 2, value: 314)), ("S", .string("text")), ("x", .bytes([1, 2, 3])),
            ("T", .timestamp(1_700_000_000)), ("F", .table(["inner": .array([.int32(1), "two"])])),
            ("A", .array([.table(["queue": "q"]), .void])), ("V", .void), ("wanted", .string("found")), ("t", .bool(false)),
        ]
        var wire = try FieldTableTests.encoded(FieldTable(every))
        let raw = try wire.readFieldTable()
        #expect(raw.values(forKeys: ["wanted", "t"]) == ["wanted": "found", "t": .bool(true)])
        #expect(raw.values(forKeys: ["missing"]).isEmpty)
        #expect(FieldTable(every).values(forKeys: ["D", "A"]) == raw.values(forKeys: ["D", "A"]))
    }
}
