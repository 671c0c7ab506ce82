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

    /// This table with every entry of `key` removed and one `key, value` entry at the end. A table
    /// read off the wire is copied entry by entry as raw bytes, without decoding any value: a
    /// replay re-stamps messages that an earlier replay stamped, x-death and all.
    public func replacing(_ key: String, with value: FieldValue) throws(AMQPWireError) -> FieldTable {
        guard case .raw(let table) = storage else {
            return FieldTable(entries.filter { $0.0 != key } + [(key, value)])
        }
        var bytes = table
        var kept = ByteBufferAllocator().buffer(capacity: bytes.readableBytes + key.utf8.count + 32)
        while bytes.readableBytes > 0 {
            let start = bytes.readerIndex
            guard let name = try? bytes.readAMQPShortString(orThrow: .malformedFieldTable(reason: "")),
                bytes.skipValidatedFieldValue()
            else { break }
            // Sliced from the table as it was: a buffer gives no slice of bytes already read.
            if name != key, var entry = table.getSlice(at: start, length: bytes.readerIndex - start) {
                kept.writeBuffer(&entry)
            }
        }
        return try FieldTable(validatedRaw: kept).appending(key, value)
    }

    /// The first value of each key, from one pass over the entries (a raw table is otherwise
    /// decoded again by every lookup).
    public var firstValues: [String: FieldValue] {
        var values: [String: FieldValue] = [:]
        for (key, value) in entries where values[key] == nil { values[key] = value }
        return values
    }

    /// The first values of just these keys. A table read off the wire is walked once, and the
    /// values of other keys are stepped over without being decoded (their bytes were checked when
    /// the table was read), so a large `x-death` costs nothing when it is not asked for.
    public func values(forKeys keys: Set<String>) -> [String: FieldValue] {
        guard case .raw(var bytes) = storage else {
            var values: [String: FieldValue] = [:]
            for (key, value) in entries where keys.contains(key) && values[key] == nil { values[key] = value }
            return values
        }
        var values: [String: FieldValue] = [:]
        while bytes.readableBytes > 0, values.count < keys.count {
            guard let name = try? bytes.readAMQPShortString(orThrow: .malformedFieldTable(reason: "")) else { break }
            if keys.contains(name), values[name] == nil {
                guard let value = try? bytes.readFieldValue() else { break }
                values[name] = value
            } else if !bytes.skipValidatedFieldValue() {
                break
            }
        }
        return values
    }
}

extension ByteBuffer {
    /// Steps over one `type, value` pair already known to be well formed; false if it is not.
    mutating func skipValidatedFieldValue() -> Bool {
        guard let type = readInteger(as: UInt8.self) else { return false }
        let size: Int
        switch type {
        case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): size = 1
        case UInt8(ascii: "s"), UInt8(ascii: "u"): size = 2
        case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): size = 4
        case UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "d"), UInt8(ascii: "T"): size = 8
        case UInt8(ascii: "D"): size = 5
        case UInt8(ascii: "V"): size = 0
        case UInt8(ascii: "S"), UInt8(ascii: "x"), UInt8(ascii: "F"), UInt8(ascii: "A"):
            guard let length = readInteger(as: UInt32.self) else { return false }
            size = Int(length)
        default: return false
        }
        guard readableBytes >= size else { return false }
        moveReaderIndex(forwardBy: size)
        return true
    }
}
