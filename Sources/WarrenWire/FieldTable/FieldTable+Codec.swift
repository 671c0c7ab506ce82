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
            let failure = slice.withUnsafeReadableBytes { bytes in
                FieldTableValidator.firstError(inEntries: bytes, depth: 0)
            }
            if let failure { throw failure }
        }
        return FieldTable(validatedRaw: slice)
    }

    /// Writes a field table with its 32-bit length prefix.
    ///
    /// A key over 255 bytes is refused before anything is written.
    @inlinable
    public mutating func writeFieldTable(_ table: FieldTable) throws(AMQPWireError) {
        let size = 4 + (try table.encodedEntriesSize())
        writeAMQP(size: size) { $0.writeFieldTable(table) }
    }

    /// Checks the entries of a table (the readable bytes) and consumes them.
    @usableFromInline
    mutating func skipFieldTableEntries(depth: Int) throws(AMQPWireError) {
        let failure = withUnsafeReadableBytes { bytes in
            FieldTableValidator.firstError(inEntries: bytes, depth: depth)
        }
        if let failure { throw failure }
        moveReaderIndex(to: writerIndex)
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
        // "L" is not in RabbitMQ's table of types, but RabbitMQ reads it as a signed 64-bit
        // integer, and py-amqp (so kombu and Celery) writes every integer beyond 32 bits with it.
        case UInt8(ascii: "l"), UInt8(ascii: "L"):
            return .int64(Int64(bitPattern: try readAMQPLongLong(orThrow: truncated)))
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
        let size = try value.encodedSize()
        writeAMQP(size: size) { $0.writeFieldValue(value) }
    }
}

/// Checks the structure of encoded field tables without decoding them, walking the bytes directly
/// (reading them through `ByteBuffer` one integer at a time costs several times as much).
@usableFromInline
enum FieldTableValidator {
    /// ``skipEntries(_:depth:)``'s error, if any.
    @usableFromInline
    static func firstError(inEntries bytes: UnsafeRawBufferPointer, depth: Int) -> AMQPWireError? {
        do {
            try skipEntries(bytes, depth: depth)
            return nil
        } catch {
            return error
        }
    }

    /// Checks that `bytes` are whole `name, type, value` entries.
    @usableFromInline
    static func skipEntries(_ bytes: UnsafeRawBufferPointer, depth: Int) throws(AMQPWireError) {
        guard depth < maximumFieldNesting else { throw .malformedFieldTable(reason: "nesting too deep") }
        var index = 0
        while index < bytes.count {
            let keyLength = Int(bytes[index])
            index += 1
            guard bytes.count - index >= keyLength else {
                throw .malformedFieldTable(reason: "truncated field name")
            }
            index += keyLength
            index = try skipValue(bytes, at: index, depth: depth)
        }
    }

    /// Checks the `type, value` pair at `start`; returns where the next one begins.
    @usableFromInline
    static func skipValue(_ bytes: UnsafeRawBufferPointer, at start: Int, depth: Int) throws(AMQPWireError) -> Int {
        // Arrays nest through here without passing skipEntries, so check here too.
        guard depth < maximumFieldNesting else { throw .malformedFieldTable(reason: "nesting too deep") }
        guard start < bytes.count else { throw .malformedFieldTable(reason: "missing value type") }
        let type = bytes[start]
        var index = start + 1
        let fixed: Int
        switch type {
        case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): fixed = 1
        case UInt8(ascii: "s"), UInt8(ascii: "u"): fixed = 2
        case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): fixed = 4
        case UInt8(ascii: "l"), UInt8(ascii: "L"), UInt8(ascii: "d"), UInt8(ascii: "T"): fixed = 8
        case UInt8(ascii: "D"): fixed = 5
        case UInt8(ascii: "V"): fixed = 0
        case UInt8(ascii: "S"), UInt8(ascii: "x"), UInt8(ascii: "F"), UInt8(ascii: "A"):
            guard bytes.count - index >= 4 else {
                throw .malformedFieldTable(reason: "truncated '\(Character(Unicode.Scalar(type)))' value")
            }
            let length = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
            index += 4
            guard bytes.count - index >= length else {
                throw .malformedFieldTable(reason: "truncated '\(Character(Unicode.Scalar(type)))' value")
            }
            let nested = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)])
            if type == UInt8(ascii: "F") {
                try skipEntries(nested, depth: depth + 1)
            } else if type == UInt8(ascii: "A") {
                var position = 0
                while position < nested.count { position = try skipValue(nested, at: position, depth: depth + 1) }
            }
            return index + length
        default:
            throw .malformedFieldTable(reason: "unknown field type 0x\(String(type, radix: 16))")
        }
        guard bytes.count - index >= fixed else { throw .malformedFieldTable(reason: "truncated value") }
        return index + fixed
    }
}

extension FieldTable {
    /// The size of the encoded entries, without the length prefix; refuses keys over 255 bytes,
    /// in the order the encoder meets them.
    @inlinable
    func encodedEntriesSize() throws(AMQPWireError) -> Int {
        switch storage {
        case .raw(let bytes):
            return bytes.readableBytes
        case .entries(let entries):
            return try FieldTable.encodedSize(of: entries)
        }
    }

    @usableFromInline
    static func encodedSize(of entries: [(String, FieldValue)]) throws(AMQPWireError) -> Int {
        var size = 0
        for (key, value) in entries {
            size += try ByteBuffer.amqpShortStringSize(key)
            size += try value.encodedSize()
        }
        return size
    }
}

extension FieldValue {
    /// The size of the type octet and the value; refuses table keys over 255 bytes.
    @usableFromInline
    func encodedSize() throws(AMQPWireError) -> Int {
        switch self {
        case .bool, .int8, .uint8: return 2
        case .int16, .uint16: return 3
        case .int32, .uint32, .float: return 5
        case .int64, .double, .timestamp: return 9
        case .void: return 1
        case .decimal: return 6
        case .string(let s): return 5 + s.utf8.count
        case .binaryString(let bytes), .bytes(let bytes): return 5 + bytes.count
        case .table(let table): return 5 + (try table.encodedEntriesSize())
        case .array(let values):
            var size = 5
            for element in values { size += try element.encodedSize() }
            return size
        }
    }
}

extension AMQPWriter {
    /// A field table with its length prefix, sized by ``FieldTable/encodedEntriesSize()``.
    @inlinable
    mutating func writeFieldTable(_ table: FieldTable) {
        switch table.storage {
        case .raw(let bytes):
            writeLongString(bytes)
        case .entries(let entries):
            writeFieldTableEntries(entries)
        }
    }

    @usableFromInline
    mutating func writeFieldTableEntries(_ entries: [(String, FieldValue)]) {
        let lengthPosition = offset
        writeInteger(UInt32(0))
        for (key, value) in entries {
            writeShortString(key)
            writeFieldValue(value)
        }
        setInteger(UInt32(truncatingIfNeeded: offset - lengthPosition - 4), at: lengthPosition)
    }

    /// One `type, value` pair, sized by ``FieldValue/encodedSize()``.
    @usableFromInline
    mutating func writeFieldValue(_ value: FieldValue) {
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
            writeLongString(s)
        case .binaryString(let bytes), .bytes(let bytes):
            writeInteger(UInt32(truncatingIfNeeded: bytes.count))
            writeBytes(bytes)
        case .table(let table):
            writeFieldTable(table)
        case .array(let values):
            let lengthPosition = offset
            writeInteger(UInt32(0))
            for element in values { writeFieldValue(element) }
            setInteger(UInt32(truncatingIfNeeded: offset - lengthPosition - 4), at: lengthPosition)
        }
    }
}
