import NIOCore

/// Nesting deeper than this is refused, so a crafted frame cannot exhaust the stack.
@usableFromInline
let maximumFieldNesting = 100

extension ByteBuffer {
    /// Reads a length-prefixed field table, checking its whole structure but decoding nothing.
    @inlinable
    public mutating func readFieldTable() throws(AMQPWireError) -> FieldTable {
        guard let length = getInteger(at: readerIndex, as: UInt32.self) else {
            throw .malformedFieldTable(reason: "truncated table length")
        }
        guard UInt64(readableBytes) >= 4 + UInt64(length) else {
            throw .malformedFieldTable(reason: "table length \(length) exceeds the \(readableBytes - 4) bytes left")
        }
        moveReaderIndex(forwardBy: 4)
        let slice = readSlice(length: Int(length))!
        if length > 0 {
            var probe = slice
            try probe.skipFieldTableEntries(depth: 0)
        }
        return FieldTable(validatedRaw: slice)
    }

    /// Writes a field table with its 32-bit length prefix.
    @inlinable
    public mutating func writeFieldTable(_ table: FieldTable) throws(AMQPWireError) {
        switch table.storage {
        case .raw(let bytes):
            writeInteger(UInt32(truncatingIfNeeded: bytes.readableBytes))
            writeImmutableBuffer(bytes)
        case .entries(let entries):
            let lengthIndex = writerIndex
            writeInteger(UInt32(0))
            for (key, value) in entries {
                try writeAMQPShortString(key)
                try writeFieldValue(value)
            }
            setInteger(UInt32(truncatingIfNeeded: writerIndex - lengthIndex - 4), at: lengthIndex)
        }
    }

    @usableFromInline
    mutating func skipFieldTableEntries(depth: Int) throws(AMQPWireError) {
        guard depth < maximumFieldNesting else { throw .malformedFieldTable(reason: "nesting too deep") }
        while readableBytes > 0 {
            guard let keyLength = readInteger(as: UInt8.self), readableBytes >= Int(keyLength) else {
                throw .malformedFieldTable(reason: "truncated field name")
            }
            moveReaderIndex(forwardBy: Int(keyLength))
            try skipFieldValue(depth: depth)
        }
    }

