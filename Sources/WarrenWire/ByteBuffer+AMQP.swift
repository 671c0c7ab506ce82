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
        guard let length = getInteger(at: readerIndex, as: UInt8.self),
            readableBytes >= 1 + Int(length)
        else { throw error() }
        moveReaderIndex(forwardBy: 1)
        return readString(length: Int(length))!
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
        let count = string.utf8.count
        guard count <= 255 else { throw .shortStringTooLong(length: count) }
        writeInteger(UInt8(truncatingIfNeeded: count))
        return 1 + writeString(string)
    }

    /// Writes a long string: a 32-bit length, then the bytes.
    @inlinable
    @discardableResult
    public mutating func writeAMQPLongString(_ bytes: ByteBuffer) -> Int {
        writeInteger(UInt32(truncatingIfNeeded: bytes.readableBytes))
        return 4 + writeImmutableBuffer(bytes)
    }

    /// Writes a long string from UTF-8 text.
    @inlinable
    @discardableResult
    public mutating func writeAMQPLongString(_ string: String) -> Int {
        writeInteger(UInt32(truncatingIfNeeded: string.utf8.count))
        return 4 + writeString(string)
    }
}
