import NIOCore

// Publishing, confirms, basic.get and consumers.
extension AMQPChannel {
    /// Publishes a message. Returns its publish sequence number in confirm mode (1, 2, ... per
    /// channel), 0 otherwise; pass it to ``waitForConfirm(_:)``.
    ///
    /// The call returns once the frames are queued, without waiting for the socket, except when the
    /// socket is backed up: then it waits, which keeps a fast publisher's memory bounded. Bodies
    /// larger than the negotiated frame size are split over several body frames.
    @discardableResult
    public func publish(
        _ body: ByteBuffer, exchange: String = "", routingKey: String, mandatory: Bool = false,
        properties: BasicProperties = BasicProperties()
    ) async throws(AMQPClientError) -> UInt64 {
        try checkOpen()
        let bytes = try encodePublish(body, exchange: exchange, routingKey: routingKey, mandatory: mandatory,
                                      properties: properties)
        try await connection.awaitCapacity()
        // The sequence number is taken and the frames queued under one lock, so concurrent
        // publishers on this channel cannot reach the socket in another order than their numbers.
        let connection = self.connection
        let id = self.id
        return try shared.state.withLock { state throws(AMQPClientError) -> UInt64 in
            if let error = state.closedError { throw error }
            var sequence: UInt64 = 0
            if state.confirmMode {
                sequence = state.nextPublishSequence
                state.nextPublishSequence += 1
            }
            connection.submit(channel: id, bytes: bytes, publishSequence: sequence)
            return sequence
        }
    }

    /// Publishes several messages at once: they reach the socket together, in one write, which
    /// spares the broker a read per message. Returns their sequence numbers (see ``publish(_:exchange:routingKey:mandatory:properties:)``).
    @discardableResult
    public func publish(batch messages: [AMQPOutgoingMessage]) async throws(AMQPClientError) -> [UInt64] {
        try checkOpen()
        guard !messages.isEmpty else { return [] }
        var encoded: [ByteBuffer] = []
        encoded.reserveCapacity(messages.count)
        for message in messages {
            encoded.append(try encodePublish(message.body, exchange: message.exchange, routingKey: message.routingKey,
                                             mandatory: message.mandatory, properties: message.properties))
        }
        try await connection.awaitCapacity()
        let connection = self.connection
        let id = self.id
        return try shared.state.withLock { state throws(AMQPClientError) -> [UInt64] in
            if let error = state.closedError { throw error }
            var sequences: [UInt64] = []
            sequences.reserveCapacity(encoded.count)
            for _ in encoded {
                if state.confirmMode {
                    sequences.append(state.nextPublishSequence)
                    state.nextPublishSequence += 1
                } else {
                    sequences.append(0)
                }
            }
            connection.submit(channel: id, frames: zip(encoded, sequences).map { ($0, $1) })
            return sequences
        }
    }

