import NIOCore

/// Splits bytes into frames and decodes their payloads.
///
/// Usable on its own (`decodeFrame(from:)`, for handlers that keep their own buffer) and as a
/// NIO `ByteToMessageDecoder`. The payload limit is `frameMax - 8`; a `frameMax` of 0 means
/// no limit other than the 32-bit size field.
public struct FrameDecoder: Sendable {
    /// Values between 1 and 4095 are read as 4096, the smallest frame size AMQP allows.
    public var frameMax: UInt32 {
        didSet { frameMax = FrameConstants.effectiveFrameMax(frameMax) }
    }

    public init(frameMax: UInt32 = FrameConstants.defaultFrameMax) {
        self.frameMax = FrameConstants.effectiveFrameMax(frameMax)
    }

    /// Decodes the next whole frame, or returns `nil` and consumes nothing if it has not all arrived.
    @inlinable
    public func decodeFrame(from buffer: inout ByteBuffer) throws(AMQPWireError) -> Frame? {
        let start = buffer.readerIndex
        // The type, channel and size, and the frame-end octet if the whole frame has arrived, in
        // one access to the buffer's storage (each access costs as much as the decoding here).
        let peeked: (type: UInt8, channel: UInt16, size: UInt32, end: UInt8?)? = buffer.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 7 else { return nil }
            let size = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 3, as: UInt32.self))
            let total = Int(size) + FrameConstants.overhead
            return (
                bytes[0], UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt16.self)), size,
                bytes.count >= total ? bytes[total - 1] : nil
            )
        }
        guard let (type, channel, size, frameEnd) = peeked else { return nil }
        if frameMax > 0 && UInt64(size) + UInt64(FrameConstants.overhead) > UInt64(frameMax) {
            throw .frameTooLarge(size: size, maximum: frameMax - UInt32(FrameConstants.overhead))
        }
        let total = Int(size) + FrameConstants.overhead
        guard let end = frameEnd else { return nil }
        guard end == FrameConstants.end else { throw .badFrameEnd(end) }
        var payload = buffer.getSlice(at: start + 7, length: Int(size))!
        buffer.moveReaderIndex(forwardBy: total)
        switch type {
        case FrameConstants.method:
            return .method(channel: channel, try AMQPMethod.decode(from: &payload))
        case FrameConstants.header:
            return .header(channel: channel, try ContentHeader.decode(from: &payload))
        case FrameConstants.body:
            return .body(channel: channel, payload)
        case FrameConstants.heartbeat:
            guard channel == 0, size == 0 else { throw .malformedHeartbeat(channel: channel) }
            return .heartbeat
        default:
            throw .unknownFrameType(type)
        }
    }
}

extension FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Frame

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        try decodeFrame(from: &buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        try decodeFrame(from: &buffer)
    }
}
