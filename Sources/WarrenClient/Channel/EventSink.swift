/// Where the connection handler hands a consumer's deliveries or a channel's publisher events:
/// an async sequence's continuation, or a handler called on the event loop itself. One type so
/// the handler's bookkeeping does not care which.
struct EventSink<Event: Sendable>: Sendable {
    let send: @Sendable (Event) -> Void
    /// `nil` for a clean end; called once, last.
    let finish: @Sendable ((any Error)?) -> Void

    static func stream(_ continuation: AsyncThrowingStream<Event, any Error>.Continuation) -> EventSink {
        EventSink(send: { continuation.yield($0) },
                  finish: { error in if let error { continuation.finish(throwing: error) } else { continuation.finish() } })
    }

    static func handler(_ handler: @escaping @Sendable (AMQPStreamEvent<Event>) -> Void) -> EventSink {
        EventSink(send: { handler(.next($0)) }, finish: { handler(.ended($0)) })
    }
}

/// What a handler given to ``AMQPChannel/consume(_:consumerTag:noAck:exclusive:arguments:handler:)``
/// or ``AMQPChannel/publisherEvents(handler:)`` receives: each element, then the end, once.
public enum AMQPStreamEvent<Element: Sendable>: Sendable {
    case next(Element)
    /// The end: `nil` when clean (cancelled, channel closed by the client), else why.
    case ended((any Error)?)
}
