import NIOCore

/// What the broker says about a confirm-mode channel's publishes, in the order it said it.
///
/// A mandatory message the broker cannot route comes back as ``returned(_:)`` before the
/// ``ack(upTo:multiple:)`` that covers it (RabbitMQ and Warren's broker both send basic.return
/// first), so a reader of this one sequence knows, when a confirm arrives, whether the message
/// was returned: no second stream, no race between two readers.
public enum AMQPPublisherEvent: Sendable, Hashable {
    case returned(AMQPReturnedMessage)
    /// The broker took the message numbered `upTo`, or with `multiple` every one up to it.
    case ack(upTo: UInt64, multiple: Bool)
    /// The broker could not take them (`basic.nack`), with the same numbering as ``ack(upTo:multiple:)``.
    case nack(upTo: UInt64, multiple: Bool)
}

extension AMQPChannel {
    /// Returns, acks and nacks of this channel in wire order, from now on.
    ///
    /// Call it before publishing. The sequence ends when the channel closes cleanly and throws
    /// when the broker or the network ends it. Events are buffered until read; a reader that
    /// keeps a bounded window of unconfirmed publishes keeps the buffer bounded too. Returns
    /// still arrive on ``returns`` as well.
    public func publisherEvents() async throws(AMQPClientError) -> AsyncThrowingStream<AMQPPublisherEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AMQPPublisherEvent, any Error>.makeStream()
        try await watchPublisherEvents(.stream(continuation))
        return stream
    }

    /// The same events handed to `handler` on the connection's event loop as they are decoded,
    /// then `.ended` once: no task switch per event, for a reader that gathers them itself. The
    /// handler must return quickly and must not block.
    public func publisherEvents(handler: @escaping @Sendable (AMQPStreamEvent<AMQPPublisherEvent>) -> Void)
        async throws(AMQPClientError)
    {
        try await watchPublisherEvents(.handler(handler))
    }

    private func watchPublisherEvents(_ sink: EventSink<AMQPPublisherEvent>) async throws(AMQPClientError) {
        do {
            try checkOpen()
        } catch {
            sink.finish(error)
            throw error
        }
        let promise = connection.eventLoop.makePromise(of: Void.self)
        let id = self.id
        connection.onLoop { $0.watchPublisherEvents(channel: id, sink, promise: promise) }
        try await AMQPConnection.await(promise.futureResult)
    }
}

extension AMQPConnectionHandler {
    func watchPublisherEvents(channel: UInt16, _ sink: EventSink<AMQPPublisherEvent>, promise: EventLoopPromise<Void>) {
        guard let record = channels[channel], record.phase != .closing else {
            let error = finalError ?? AMQPClientError.channelClosed
            sink.finish(error)
            return promise.fail(error)
        }
        record.publisherEvents?.finish(nil)
        record.publisherEvents = sink
        promise.succeed()
    }
}
