import NIOCore

// Primitive AMQP 0-9-1 types, read and written in network byte order.
// Readers throw `AMQPWireError` through a caller-supplied error so that a method decoder can say
// which method was malformed.

extension ByteBuffer {
    @inlinable
    mutating func readAMQPOctet(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readAMQPShort(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readAMQPLong(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readAMQPLongLong(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError) -> UInt64 {
        guard let value = readInteger(as: UInt64.self) else { throw error() }
        return value
    }

    @inlinable
    mutating func readAMQPShortString(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError)
        -> String
    {
        // One access to the storage rather than three (length, bounds, bytes): on the decode path
        // each access costs more than decoding a short string.
        let read: (String, Int)? = withUnsafeReadableBytes { bytes in
            guard let length = bytes.first, bytes.count > Int(length) else { return nil }
            let end = 1 + Int(length)
            return (String(decoding: UnsafeRawBufferPointer(rebasing: bytes[1..<end]), as: UTF8.self), end)
        }
        guard let (string, consumed) = read else { throw error() }
        moveReaderIndex(forwardBy: consumed)
        return string
    }

    @inlinable
    mutating func readAMQPLongString(orThrow error: @autoclosure () -> AMQPWireError) throws(AMQPWireError)
        -> ByteBuffer
    {
        guard let length = getInteger(at: readerIndex, as: UInt32.self),
            UInt64(readableBytes) >= 4 + UInt64(length)
        else { throw error() }
        moveReaderIndex(forwardBy: 4)
        return readSlice(length: Int(length))!
    }

    /// Writes a short string: one length octet, then at most 255 bytes of UTF-8.
    @inlinable
    @discardableResult
    public mutating func writeAMQPShortString(_ string: String) throws(AMQPWireError) -> Int {
        let size = try ByteBuffer.amqpShortStringSize(string)
        writeAMQP(size: size) { $0.writeShortString(string) }
        return size
    }

    /// Writes a long string: a 32-bit length, then the bytes.
    @inlinable
    @discardableResult
    public mutating func writeAMQPLongString(_ bytes: ByteBuffer) -> Int {
        let size = 4 + bytes.readableBytes
        writeAMQP(size: size) { $0.writeLongString(bytes) }
        return size
    }

    /// Writes a long string from UTF-8 text.
    @inlinable
    @discardableResult
    public mutating func writeAMQPLongString(_ string: String) -> Int {
        let size = 4 + string.utf8.count
        writeAMQP(size: size) { $0.writeLongString(string) }
        return size
    }
}

// MARK: - Writing whole frames at once

/// Writes AMQP values into bytes reserved in advance by ``ByteBuffer/writeAMQP(size:_:)``.
///
/// Each `ByteBuffer.writeInteger` or `writeString` call costs a uniqueness check, a capacity
/// check and an exclusivity check on the buffer's storage, which is most of what an encoder
/// spends when it writes a frame field by field. The encoders therefore compute the exact size of
/// what they will write first (checking short strings on the way, so that a refused value leaves
/// the buffer untouched), reserve it once, and fill it through this writer, whose writes cannot
/// fail. Every write is still bounds-checked.
@usableFromInline
struct AMQPWriter {
    @usableFromInline
    let base: UnsafeMutableRawPointer
    @usableFromInline
    let size: Int
    @usableFromInline
    var offset: Int

    @inlinable
    init(base: UnsafeMutableRawPointer, size: Int) {
        self.base = base
        self.size = size
        self.offset = 0
    }

    /// Claims the next `count` bytes.
    @inlinable
    mutating func advance(by count: Int) -> UnsafeMutableRawPointer {
        precondition(count >= 0 && count <= size &- offset, "AMQPWriter: write past the reserved size")
        let pointer = base + offset
        offset &+= count
        return pointer
    }

    @inlinable
    mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        advance(by: MemoryLayout<T>.size).storeBytes(of: value.bigEndian, as: T.self)
    }

    /// Overwrites an integer already written at `position` (an offset from the start of the reservation).
    @inlinable
    func setInteger<T: FixedWidthInteger>(_ value: T, at position: Int) {
        precondition(position >= 0 && position <= offset &- MemoryLayout<T>.size, "AMQPWriter: set outside the written bytes")
        (base + position).storeBytes(of: value.bigEndian, as: T.self)
    }

    @inlinable
    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        let destination = advance(by: count)
        if count > 0 {
            destination.copyMemory(from: bytes.baseAddress!, byteCount: count)
        }
    }

    @inlinable
    mutating func writeBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBytes($0) }
    }

    /// The readable bytes of `buffer`.
    @inlinable
    mutating func writeBuffer(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { writeBytes($0) }
    }

    /// The UTF-8 bytes of `string`, without a length.
    @inlinable
    mutating func writeUTF8(_ string: String) {
        let written: Void? = string.utf8.withContiguousStorageIfAvailable { writeBytes(UnsafeRawBufferPointer($0)) }
        if written == nil {
            for byte in string.utf8 { writeInteger(byte) }
        }
    }

    /// A short string whose length was checked by ``ByteBuffer/amqpShortStringSize(_:)``.
    @inlinable
    mutating func writeShortString(_ string: String) {
        writeInteger(UInt8(truncatingIfNeeded: string.utf8.count))
        writeUTF8(string)
    }

    @inlinable
    mutating func writeLongString(_ string: String) {
        writeInteger(UInt32(truncatingIfNeeded: string.utf8.count))
        writeUTF8(string)
    }

    @inlinable
    mutating func writeLongString(_ bytes: ByteBuffer) {
        writeInteger(UInt32(truncatingIfNeeded: bytes.readableBytes))
        writeBuffer(bytes)
    }
}

extension ByteBuffer {
    /// Reserves `size` bytes at the writer index, has `body` write exactly that many, and moves the
    /// writer index past them.
    @inlinable
    mutating func writeAMQP(size: Int, _ body: (inout AMQPWriter) -> Void) {
        guard size > 0 else { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { pointer in
            var writer = AMQPWriter(base: pointer.baseAddress!, size: size)
            body(&writer)
            precondition(writer.offset == size, "AMQPWriter: wrote \(writer.offset) of \(size) reserved bytes")
            return size
        }
    }

    /// The encoded size of a short string (length octet and UTF-8), or the error for one over 255 bytes.
    @inlinable
    static func amqpShortStringSize(_ string: String) throws(AMQPWireError) -> Int {
        let count = string.utf8.count
        guard count <= 255 else { throw .shortStringTooLong(length: count) }
        return 1 + count
    }
}