    @usableFromInline
    mutating func skipFieldValue(depth: Int) throws(AMQPWireError) {
        // Arrays nest through here without passing skipFieldTableEntries, so check here too.
        guard depth < maximumFieldNesting else { throw .malformedFieldTable(reason: "nesting too deep") }
        guard let type = readInteger(as: UInt8.self) else {
            throw .malformedFieldTable(reason: "missing value type")
        }
        let fixed: Int
        switch type {
        case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): fixed = 1
        case UInt8(ascii: "s"), UInt8(ascii: "u"): fixed = 2
        case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): fixed = 4
        case UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "T"): fixed = 8
        case UInt8(ascii: "D"): fixed = 5
        case UInt8(ascii: "V"): fixed = 0
        case UInt8(ascii: "S"), UInt8(ascii: "x"), UInt8(ascii: "F"), UInt8(ascii: "A"):
            guard let length = readInteger(as: UInt32.self), UInt64(readableBytes) >= UInt64(length) else {
                throw .malformedFieldTable(reason: "truncated '\(Character(Unicode.Scalar(type)))' value")
            }
            if type == UInt8(ascii: "F") || type == UInt8(ascii: "A") {
                var nested = readSlice(length: Int(length))!
                if type == UInt8(ascii: "F") {
                    try nested.skipFieldTableEntries(depth: depth + 1)
                } else {
                    while nested.readableBytes > 0 { try nested.skipFieldValue(depth: depth + 1) }
                }
            } else {
                moveReaderIndex(forwardBy: Int(length))
            }
            return
        default:
            throw .malformedFieldTable(reason: "unknown field type 0x\(String(type, radix: 16))")
        }
        guard readableBytes >= fixed else { throw .malformedFieldTable(reason: "truncated value") }
        moveReaderIndex(forwardBy: fixed)
    }

    /// Reads one `name, type, value` entry of a table.
    public mutating func readFieldTableEntry() throws(AMQPWireError) -> (String, FieldValue) {
        let name = try readAMQPShortString(orThrow: .malformedFieldTable(reason: "truncated field name"))
        return (name, try readFieldValue(depth: 0))
    }

    /// Reads one `type, value` pair, as found in tables and arrays.
    public mutating func readFieldValue() throws(AMQPWireError) -> FieldValue {
        try readFieldValue(depth: 0)
    }

    mutating func readFieldValue(depth: Int) throws(AMQPWireError) -> FieldValue {
        guard depth < maximumFieldNesting else { throw .malformedFieldTable(reason: "nesting too deep") }
        let truncated = AMQPWireError.malformedFieldTable(reason: "truncated value")
        guard let type = readInteger(as: UInt8.self) else { throw truncated }
        switch type {
        case UInt8(ascii: "t"): return .bool(try readAMQPOctet(orThrow: truncated) != 0)
        case UInt8(ascii: "b"): return .int8(Int8(bitPattern: try readAMQPOctet(orThrow: truncated)))
        case UInt8(ascii: "B"): return .uint8(try readAMQPOctet(orThrow: truncated))
        case UInt8(ascii: "s"): return .int16(Int16(bitPattern: try readAMQPShort(orThrow: truncated)))
        case UInt8(ascii: "u"): return .uint16(try readAMQPShort(orThrow: truncated))
        case UInt8(ascii: "I"): return .int32(Int32(bitPattern: try readAMQPLong(orThrow: truncated)))
        case UInt8(ascii: "i"): return .uint32(try readAMQPLong(orThrow: truncated))
        case UInt8(ascii: "l"): return .int64(Int64(bitPattern: try readAMQPLongLong(orThrow: truncated)))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try readAMQPLong(orThrow: truncated)))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try readAMQPLongLong(orThrow: truncated)))
        case UInt8(ascii: "T"): return .timestamp(try readAMQPLongLong(orThrow: truncated))
        case UInt8(ascii: "V"): return .void
        case UInt8(ascii: "D"):
            let scale = try readAMQPOctet(orThrow: truncated)
            return .decimal(scale: scale, value: Int32(bitPattern: try readAMQPLong(orThrow: truncated)))
        case UInt8(ascii: "S"):
            let bytes = try readAMQPLongString(orThrow: truncated)
            if let text = String(validating: bytes.readableBytesView, as: UTF8.self) { return .string(text) }
            return .binaryString(Array(bytes.readableBytesView))
        case UInt8(ascii: "x"):
            return .bytes(Array(try readAMQPLongString(orThrow: truncated).readableBytesView))
        case UInt8(ascii: "F"):
            return .table(try readFieldTable())
        case UInt8(ascii: "A"):
            var nested = try readAMQPLongString(orThrow: truncated)
            var values: [FieldValue] = []
            while nested.readableBytes > 0 { values.append(try nested.readFieldValue(depth: depth + 1)) }
            return .array(values)
        default:
            throw .malformedFieldTable(reason: "unknown field type 0x\(String(type, radix: 16))")
        }
    }

    /// Writes one `type, value` pair.
    @usableFromInline
    mutating func writeFieldValue(_ value: FieldValue) throws(AMQPWireError) {
        writeInteger(value.typeCode)
        switch value {
        case .bool(let v): writeInteger(UInt8(v ? 1 : 0))
        case .int8(let v): writeInteger(v)
        case .uint8(let v): writeInteger(v)
        case .int16(let v): writeInteger(v)
        case .uint16(let v): writeInteger(v)
        case .int32(let v): writeInteger(v)
        case .uint32(let v): writeInteger(v)
        case .int64(let v): writeInteger(v)
        case .float(let v): writeInteger(v.bitPattern)
        case .double(let v): writeInteger(v.bitPattern)
        case .timestamp(let v): writeInteger(v)
        case .void: break
        case .decimal(let scale, let v):
            writeInteger(scale)
            writeInteger(v)
        case .string(let s):
            writeAMQPLongString(s)
        case .binaryString(let bytes), .bytes(let bytes):
            writeInteger(UInt32(truncatingIfNeeded: bytes.count))
            writeBytes(bytes)
        case .table(let table):
            try writeFieldTable(table)
        case .array(let values):
            let lengthIndex = writerIndex
            writeInteger(UInt32(0))
            for element in values { try writeFieldValue(element) }
            setInteger(UInt32(truncatingIfNeeded: writerIndex - lengthIndex - 4), at: lengthIndex)
        }
    }
}
