import NIOCore

/// Splits bytes into frames and decodes their payloads.
///
/// Usable on its own (`decodeFrame(from:)`, for handlers that keep their own buffer) and as a
/// NIO `ByteToMessageDecoder`. A `frameMax` of 0 means no limit other than the 32-bit size field.
///
/// The specification caps a whole frame at `frame_max` octets, so a payload at `frame_max - 8`.
/// RabbitMQ reads payloads up to `frame_max` itself and refuses one octet more (501), and some
/// clients rely on that slack (Crystal's amqp-client cuts bodies into `frame_max`-byte payloads),
/// so this decoder accepts the same. Encoders never use the slack (``ByteBuffer/writeContent``).
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
        let input = buffer
        // Set once the frame has passed the checks on its size and end octet: the frame is then
        // consumed even if its payload turns out to be malformed.
        var consumed = 0
        defer { buffer.moveReaderIndex(forwardBy: consumed) }
        // The whole frame, payload included, is decoded in one access to the buffer's storage:
        // each access costs more than most of the decoding (see ``AMQPReader``).
        return try input.withUnsafeReadableBytes { (bytes) throws(AMQPWireError) -> Frame? in
            guard bytes.count >= 7 else { return nil }
            let type = bytes[0]
            let channel = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt16.self))
            let size = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 3, as: UInt32.self))
            if frameMax > 0 && size > frameMax {
                throw .frameTooLarge(type: type, size: size, maximum: frameMax - UInt32(FrameConstants.overhead))
            }
            let total = Int(size) + FrameConstants.overhead
            guard bytes.count >= total else { return nil }
            let end = bytes[total - 1]
            guard end == FrameConstants.end else { throw .badFrameEnd(end) }
            consumed = total
            switch type {
            case FrameConstants.method:
                var reader = AMQPReader(
                    bytes: UnsafeRawBufferPointer(rebasing: bytes[7..<(total - 1)]), buffer: input, base: start + 7)
                return .method(channel: channel, try AMQPMethod.decode(from: &reader))
            case FrameConstants.header:
                var reader = AMQPReader(
                    bytes: UnsafeRawBufferPointer(rebasing: bytes[7..<(total - 1)]), buffer: input, base: start + 7)
                return .header(channel: channel, try ContentHeader.decode(from: &reader))
            case FrameConstants.body:
                return .body(channel: channel, input.getSlice(at: start + 7, length: Int(size))!)
            case FrameConstants.heartbeat:
                guard channel == 0, size == 0 else { throw .malformedHeartbeat(channel: channel) }
                return .heartbeat
            default:
                throw .unknownFrameType(type)
            }
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
