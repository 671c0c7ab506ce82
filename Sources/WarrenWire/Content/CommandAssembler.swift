import NIOCore

/// A method with its content, when it has some: what the frames on one channel add up to.
public struct Command: Sendable, Hashable {
    public var channel: UInt16
    public var method: AMQPMethod
    /// Present for methods that carry content (publish, deliver, return, get-ok).
    public var header: ContentHeader?
    public var body: ByteBuffer

    @inlinable
    public init(channel: UInt16, method: AMQPMethod, header: ContentHeader? = nil, body: ByteBuffer = ByteBuffer()) {
        self.channel = channel
        self.method = method
        self.header = header
        self.body = body
    }
}

extension Command {
    /// `Command(channel:method:header:body:)`, built in place.
    ///
    /// Swift 6.3's optimizer leaves a copy and a destroy of the whole value behind a struct
    /// initializer that assigns more than six scalar fields in all (a `ByteBuffer` alone has six):
    /// a retain and a release of everything the command holds, plus moves, nearly a tenth of what
    /// decoding a message costs. Initializing the fields through pointers and moving the value out
    /// leaves neither.
    @inlinable
    static func assembled(
        channel: UInt16, method: AMQPMethod, header: ContentHeader? = nil, body: ByteBuffer = ByteBuffer()
    ) -> Command {
        withUnsafeTemporaryAllocation(of: Command.self, capacity: 1) { storage in
            let command = storage.baseAddress!
            command.pointer(to: \.channel)!.initialize(to: channel)
            command.pointer(to: \.method)!.initialize(to: method)
            command.pointer(to: \.header)!.initialize(to: header)
            command.pointer(to: \.body)!.initialize(to: body)
            return command.move()
        }
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

    /// Partial content of channels other than the one in the slot below.
    @usableFromInline
    var partials: [UInt16: Partial] = [:]

    // The slot: the partial content of one channel, kept in stored properties rather than in
    // `partials`, so that the usual case (one message at a time on a connection) needs no hashing
    // and the method and header are moved into the ``Command`` rather than copied (copying a
    // header retains every property it holds). A content-carrying method takes the slot when it
    // is free and goes to `partials` otherwise; a channel is never in both.
    @usableFromInline
    var slotChannel: UInt16 = 0
    @usableFromInline
    var slotInUse = false
    /// Set while the slot is in use.
    @usableFromInline
    var slotMethod: AMQPMethod? = nil
    @usableFromInline
    var slotHeader: ContentHeader? = nil
    @usableFromInline
    var slotBody: ByteBuffer? = nil

    /// RabbitMQ's default `max_message_size` is 128 MiB.
    public init(maximumBodySize: UInt64 = 128 * 1024 * 1024) {
        self.maximumBodySize = maximumBodySize
    }

    /// Whether a channel is in the middle of receiving content.
    public func isAssembling(channel: UInt16) -> Bool {
        slotHolds(channel) || partials[channel] != nil
    }

    /// Forgets any partial content on a channel (when the channel closes).
    public mutating func reset(channel: UInt16) {
        if slotHolds(channel) {
            clearSlot()
        } else {
            partials[channel] = nil
        }
    }

    @inlinable
    func slotHolds(_ channel: UInt16) -> Bool {
        slotInUse && slotChannel == channel
    }

    @inlinable
    mutating func clearSlot() {
        slotInUse = false
        slotMethod = nil
        slotHeader = nil
        slotBody = nil
    }

    /// Feeds one frame; returns a command when one is complete. Heartbeats are not commands and
    /// return `nil`; callers handle them before assembling.
    ///
    /// The frame is consumed, and a channel's partial content is moved out of `partials` while it
    /// is worked on and put back only if the command is still incomplete (or the frame is refused,
    /// which leaves the state as it was), so that the method and header are moved into the
    /// ``Command`` rather than copied: copying a header retains every property it holds.
    @inlinable
    public mutating func assemble(_ frame: consuming Frame) throws(AMQPWireError) -> Command? {
        switch consume frame {
        case .heartbeat:
            return nil
        case .method(let channel, let method):
            if slotHolds(channel) {
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "expected content \(slotHeader == nil ? "header" : "body") for \(slotMethod!.name), "
                        + "got method \(method.name)")
            }
            if let index = partials.index(forKey: channel) {
                let partial = partials.values[index]
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "expected content \(partial.header == nil ? "header" : "body") for \(partial.method.name), "
                        + "got method \(method.name)")
            }
            if method.hasContent {
                if !slotInUse {
                    slotInUse = true
                    slotChannel = channel
                    slotMethod = method
                } else {
                    partials[channel] = Partial(method: method)
                }
                return nil
            }
            return Command.assembled(channel: channel, method: method)
        case .header(let channel, let header):
            if slotHolds(channel) {
                return try assembleSlotHeader(channel: channel, header)
            }
            guard var partial = partials.removeValue(forKey: channel) else {
                throw .unexpectedFrame(channel: channel, reason: "content header without a method that carries content")
            }
            guard partial.header == nil else {
                partials[channel] = partial
                throw .unexpectedFrame(channel: channel, reason: "content header without a method that carries content")
            }
            guard header.classID == partial.method.classID else {
                let name = partial.method.name
                partials[channel] = partial
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "content header for class \(header.classID) after \(name)")
            }
            guard header.bodySize <= maximumBodySize else {
                throw .contentTooLarge(size: header.bodySize, maximum: maximumBodySize)
            }
            if header.bodySize == 0 {
                return Command.assembled(channel: channel, method: partial.method, header: header)
            }
            partial.header = header
            partials[channel] = partial
            return nil
        case .body(let channel, let bytes):
            if slotHolds(channel) {
                return try assembleSlotBody(channel: channel, bytes)
            }
            guard var partial = partials.removeValue(forKey: channel) else {
                throw .unexpectedFrame(channel: channel, reason: "content body without a content header")
            }
            guard let bodySize = partial.header?.bodySize else {
                partials[channel] = partial
                throw .unexpectedFrame(channel: channel, reason: "content body without a content header")
            }
            let received = UInt64(partial.body?.readableBytes ?? 0) + UInt64(bytes.readableBytes)
            guard received <= bodySize else {
                partials[channel] = partial
                throw .unexpectedFrame(
                    channel: channel,
                    reason: "content body of \(received) bytes exceeds the announced \(bodySize)")
            }
            if partial.body == nil && received == bodySize {
                // The common case: the whole body in one frame, kept as a slice of the read buffer.
                return Command.assembled(channel: channel, method: partial.method, header: partial.header, body: bytes)
            }
            if partial.body == nil {
                var accumulated = ByteBuffer()
                accumulated.reserveCapacity(Int(bodySize))
                partial.body = accumulated
            }
            partial.body!.writeImmutableBuffer(bytes)
            if received == bodySize {
                return Command.assembled(
                    channel: channel, method: partial.method, header: partial.header, body: partial.body!)
            }
            partials[channel] = partial
            return nil
        }
    }

    /// ``assemble(_:)`` for a header on the slot's channel: the same checks as for `partials`.
    @inlinable @inline(__always)
    mutating func assembleSlotHeader(channel: UInt16, _ header: consuming ContentHeader) throws(AMQPWireError)
        -> Command?
    {
        if case .some = slotHeader {
            throw .unexpectedFrame(channel: channel, reason: "content header without a method that carries content")
        }
        guard header.classID == slotMethod!.classID else {
            throw .unexpectedFrame(
                channel: channel,
                reason: "content header for class \(header.classID) after \(slotMethod!.name)")
        }
        guard header.bodySize <= maximumBodySize else {
            clearSlot()
            throw .contentTooLarge(size: header.bodySize, maximum: maximumBodySize)
        }
        if header.bodySize == 0 {
            slotInUse = false
            return Command.assembled(channel: channel, method: slotMethod.take()!, header: header)
        }
        slotHeader = consume header
        return nil
    }

    /// ``assemble(_:)`` for a body frame on the slot's channel: the same checks as for `partials`.
    @inlinable @inline(__always)
    mutating func assembleSlotBody(channel: UInt16, _ bytes: consuming ByteBuffer) throws(AMQPWireError) -> Command? {
        guard let bodySize = slotHeader?.bodySize else {
            throw .unexpectedFrame(channel: channel, reason: "content body without a content header")
        }
        let received = UInt64(slotBody?.readableBytes ?? 0) + UInt64(bytes.readableBytes)
        guard received <= bodySize else {
            throw .unexpectedFrame(
                channel: channel,
                reason: "content body of \(received) bytes exceeds the announced \(bodySize)")
        }
        if case .none = slotBody {
            if received == bodySize {
                // The common case: the whole body in one frame, kept as a slice of the read buffer.
                slotInUse = false
                return Command.assembled(
                    channel: channel, method: slotMethod.take()!, header: slotHeader.take(), body: bytes)
            }
            var accumulated = ByteBuffer()
            accumulated.reserveCapacity(Int(bodySize))
            slotBody = accumulated
        }
        slotBody!.writeImmutableBuffer(bytes)
        if received == bodySize {
            slotInUse = false
            return Command.assembled(
                channel: channel, method: slotMethod.take()!, header: slotHeader.take(), body: slotBody.take()!)
        }
        return nil
    }
}
