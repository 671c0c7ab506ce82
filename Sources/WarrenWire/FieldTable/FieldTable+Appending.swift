import NIOCore

extension FieldTable {
    /// This table with one more entry at the end. A table read off the wire stays in its raw
    /// bytes, with the new entry's bytes added after them: nothing is decoded or re-encoded, which
    /// is what a replay that stamps every message of a DLQ (with its nested x-death tables) wants.
    /// The caller makes sure `key` is not there yet (a lookup returns the first entry of a key).
    public func appending(_ key: String, _ value: FieldValue) throws(AMQPWireError) -> FieldTable {
        switch storage {
        case .entries(let entries):
            return FieldTable(entries + [(key, value)])
        case .raw(let bytes):
            var combined = bytes
            var entry = try FieldTable([(key, value)]).encodedEntries()
            combined.writeBuffer(&entry)
            return FieldTable(validatedRaw: combined)
        }
    }

    /// The first value of each key, from one pass over the entries (a raw table is otherwise
    /// decoded again by every lookup).
    public var firstValues: [String: FieldValue] {
        var values: [String: FieldValue] = [:]
        for (key, value) in entries where values[key] == nil { values[key] = value }
        return values
    }
}
