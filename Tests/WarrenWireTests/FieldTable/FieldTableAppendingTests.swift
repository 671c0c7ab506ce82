import NIOCore
import Testing

@testable import WarrenWire

@Suite("FieldTable appending")
struct FieldTableAppendingTests {
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

    @Test func builtTableAppendsToItsEntries() throws {
        let table: FieldTable = ["a": .int32(1)]
        #expect(try table.appending("b", .bool(true)).entries.map(\.0) == ["a", "b"])
        #expect(table.firstValues == ["a": .int32(1)])
    }
}
