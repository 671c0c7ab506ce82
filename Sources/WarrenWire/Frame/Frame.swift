import NIOCore

/// One AMQP 0-9-1 frame.
public enum Frame: Sendable, Hashable {
    case method(channel: UInt16, AMQPMethod)
    case header(channel: UInt16, ContentHeader)
    /// A slice of the bytes read off the socket: no copy is made.
    case body(channel: UInt16, ByteBuffer)
    /// Always on channel 0.
    case heartbeat

    public var channel: UInt16 {
        switch self {
        case .method(let channel, _), .header(let channel, _), .body(let channel, _): return channel
        case .heartbeat: return 0
        }
    }
}

/// Frame-level constants of AMQP 0-9-1.
public enum FrameConstants {
    public static let method: UInt8 = 1
    public static let header: UInt8 = 2
    public static let body: UInt8 = 3
    public static let heartbeat: UInt8 = 8
    public static let end: UInt8 = 0xCE
    /// Type, channel and size before the payload, and the end octet after it.
    public static let overhead = 8
    /// The smallest `frame_max` a peer may negotiate.
    public static let minimumFrameMax: UInt32 = 4096
    /// RabbitMQ's default `frame_max`.
    public static let defaultFrameMax: UInt32 = 131_072

    /// A `frame_max` as the codec applies it: 0 (no limit) stays 0, anything below the AMQP
    /// minimum counts as the minimum, so a bogus value can neither crash nor loop the codec.
    @inlinable
    public static func effectiveFrameMax(_ frameMax: UInt32) -> UInt32 {
        frameMax == 0 ? 0 : Swift.max(frameMax, minimumFrameMax)
    }
}

/// The eight bytes a client sends first: `AMQP`, 0, 0, 9, 1.
public enum ProtocolHeader {
    public static let bytes: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1]

    /// Checks the first eight bytes a client sent.
    public static func validate(_ received: some Collection<UInt8>) throws(AMQPWireError) {
        guard received.elementsEqual(bytes) else { throw .badProtocolHeader(Array(received)) }
    }
}