    private func encodePublish(
        _ body: ByteBuffer, exchange: String, routingKey: String, mandatory: Bool, properties: BasicProperties
    ) throws(AMQPClientError) -> ByteBuffer {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(body.readableBytes + exchange.utf8.count + routingKey.utf8.count + 64)
        do {
            try bytes.writePublish(
                channel: id, BasicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory),
                properties: properties, body: body, frameMax: connection.negotiated.frameMax)
        } catch .frameTooLarge(let type, let size, let maximum) {
            let what = type == FrameConstants.method ? "basic.publish method" : "content header (properties and headers)"
            throw .invalidArgument("the \(what) takes \(size) bytes; one frame holds \(maximum) under frame_max "
                + "\(connection.negotiated.frameMax)")
        } catch {
            throw .invalidArgument(error.detail)
        }
        return bytes
    }

    /// Puts the channel in confirm mode: from now on the broker acks or nacks every publish.
    public func confirmSelect() async throws(AMQPClientError) {
        guard !isConfirmMode else { return }
        _ = try await call(ConfirmSelect(), answers: [(85, 11)])
    }

    /// Waits for the broker's ack or nack of one publish.
    public func waitForConfirm(_ sequence: UInt64) async throws(AMQPClientError) -> AMQPConfirmation {
        guard isConfirmMode, sequence > 0 else { throw .notInConfirmMode }
        let promise = connection.eventLoop.makePromise(of: AMQPConfirmation.self)
        let id = self.id
        connection.onLoop { $0.waitForConfirm(channel: id, sequence: sequence, promise: promise) }
        return try await AMQPConnection.await(promise.futureResult)
    }

    /// How far this channel's publishes are confirmed, without waiting (see ``AMQPConfirmProgress``).
    public var confirmProgress: AMQPConfirmProgress {
        shared.state.withLock { $0.confirmProgress }
    }

    /// Waits until every message published so far on this channel is acked or nacked. Throws if
    /// the channel or connection closes first: those messages may not have arrived.
    @discardableResult
    public func waitForConfirms() async throws(AMQPClientError) -> AMQPConfirmSummary {
        guard isConfirmMode else { throw .notInConfirmMode }
        let promise = connection.eventLoop.makePromise(of: AMQPConfirmSummary.self)
        let id = self.id
        connection.onLoop { $0.waitForConfirms(channel: id, promise: promise) }
        return try await AMQPConnection.await(promise.futureResult)
    }

    /// Publishes one message and waits for its confirm (confirm mode is turned on if needed).
    public func publishConfirmed(
        _ body: ByteBuffer, exchange: String = "", routingKey: String, mandatory: Bool = false,
        properties: BasicProperties = BasicProperties()
    ) async throws(AMQPClientError) -> AMQPConfirmation {
        try await confirmSelect()
        let sequence = try await publish(
            body, exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties)
        return try await waitForConfirm(sequence)
    }

    /// `basic.get`: fetches one message, or returns `nil` when the queue is empty.
    public func get(_ queue: String, noAck: Bool = false) async throws(AMQPClientError) -> AMQPGetResult? {
        let answer = try await call(BasicGet(queue: queue, noAck: noAck), answers: [(60, 71), (60, 72)])
        guard case .basicGetOk(let ok) = answer.method else { return nil }
        let message = AMQPDelivery(
            deliveryTag: ok.deliveryTag, redelivered: ok.redelivered, exchange: ok.exchange, routingKey: ok.routingKey,
            properties: answer.header?.properties ?? BasicProperties(), body: answer.body)
        return AMQPGetResult(message: message, messageCount: ok.messageCount)
    }

    /// `basic.consume`: starts a consumer whose deliveries arrive as an async sequence.
    ///
    /// The sequence ends when the consumer is cancelled or the channel closes cleanly, and throws
    /// when the broker cancels it or closes the channel or connection with an error. Deliveries
    /// are buffered without limit: bound them with ``qos(prefetchCount:prefetchSize:global:)``.
    public func consume(
        _ queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = [:]
    ) async throws(AMQPClientError) -> AMQPConsumer {
        let (stream, continuation) = AsyncThrowingStream<AMQPDelivery, any Error>.makeStream()
        let tag = try await startConsumer(queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive,
                                          arguments: arguments, sink: .stream(continuation))
        return AMQPConsumer(consumerTag: tag, channel: self, stream: stream)
    }

    /// `basic.consume` with each delivery handed to `handler` on the connection's event loop as it
    /// is decoded, then `.ended` once (after cancel-ok, or with the error that ended it): no task
    /// switch per message, for a reader that gathers deliveries itself (a replay does). The
    /// handler must return quickly and must not block. Returns the consumer tag.
    @discardableResult
    public func consume(
        _ queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: FieldTable = [:], handler: @escaping @Sendable (AMQPStreamEvent<AMQPDelivery>) -> Void
    ) async throws(AMQPClientError) -> String {
        try await startConsumer(queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive,
                                arguments: arguments, sink: .handler(handler))
    }

    private func startConsumer(_ queue: String, consumerTag: String, noAck: Bool, exclusive: Bool,
                               arguments: FieldTable, sink: EventSink<AMQPDelivery>) async throws(AMQPClientError)
        -> String
    {
        let answer = try await call(
            BasicConsume(queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive,
                         arguments: arguments),
            answers: [(60, 21)], consumer: sink)
        guard case .basicConsumeOk(let ok) = answer.method else { throw .unexpectedMethod(answer.method.name) }
        return ok.consumerTag
    }

    /// `basic.cancel`: stops a consumer; its sequence ends after the deliveries already sent.
    public func cancel(consumerTag: String) async throws(AMQPClientError) {
        _ = try await call(BasicCancel(consumerTag: consumerTag), answers: [(60, 31)])
    }
}

/// A message to publish with ``AMQPChannel/publish(batch:)``.
public struct AMQPOutgoingMessage: Sendable {
    public var body: ByteBuffer
    public var exchange: String
    public var routingKey: String
    public var mandatory: Bool
    public var properties: BasicProperties

    public init(_ body: ByteBuffer, exchange: String = "", routingKey: String, mandatory: Bool = false,
                properties: BasicProperties = BasicProperties()) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.mandatory = mandatory
        self.properties = properties
    }
}

/// The deliveries of one consumer, as an async sequence.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery

    public let consumerTag: String
    public let channel: AMQPChannel
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<AMQPDelivery, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }

    /// Cancels the consumer (`basic.cancel`).
    public func cancel() async throws(AMQPClientError) {
        try await channel.cancel(consumerTag: consumerTag)
    }
}
