import NIOCore

/// Reads AMQP values from the bytes of one frame payload, the mirror of ``AMQPWriter``.
///
/// Every `ByteBuffer` read that looks at the bytes starts with a run-time exclusivity check on
/// the buffer's storage (a class property of NIO's, which this module cannot prove free of
/// conflicts), and that check costs more than decoding an integer or a short string. The decoders
/// therefore read a whole payload through this cursor, inside one `withUnsafeReadableBytes`:
/// one check per frame rather than one per field or so. Every read is bounds-checked and, when
/// the bytes run out, consumes nothing and throws the error it is given, as the `ByteBuffer`
/// readers in `ByteBuffer+AMQP.swift` do.
@usableFromInline
struct AMQPReader {
    /// The bytes being read: the readable bytes of `buffer` from index `base`.
    @usableFromInline
    let bytes: UnsafeRawBufferPointer
    /// The buffer that owns `bytes`, for slices (long strings and field tables share its storage).
    @usableFromInline
    let buffer: ByteBuffer
    /// The index in `buffer` of `bytes[0]`.
    @usableFromInline
    let base: Int
    /// How many bytes have been read.
    @usableFromInline
    var offset: Int

    @inlinable
    init(bytes: UnsafeRawBufferPointer, buffer: ByteBuffer, base: Int) {
        self.bytes = bytes
        self.buffer = buffer
        self.base = base
        self.offset = 0
    }

    /// The bytes not read yet.
    @inlinable
    var remaining: Int { bytes.count &- offset }

    @inlinable
    mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) -> T? {
        guard remaining >= MemoryLayout<T>.size else { return nil }
        let value = T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset &+= MemoryLayout<T>.size
        return value
    }

    @inlinable
    mutating func readOctet(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readShort(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readLong(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readLongLong(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt64 {
        guard let value = readInteger(as: UInt64.self) else { throw error() }
        return value
    }

    /// A short string: one length octet, then that many bytes of UTF-8 (ill-formed sequences are
    /// repaired, as `String(decoding:as:)` does).
    @inlinable
    mutating func readShortString(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> String {
        guard remaining >= 1 else { throw error() }
        let length = Int(bytes[offset])
        guard remaining > length else { throw error() }
        let start = offset &+ 1
        let end = start &+ length
        offset = end
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The next `length` bytes as a slice of `buffer`; `length` must not exceed `remaining`.
    @inlinable
    mutating func readSlice(length: Int) -> ByteBuffer {
        precondition(length >= 0 && length <= remaining, "AMQPReader: slice past the end")
        let slice = buffer.getSlice(at: base &+ offset, length: length)!
        offset &+= length
        return slice
    }

    /// A long string: a 32-bit length, then that many bytes, as a slice of `buffer`.
    @inlinable
    mutating func readLongString(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError)
        -> ByteBuffer
    {
        guard remaining >= 4 else { throw error() }
        let length = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        guard UInt64(remaining) >= 4 + UInt64(length) else { throw error() }
        offset &+= 4
        return readSlice(length: Int(length))
    }

    /// A length-prefixed field table, checked as `ByteBuffer.readFieldTable()` checks it (with the
    /// same errors) and kept as a slice of `buffer`.
    @inlinable
    mutating func readFieldTable() throws(AMQPWireError) -> FieldTable {
        guard remaining >= 4 else {
            throw .malformedFieldTable(reason: "truncated table length")
        }
        let length = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        guard UInt64(remaining) >= 4 + UInt64(length) else {
            throw .malformedFieldTable(reason: "table length \(length) exceeds the \(remaining - 4) bytes left")
        }
        let start = offset &+ 4
        offset = start
        let slice = readSlice(length: Int(length))
        if length > 0 {
            let entries = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
            if let failure = FieldTableValidator.firstError(inEntries: entries, depth: 0) { throw failure }
        }
        return FieldTable(validatedRaw: slice)
    }
}

extension ByteBuffer {
    /// Runs `body` with a reader over the readable bytes, in one access to the storage, then moves
    /// the reader index past the bytes it read (also when it throws, as reading field by field
    /// would have).
    @inlinable
    mutating func readWithAMQPReader<Result>(
        _ body: (inout AMQPReader) throws(AMQPWireError) -> Result
    ) throws(AMQPWireError) -> Result {
        let start = readerIndex
        let buffer = self
        var consumed = 0
        defer { moveReaderIndex(forwardBy: consumed) }
        return try buffer.withUnsafeReadableBytes { (bytes) throws(AMQPWireError) -> Result in
            var reader = AMQPReader(bytes: bytes, buffer: buffer, base: start)
            defer { consumed = reader.offset }
            return try body(&reader)
        }
    }
}
