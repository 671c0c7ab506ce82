import NIOCore

/// A method with its content, when it has some: what the frames on one channel add up to.
public struct Command: Sendable, Hashable {
    public var channel: UInt16
    public var method: AMQPMethod
    /// Present for methods that carry content (publish, deliver, return, get-ok).
    public var header: ContentHeader?
    public var body: ByteBuffer

    public init(channel: UInt16, method: AMQPMethod, header: ContentHeader? = nil, body: ByteBuffer = ByteBuffer()) {
        self.channel = channel
        self.method = method
        self.header = header
        self.body = body
    }
}

/// Joins method, content header and body frames into ``Command``s, channel by channel.
///
/// Frames of different channels may interleave; within a channel a content-carrying method must
/// be followed by exactly one header and then body frames adding up to the header's body size.
/// Anything else is an ``AMQPWireError/unexpectedFrame(channel:reason:)`` (reply code 505).
public struct CommandAssembler: Sendable {
    /// Bodies larger than this are refused with ``AMQPWireError/contentTooLarge(size:maximum:)``.
    public var maximumBodySize: UInt64

    @usableFromInline
    struct Partial: Sendable {
        @usableFromInline var method: AMQPMethod
        @usableFromInline var header: ContentHeader?
        @usableFromInline var body: ByteBuffer?

        @usableFromInline
        init(method: AMQPMethod, header: ContentHeader? = nil, body: ByteBuffer? = nil) {
            self.method = method
            self.header = header
            self.body = body
        }
    }

    @usableFromInline
    var partials: [UInt16: Partial] = [:]

    /// RabbitMQ's default `max_message_size` is 128 MiB.
    public init(maximumBodySize: UInt64 = 128 * 1024 * 1024) {
        self.maximumBodySize = maximumBodySize
    }

    /// Whether a channel is in the middle of receiving content.
    public func isAssembling(channel: UInt16) -> Bool {
        partials[channel] != nil
    }

    /// Forgets any partial content on a channel (when the channel closes).
    public mutating func reset(channel: UInt16) {
        partials[channel] = nil
    }

    /// Feeds one frame; returns a command when one is complete. Heartbeats are not commands and
    /// return `nil`; callers handle them before assembling.
    @inlinable
    public mutating func assemble(_ frame: Frame) throws(AMQPWireError) -> Command? {
        switch frame {
        case .heartbeat:
            return nil
        case .method(let channel, let method):
            if let partial = partials[channel] {
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "expected content \(partial.header == nil ? "header" : "body") for \(partial.method.name), "
                        + "got method \(method.name)")
            }
            if method.hasContent {
                partials[channel] = Partial(method: method)
                return nil
            }
            return Command(channel: channel, method: method)
        case .header(let channel, let header):
            guard var partial = partials[channel], partial.header == nil else {
                throw .unexpectedFrame(channel: channel, reason: "content header without a method that carries content")
            }
            guard header.classID == partial.method.classID else {
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "content header for class \(header.classID) after \(partial.method.name)")
            }
            guard header.bodySize <= maximumBodySize else {
                partials[channel] = nil
                throw .contentTooLarge(size: header.bodySize, maximum: maximumBodySize)
            }
            if header.bodySize == 0 {
                partials[channel] = nil
                return Command(channel: channel, method: partial.method, header: header)
            }
            partial.header = header
            partials[channel] = partial
            return nil
        case .body(let channel, let bytes):
            guard var partial = partials[channel], let header = partial.header else {
                throw .unexpectedFrame(channel: channel, reason: "content body without a content header")
            }
            let received = UInt64(partial.body?.readableBytes ?? 0) + UInt64(bytes.readableBytes)
            guard received <= header.bodySize else {
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "content body of \(received) bytes exceeds the announced \(header.bodySize)")
            }
            if partial.body == nil && received == header.bodySize {
                // The common case: the whole body in one frame, kept as a slice of the read buffer.
                partials[channel] = nil
                return Command(channel: channel, method: partial.method, header: header, body: bytes)
            }
            if partial.body == nil {
                var accumulated = ByteBuffer()
                accumulated.reserveCapacity(Int(header.bodySize))
                partial.body = accumulated
            }
            partial.body!.writeImmutableBuffer(bytes)
            if received == header.bodySize {
                partials[channel] = nil
                return Command(channel: channel, method: partial.method, header: header, body: partial.body!)
            }
            partials[channel] = partial
            return nil
        }
    }
}
